"""Coordination events: what a run reports while it goes, for displays, logs and API users.

A run yields :class:`RunStarted` first and :class:`RunFinished` (carrying the
:class:`~massgen_core.runtime.coordination.result.RunResult`) last. In between: each agent's stream
(:class:`AgentOutput`, wrapping the core's stream events), its turns, answers and votes,
notices (reminders, refused calls), failures, the end of coordination and the presentation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import attrs

from ...plugin.stream import StreamEvent
from .result import RunResult
from .state import EndReason

__all__ = [
    "AgentFailed",
    "AgentInfo",
    "AgentNotice",
    "AgentOutput",
    "AnswerSubmitted",
    "CoordinationEnded",
    "CoordinationEvent",
    "Phase",
    "PresentationStarted",
    "RunFinished",
    "RunStarted",
    "TurnStarted",
    "VoteCast",
    "VotesCleared",
]

Phase = Literal["coordination", "presentation", "answer"]


@attrs.frozen(kw_only=True)
class AgentInfo:
    """An agent as displays show it."""

    agent_id: str
    label: str
    backend: str
    model: str | None = None


@attrs.frozen(kw_only=True)
class RunStarted:
    """The run begins. ``mode`` is ``single`` when one agent answers directly."""

    question: str
    agents: tuple[AgentInfo, ...]
    mode: Literal["coordination", "single"]
    planning_mode: bool = False
    kind: Literal["run_started"] = "run_started"


@attrs.frozen(kw_only=True)
class TurnStarted:
    """An agent starts its ``round``-th coordination turn, seeing ``answers_seen`` answers."""

    agent_id: str
    round: int
    answers_seen: int
    kind: Literal["turn_started"] = "turn_started"


@attrs.frozen(kw_only=True)
class AgentOutput:
    """Something an agent streamed (text, reasoning, tool activity, usage...)."""

    agent_id: str
    event: StreamEvent
    phase: Phase = "coordination"
    kind: Literal["agent_output"] = "agent_output"


@attrs.frozen(kw_only=True)
class AnswerSubmitted:
    """An agent gave a new answer (its ``revision``-th), shown to the others as ``label``."""

    agent_id: str
    label: str
    revision: int
    content: str
    kind: Literal["answer"] = "answer"


@attrs.frozen(kw_only=True)
class VoteCast:
    """A vote that counts: ``agent_id`` votes for ``target_id``'s answer."""

    agent_id: str
    target_id: str
    target_label: str
    reason: str
    kind: Literal["vote"] = "vote"


@attrs.frozen(kw_only=True)
class VotesCleared:
    """A new answer by ``by_agent_id`` cleared the votes of ``voters``: they reconsider."""

    by_agent_id: str
    voters: tuple[str, ...]
    kind: Literal["votes_cleared"] = "votes_cleared"


@attrs.frozen(kw_only=True)
class AgentNotice:
    """Something worth telling about an agent (a reminder, a refused call, a set-aside vote)."""

    agent_id: str
    message: str
    kind: Literal["notice"] = "notice"


@attrs.frozen(kw_only=True)
class AgentFailed:
    """An agent is out of the run.

    ``error_kind`` is e.g. ``authentication``, ``timeout``, ``no_workflow_call``, ``crash``.
    """

    agent_id: str
    reason: str
    error_kind: str
    kind: Literal["agent_failed"] = "agent_failed"


@attrs.frozen(kw_only=True)
class CoordinationEnded:
    """Coordination is over: ``winner`` has the best answer; ``summary`` says why it ended."""

    reason: EndReason
    winner: str
    vote_counts: Mapping[str, int]
    summary: str
    kind: Literal["coordination_ended"] = "coordination_ended"


@attrs.frozen(kw_only=True)
class PresentationStarted:
    """The winner starts the final presentation."""

    agent_id: str
    kind: Literal["presentation_started"] = "presentation_started"


@attrs.frozen(kw_only=True)
class RunFinished:
    """The run is over; ``result`` has the final answer."""

    result: RunResult
    kind: Literal["run_finished"] = "run_finished"


CoordinationEvent = (
    RunStarted
    | TurnStarted
    | AgentOutput
    | AnswerSubmitted
    | VoteCast
    | VotesCleared
    | AgentNotice
    | AgentFailed
    | CoordinationEnded
    | PresentationStarted
    | RunFinished
)
