"""What displays show, kept up to date from the coordination events.

:class:`Board` folds the event stream into one :class:`AgentView` per agent (status, the tail of
what it is streaming, its tool activity) plus the run's outcome. Displays only read it, so the
rich and the plain display agree on what happened. Appending a chunk is cheap (a list append,
joined only when a display reads it): it runs for every streamed chunk.

An agent's status follows from the events alone, by :func:`status_changes`, which reads an
event's run-log record, so a view that only has the records (the web view, replaying a log)
applies the same rules: ``turn_started`` makes its agent *working*, ``answer`` *answered*,
``vote`` *voted*, ``agent_failed`` *failed*, ``presentation_started`` *presenting*;
``votes_cleared`` makes each voter whose vote it cleared *reconsidering*; ``run_started`` makes
every agent *working* when one agent answers directly (else they are *waiting*), and
``run_finished`` every agent that has not failed *done*.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import attrs

from ..plugin.stream import (
    BuiltinToolActivity,
    Done,
    ReasoningDelta,
    ReasoningSummaryDelta,
    Restart,
    TextDelta,
    ToolCall,
    ToolResult,
)
from ..records.runlog import event_record
from ..runtime.coordination.events import (
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
)
from ..runtime.coordination.result import RunResult

__all__ = ["EVERY_AGENT", "AgentStatus", "AgentView", "Board", "Tail", "status_changes"]

AgentStatus = Literal[
    "waiting", "working", "answered", "voted", "reconsidering", "failed", "presenting", "done"
]

_KEEP = 6000  # characters of streamed text kept per agent
_PIECES = 64  # streamed pieces kept before they are joined
_ACTIVITY = 4  # tool activity lines kept per agent


#: in :func:`status_changes`: every agent that has not failed
EVERY_AGENT = "*"
_STATUS_OF_ITS_AGENT: Mapping[str, AgentStatus] = {
    "turn_started": "working",
    "answer": "answered",
    "vote": "voted",
    "agent_failed": "failed",
    "presentation_started": "presenting",
}


def status_changes(record: Mapping[str, Any]) -> list[tuple[str, AgentStatus]]:
    """The statuses a run-log record (see :func:`~massgen_core.events.event_record`) gives:
    ``(agent id, status)`` pairs, in order; the agent id :data:`EVERY_AGENT` means every agent
    that has not failed. The rules are in the module docstring."""
    kind = str(record.get("kind"))
    if kind in _STATUS_OF_ITS_AGENT:
        return [(record["agent_id"], _STATUS_OF_ITS_AGENT[kind])]
    if kind == "votes_cleared":
        return [(voter, "reconsidering") for voter in record["voters"]]
    if kind == "run_started" and record.get("mode") == "single":
        return [(EVERY_AGENT, "working")]
    if kind == "run_finished":
        return [(EVERY_AGENT, "done")]
    return []


def _clip(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Tail:
    """The last characters of a growing text; appending is amortised O(1) (pieces are joined in batches).

    :meth:`mark` notes where a reply begins; :meth:`rewind` drops what was appended since (a
    reply the core retries after it broke off)."""

    __slots__ = ("_mark", "_pieces", "_size", "_total")

    def __init__(self) -> None:
        self._pieces: list[str] = []
        self._size = 0
        self._total = 0  # characters ever appended
        self._mark = 0

    def append(self, text: str) -> None:
        self._pieces.append(text)
        self._size += len(text)
        self._total += len(text)
        if len(self._pieces) > _PIECES or self._size > 2 * _KEEP:
            self._compact()  # few live objects: a long list of small strings would burden the GC

    def _compact(self) -> str:
        joined = "".join(self._pieces)[-_KEEP:]
        self._pieces = [joined] if joined else []
        self._size = len(joined)
        return joined

    def mark(self) -> None:
        self._mark = self._total

    def rewind(self) -> None:
        """Drop the text appended since :meth:`mark` (all of it, if more than is kept)."""
        joined = self._compact()
        keep = joined[: max(0, len(joined) - (self._total - self._mark))]
        self._pieces = [keep] if keep else []
        self._size = len(keep)
        self._total = self._mark

    @property
    def text(self) -> str:
        return self._compact()

    def __bool__(self) -> bool:
        return self._size > 0


@attrs.define
class AgentView:
    """One agent as displays show it."""

    info: AgentInfo
    status: AgentStatus = "waiting"
    round: int = 0
    text: Tail = attrs.field(factory=Tail)
    reasoning: Tail = attrs.field(factory=Tail)
    activity: tuple[str, ...] = ()
    answers: int = 0
    voted_for: str | None = None
    note: str = ""
    #: why it is out (``AgentFailed.error_kind``: ``authentication``, ``timeout`` ...)
    failure: str | None = None

    def new_turn(self) -> None:
        self.text = Tail()
        self.reasoning = Tail()
        self.activity = ()

    def add_activity(self, line: str) -> None:
        self.activity = (*self.activity[-(_ACTIVITY - 1) :], line)


class Board:
    """The display state of one run."""

    def __init__(self) -> None:
        self.question = ""
        self.mode = "coordination"
        self.planning_mode = False
        self.agents: dict[str, AgentView] = {}
        self.summary = ""
        self.result: RunResult | None = None

    def label(self, agent_id: str) -> str:
        view = self.agents.get(agent_id)
        return view.info.label if view else agent_id

    def apply(self, event: CoordinationEvent) -> None:
        if isinstance(event, AgentOutput):
            self._output(event)
            return
        if isinstance(event, RunStarted):
            self.question, self.mode, self.planning_mode = event.question, event.mode, event.planning_mode
            self.agents = {a.agent_id: AgentView(info=a) for a in event.agents}
        elif isinstance(event, TurnStarted):
            view = self.agents[event.agent_id]
            view.new_turn()
            view.round = event.round
            view.voted_for = None
        elif isinstance(event, AnswerSubmitted):
            view = self.agents[event.agent_id]
            view.answers = event.revision
            view.note = f"answer {event.revision} given as {event.label}"
        elif isinstance(event, VoteCast):
            view = self.agents[event.agent_id]
            view.voted_for = event.target_label
            view.note = f"voted for {event.target_label}: {_clip(event.reason, 60)}"
        elif isinstance(event, AgentNotice):
            self.agents[event.agent_id].note = event.message
        elif isinstance(event, AgentFailed):
            view = self.agents[event.agent_id]
            view.note = f"{event.error_kind}: {event.reason}"
            view.failure = event.error_kind
        elif isinstance(event, CoordinationEnded):
            self.summary = event.summary
        elif isinstance(event, PresentationStarted):
            self.agents[event.agent_id].new_turn()
        elif isinstance(event, RunFinished):
            self.result = event.result
            self.summary = event.result.summary
        self._set_statuses(event)

    def _set_statuses(self, event: CoordinationEvent) -> None:
        if isinstance(event, RunFinished):  # its record has the whole result: skip making it
            changes: list[tuple[str, AgentStatus]] = [(EVERY_AGENT, "done")]
        else:
            changes = status_changes(event_record(event))
        for agent_id, status in changes:
            if agent_id != EVERY_AGENT:
                if agent_id in self.agents:
                    self.agents[agent_id].status = status
                continue
            for view in self.agents.values():
                if view.status != "failed":
                    view.status = status

    def _output(self, event: AgentOutput) -> None:
        view = self.agents.get(event.agent_id)
        if view is None:
            return
        inner = event.event
        if isinstance(inner, TextDelta):
            view.text.append(inner.text)
        elif isinstance(inner, ReasoningDelta | ReasoningSummaryDelta):
            view.reasoning.append(inner.text)
        elif isinstance(inner, ToolCall):
            view.add_activity(f"→ {inner.call.name}({_clip(str(dict(inner.call.arguments)), 50)})")
        elif isinstance(inner, ToolResult):
            outcome = "error" if inner.is_error else "ok"
            view.add_activity(f"← {inner.name} {outcome}: {_clip(inner.output, 50)}")
            view.text.mark()  # a new reply follows the tool results
            view.reasoning.mark()
        elif isinstance(inner, Done):
            view.text.mark()
            view.reasoning.mark()
        elif isinstance(inner, Restart):  # the broken reply's text is dropped; the retry streams anew
            view.text.rewind()
            view.reasoning.rewind()
            view.add_activity(f"↻ retrying a reply that broke off: {_clip(inner.reason, 50)}")
        elif isinstance(inner, BuiltinToolActivity):
            what = inner.query or inner.code  # the search, or the code it runs
            line = f"⚙ {inner.tool} {inner.status}{': ' + _clip(what, 40) if what else ''}"
            view.add_activity(line + (f" → {_clip(inner.output, 60)}" if inner.output else ""))
