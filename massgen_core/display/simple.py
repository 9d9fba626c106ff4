"""Plain progress lines (``ui.display_type: simple``, and ``--no-display`` on stderr).

:class:`ProgressLines` says each coordination step in one line; :class:`SimpleDisplay` prints
them, then the summary table. (``massgen serve`` streams the same lines to clients that ask
for the coordination's progress.)
"""

from __future__ import annotations

from typing import IO

from ..cli.format import format_table, terminal_width
from ..plugin.stream import Restart
from ..runtime.coordination.events import (
    AgentFailed,
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
from .board import Board
from .summary import COLUMNS, fits, stacked_rows, summary_rows

__all__ = ["ProgressLines", "SimpleDisplay"]


def _first_line(text: str, limit: int = 100) -> str:
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


class ProgressLines:
    """One line per coordination step (``None`` for the events that are not one: streamed
    text, usage, the end of the run). Feed it every event of a run, in order."""

    def __init__(self) -> None:
        self.board = Board()

    def line(self, event: CoordinationEvent) -> str | None:
        self.board.apply(event)
        if isinstance(event, AgentOutput):
            if isinstance(event.event, Restart):
                return f"[{event.agent_id}] reply broke off, retrying: {_first_line(event.event.reason)}"
            return None
        if isinstance(event, RunStarted):
            who = ", ".join(
                f"{a.agent_id} ({a.backend}{'/' + a.model if a.model else ''})" for a in event.agents
            )
            planning = ", planning mode" if event.planning_mode else ""
            return f"massgen: {len(event.agents)} agent(s){planning}: {who}"
        if isinstance(event, TurnStarted):
            return f"[{event.agent_id}] round {event.round}: working ({event.answers_seen} answer(s) in view)"
        if isinstance(event, AnswerSubmitted):
            return (
                f"[{event.agent_id}] answer {event.revision} as {event.label}: {_first_line(event.content)}"
            )
        if isinstance(event, VoteCast):
            return f"[{event.agent_id}] voted for {event.target_label} ({event.target_id}): {event.reason}"
        if isinstance(event, VotesCleared):
            voters = ", ".join(event.voters)
            by = event.by_agent_id
            return f"[{by}] new answer from {self.board.label(by)}: {voters} reconsider"
        if isinstance(event, AgentNotice):
            return f"[{event.agent_id}] {event.message}"
        if isinstance(event, AgentFailed):
            return f"[{event.agent_id}] FAILED ({event.error_kind}): {event.reason}"
        if isinstance(event, CoordinationEnded):
            return f"coordination ended: {event.summary}"
        if isinstance(event, PresentationStarted):
            return f"[{event.agent_id}] presenting the final answer"
        return None


class SimpleDisplay:
    """One line per coordination step; no streamed text."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.lines = ProgressLines()

    def _line(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def handle(self, event: CoordinationEvent) -> None:
        line = self.lines.line(event)
        if line is not None:
            self._line(line)
        elif isinstance(event, RunFinished):
            rows = summary_rows(self.lines.board, event.result)
            if not self.stream.isatty() or fits(rows, terminal_width()):  # a file or pipe: no width
                self._line(format_table(COLUMNS, rows))
            else:  # a narrow terminal: one line per agent instead of a table that wraps
                self._line("\n".join(f"{agent}: {pairs}" for agent, pairs in stacked_rows(rows)))
            self._line(event.result.summary)

    def close(self) -> None:
        self.stream.flush()
