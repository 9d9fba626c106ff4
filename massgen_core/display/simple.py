"""Plain progress lines (``ui.display_type: simple``, and ``--no-display`` on stderr)."""

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

__all__ = ["SimpleDisplay"]


def _first_line(text: str, limit: int = 100) -> str:
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


class SimpleDisplay:
    """One line per coordination step; no streamed text."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.board = Board()

    def _line(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def handle(self, event: CoordinationEvent) -> None:
        self.board.apply(event)
        if isinstance(event, AgentOutput):
            if isinstance(event.event, Restart):
                self._line(f"[{event.agent_id}] reply broke off, retrying: {_first_line(event.event.reason)}")
            return
        label = self.board.label
        if isinstance(event, RunStarted):
            who = ", ".join(
                f"{a.agent_id} ({a.backend}{'/' + a.model if a.model else ''})" for a in event.agents
            )
            planning = ", planning mode" if event.planning_mode else ""
            self._line(f"massgen: {len(event.agents)} agent(s){planning}: {who}")
        elif isinstance(event, TurnStarted):
            self._line(
                f"[{event.agent_id}] round {event.round}: working ({event.answers_seen} answer(s) in view)"
            )
        elif isinstance(event, AnswerSubmitted):
            self._line(
                f"[{event.agent_id}] answer {event.revision} as {event.label}: {_first_line(event.content)}"
            )
        elif isinstance(event, VoteCast):
            self._line(
                f"[{event.agent_id}] voted for {event.target_label} ({event.target_id}): {event.reason}"
            )
        elif isinstance(event, VotesCleared):
            voters = ", ".join(event.voters)
            self._line(
                f"[{event.by_agent_id}] new answer from {label(event.by_agent_id)}: {voters} reconsider"
            )
        elif isinstance(event, AgentNotice):
            self._line(f"[{event.agent_id}] {event.message}")
        elif isinstance(event, AgentFailed):
            self._line(f"[{event.agent_id}] FAILED ({event.error_kind}): {event.reason}")
        elif isinstance(event, CoordinationEnded):
            self._line(f"coordination ended: {event.summary}")
        elif isinstance(event, PresentationStarted):
            self._line(f"[{event.agent_id}] presenting the final answer")
        elif isinstance(event, RunFinished):
            rows = summary_rows(self.board, event.result)
            if not self.stream.isatty() or fits(rows, terminal_width()):  # a file or pipe: no width
                self._line(format_table(COLUMNS, rows))
            else:  # a narrow terminal: one line per agent instead of a table that wraps
                self._line("\n".join(f"{agent}: {pairs}" for agent, pairs in stacked_rows(rows)))
            self._line(event.result.summary)

    def close(self) -> None:
        self.stream.flush()
