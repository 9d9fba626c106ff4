"""The end-of-run table: per agent its answers, votes, tokens and cost (shared by every display)."""

from __future__ import annotations

from collections.abc import Sequence

from ..runtime.coordination.result import RunResult
from ..runtime.usage import UsageTotals
from .board import AgentView, Board

__all__ = [
    "COLUMNS",
    "FAILURE_LABELS",
    "failure_label",
    "fits",
    "format_cost",
    "format_tokens",
    "stacked_rows",
    "summary_rows",
]

#: ``AgentFailed.error_kind`` -> what the status column says
FAILURE_LABELS: dict[str, str] = {
    "authentication": "auth error",
    "rate_limit": "rate limited",
    "timeout": "timed out",
    "connection": "connection failed",
    "model_not_found": "model not found",
    "server_error": "provider error",
    "context_too_long": "context too long",
    "invalid_request": "request rejected",
    "backend_error": "backend error",
    "no_workflow_call": "no answer or vote",
    "empty_answer": "empty answer",
    "max_steps": "tool-step limit",
    "crash": "crashed",
}

COLUMNS = (
    "agent",
    "label",
    "backend",
    "status",
    "answers",
    "votes",
    "voted for",
    "tokens in/out",
    "requests",
    "cost",
)


def format_cost(cost: float | None) -> str:
    return "unknown" if cost is None else f"${cost:.4f}"


def format_tokens(totals: UsageTotals) -> str:
    """``in/out``; ``unknown`` when no request reported usage, ``>=in/out`` when some did not."""
    if totals.unreported and totals.unreported == totals.requests:
        return "unknown"
    tokens = f"{totals.usage.input_tokens}/{totals.usage.output_tokens}"
    return f">={tokens}" if totals.unreported else tokens


def failure_label(kind: str | None) -> str:
    """``failed (auth error)``: the status of an agent that is out, with why."""
    if not kind:
        return "failed"
    return f"failed ({FAILURE_LABELS.get(kind, kind.replace('_', ' '))})"


def _status(agent_id: str, view: AgentView, result: RunResult) -> str:
    if agent_id in result.failures:
        return failure_label(view.failure)
    return "winner" if agent_id == result.winner else ""


def summary_rows(board: Board, result: RunResult) -> list[Sequence[str]]:
    """One row per agent, then a total row."""
    rows: list[Sequence[str]] = []
    for agent_id, view in board.agents.items():
        usage = result.usage.get(agent_id)
        vote = result.votes.get(agent_id)
        status = _status(agent_id, view, result)
        model = f"{view.info.backend}/{view.info.model}" if view.info.model else view.info.backend
        rows.append(
            (
                agent_id,
                view.info.label,
                model,
                status,
                str(view.answers),
                str(result.vote_counts.get(agent_id, 0)),
                result.labels.get(vote.target, vote.target) if vote else "",
                format_tokens(usage) if usage else "0/0",
                str(usage.requests) if usage else "0",
                format_cost(usage.cost) if usage else "",
            )
        )
    total = result.total_usage
    rows.append(
        (
            "total",
            "",
            "",
            "",
            str(sum(v.answers for v in board.agents.values())),
            str(sum(result.vote_counts.values())),
            "",
            format_tokens(total),
            str(total.requests),
            format_cost(total.cost),
        )
    )
    return rows


def fits(rows: Sequence[Sequence[str]], width: int) -> bool:
    """Whether the table of ``rows`` under :data:`COLUMNS` fits ``width`` columns uncut (each
    cell padded by one space on both sides, a rule between cells, as rich and the plain table
    draw them)."""
    widths = [max([len(name), *(len(row[i]) for row in rows)]) for i, name in enumerate(COLUMNS)]
    return sum(widths) + 3 * len(widths) + 1 <= width


def stacked_rows(rows: Sequence[Sequence[str]]) -> list[tuple[str, str]]:
    """The table for a narrow terminal: per agent its id and one line of ``name value`` pairs
    (empty cells left out), which wraps between pairs instead of cutting every cell."""
    out: list[tuple[str, str]] = []
    for row in rows:
        pairs = [
            value if name in ("label", "backend", "status") else f"{name} {value}"
            for name, value in zip(COLUMNS[1:], row[1:], strict=True)
            if value
        ]
        out.append((row[0], " · ".join(pairs)))
    return out
