"""Multi-agent coordination: agents answer in parallel, see each other's answers, vote; the winner presents.

The pieces, smallest first: :mod:`.state` (pure answer/vote state and its rules),
:mod:`.workflow_tools` (``new_answer`` / ``vote`` and checking a call), :mod:`.prompts`,
:mod:`.turns` (one agent turn), :mod:`.presentation` (the final answer),
:mod:`.orchestrator` (the round loop), :mod:`.events` and :mod:`.result` (what a run reports).
"""

from __future__ import annotations

from .events import (
    AgentFailed,
    AgentInfo,
    AgentNotice,
    AgentOutput,
    AnswerSubmitted,
    CoordinationEnded,
    CoordinationEvent,
    PresentationStarted,
    RunFinished,
    RunStarted,
    TurnStarted,
    VoteCast,
    VotesCleared,
)
from .orchestrator import Orchestrator
from .result import CoordinationError, RunResult
from .settings import CoordinationSettings
from .state import Answer, CoordinationState, EndReason, Vote

__all__ = [
    "AgentFailed",
    "AgentInfo",
    "AgentNotice",
    "AgentOutput",
    "Answer",
    "AnswerSubmitted",
    "CoordinationEnded",
    "CoordinationError",
    "CoordinationEvent",
    "CoordinationSettings",
    "CoordinationState",
    "EndReason",
    "Orchestrator",
    "PresentationStarted",
    "RunFinished",
    "RunResult",
    "RunStarted",
    "TurnStarted",
    "Vote",
    "VoteCast",
    "VotesCleared",
]
