"""What a run reports while it goes: the events of :func:`massgen_core.coordinate`, for your own
display, log or server.

A run yields :class:`RunStarted` first and :class:`RunFinished` (with the
:class:`~massgen_core.RunResult`) last. In between: each agent's turns (:class:`TurnStarted`),
what it streams (:class:`AgentOutput`, whose ``event`` is a :class:`TextDelta`,
:class:`ReasoningDelta`, :class:`ReasoningSummaryDelta`, a tool call or result, :class:`Usage`,
or a :class:`Restart` when a reply that broke off is retried, dropping what it had streamed),
its answers (:class:`AnswerSubmitted`) and votes (:class:`VoteCast`, :class:`VotesCleared`),
notices and failures, the end of coordination (:class:`CoordinationEnded`) and the winner's
presentation (:class:`PresentationStarted`, then its ``AgentOutput`` with ``phase ==
"presentation"``; ``"answer"`` when a single agent answers directly). The result's
``final_answer`` is what the user gets: the presentation, unless it was set aside for the
winning answer as given (``RunResult.presented`` is then false and ``summary`` says why).

:func:`event_record` turns any event into the plain JSON-ready data the run log writes;
:class:`ProgressLines` says each step in one line, as ``ui.display_type: simple`` prints it;
:func:`status_changes` says how a record changes the agents' statuses (*working*, *voted*...),
the rules every display follows.
"""

from __future__ import annotations

from .display.board import EVERY_AGENT, AgentStatus, status_changes
from .display.simple import ProgressLines
from .plugin.stream import (
    BuiltinToolActivity,
    ReasoningDelta,
    ReasoningSummaryDelta,
    Restart,
    StreamError,
    TextDelta,
    ToolCall,
    ToolResult,
    Usage,
)
from .records.runlog import event_record
from .runtime.coordination.events import (
    AgentFailed,
    AgentInfo,
    AgentNotice,
    AgentOutput,
    AnswerSubmitted,
    CoordinationEnded,
    CoordinationEvent,
    Phase,
    PresentationStarted,
    RunFinished,
    RunStarted,
    TurnStarted,
    VoteCast,
    VotesCleared,
)

__all__ = [
    "EVERY_AGENT",
    "AgentFailed",
    "AgentInfo",
    "AgentNotice",
    "AgentOutput",
    "AgentStatus",
    "AnswerSubmitted",
    "BuiltinToolActivity",
    "CoordinationEnded",
    "CoordinationEvent",
    "Phase",
    "PresentationStarted",
    "ProgressLines",
    "ReasoningDelta",
    "ReasoningSummaryDelta",
    "Restart",
    "RunFinished",
    "RunStarted",
    "StreamError",
    "TextDelta",
    "ToolCall",
    "ToolResult",
    "TurnStarted",
    "Usage",
    "VoteCast",
    "VotesCleared",
    "event_record",
    "status_changes",
]
