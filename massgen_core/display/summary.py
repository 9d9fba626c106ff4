"""The end-of-run table: per agent its answers, votes, tokens and cost (shared by every display)."""

from __future__ import annotations

from collections.abc import Sequence

from ..coordination.result import RunResult
from .board import Board

__all__ = ["COLUMNS", "format_cost", "summary_rows"]

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


def summary_rows(board: Board, result: RunResult) -> list[Sequence[str]]:
    """One row per agent, then a total row."""
    rows: list[Sequence[str]] = []
    for agent_id, view in board.agents.items():
        usage = result.usage.get(agent_id)
        vote = result.votes.get(agent_id)
        status = "failed" if agent_id in result.failures else ("winner" if agent_id == result.winner else "")
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
                f"{usage.usage.input_tokens}/{usage.usage.output_tokens}" if usage else "0/0",
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
            f"{total.usage.input_tokens}/{total.usage.output_tokens}",
            str(total.requests),
            format_cost(total.cost),
        )
    )
    return rows
