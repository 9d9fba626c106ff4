"""The result of a run: the final answer, who won and why, every answer and vote, usage and cost."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ...plugin.errors import MassgenError
from ..usage import UsageLedger, UsageTotals
from .state import EndReason, Vote

__all__ = ["CoordinationError", "RunResult", "snapshot_usage"]


class CoordinationError(MassgenError):
    """No agent produced a usable answer: each agent's failure is listed (``headline`` says what
    happened; by default, that every agent failed)."""

    def __init__(
        self, failures: Mapping[str, str], *, headline: str = "every agent failed, so there is no answer"
    ) -> None:
        self.failures = dict(failures)
        lines = "\n".join(f"  {agent}: {reason}" for agent, reason in self.failures.items())
        super().__init__(f"{headline}:\n{lines}")


def snapshot_usage(
    ledger: UsageLedger, agent_ids: tuple[str, ...]
) -> tuple[dict[str, UsageTotals], UsageTotals]:
    """Copies of the ledger's per-agent totals (every agent listed) and of its run total."""

    per_agent = {a: ledger.agents[a].copy() if a in ledger.agents else UsageTotals() for a in agent_ids}
    return per_agent, ledger.total.copy()


@attrs.frozen(kw_only=True)
class RunResult:
    """What a run produced.

    :param final_answer: the answer for the user.
    :param winner: the agent whose answer won (and who presented it).
    :param end_reason: why coordination ended (``consensus``, ``single_agent``, ``max_rounds``,
        ``timeout``, ``all_failed``).
    :param summary: one human sentence saying how the run ended and where the answer came from.
    :param presented: whether ``final_answer`` is the winner's presentation (otherwise it is
        the winner's stored answer, and ``summary`` says why).
    :param answers: each agent's latest answer, by agent id.
    :param labels: each agent's anonymous label (``agent1``…).
    :param votes: the votes that decided the winner, by voter.
    :param vote_counts: votes per agent id.
    :param failures: why each failed agent failed.
    :param stragglers: agents left out because they were still working when the straggler
        grace ran out (also in ``failures``, with the reason).
    :param usage: tokens, requests and cost per agent; ``total_usage`` for the run. A backend
        that reports no usage leaves them unknown (``UsageTotals.known`` is false, ``cost`` is
        ``None``), never zero.
    :param duration: seconds from start to final answer.
    """

    question: str
    final_answer: str
    winner: str
    end_reason: EndReason
    summary: str
    presented: bool
    answers: Mapping[str, str]
    labels: Mapping[str, str]
    votes: Mapping[str, Vote]
    vote_counts: Mapping[str, int]
    failures: Mapping[str, str]
    usage: Mapping[str, UsageTotals]
    total_usage: UsageTotals
    duration: float
    stragglers: tuple[str, ...] = ()

    @property
    def cost(self) -> float | None:
        """USD for the whole run; ``None`` when some model's prices are unknown."""
        return self.total_usage.cost

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""

        return {
            "question": self.question,
            "final_answer": self.final_answer,
            "winner": self.winner,
            "end_reason": self.end_reason,
            "summary": self.summary,
            "presented": self.presented,
            "answers": dict(self.answers),
            "labels": dict(self.labels),
            "votes": {k: {"target": v.target, "reason": v.reason} for k, v in self.votes.items()},
            "vote_counts": dict(self.vote_counts),
            "failures": dict(self.failures),
            "stragglers": list(self.stragglers),
            "usage": {k: v.to_dict() for k, v in self.usage.items()},
            "total_usage": self.total_usage.to_dict(),
            "cost": self.cost,
            "duration": round(self.duration, 3),
        }
