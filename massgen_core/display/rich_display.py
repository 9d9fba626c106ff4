"""The live terminal display (``ui.display_type: rich_terminal``).

A panel per agent shows its state (working, answered, voted, failed…), the tail of what it is
streaming (reasoning dimmed), and its latest tool activity. Drawing happens in the event loop's
thread (no refresh thread), at most 4 times a second and within about 5 % of the CPU, so
streaming a chunk costs only the board update.
At the end it prints the summary table of answers, votes, tokens and cost.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..runtime.coordination.events import CoordinationEvent, RunFinished
from .board import AgentStatus, AgentView, Board
from .summary import COLUMNS, fits, stacked_rows, summary_rows

__all__ = ["RichDisplay"]

_CPU_SHARE = 20  # wait at least this many times a frame's drawing time before the next one

_STYLE: dict[AgentStatus, str] = {
    "waiting": "dim",
    "working": "cyan",
    "answered": "green",
    "voted": "magenta",
    "reconsidering": "yellow",
    "failed": "bold red",
    "presenting": "bold cyan",
    "done": "green",
}


def _tail(text: str, console: Console, width: int, lines: int, style: str = "") -> Text:
    """The last ``lines`` lines of ``text`` wrapped at ``width``."""
    if lines <= 0 or not text:
        return Text()
    wrapped = Text(text[-width * lines * 2 :], style=style).wrap(console, max(width, 1))
    return Text("\n", style=style).join(list(wrapped)[-lines:])


class RichDisplay:
    """Live panels while the run goes, a summary table at the end."""

    def __init__(self, console: Console | None = None, *, refresh_interval: float = 0.25) -> None:
        self.console = console or Console()
        self.board = Board()
        self.refresh_interval = refresh_interval
        self._live: Live | None = None
        self._next_refresh = 0.0

    # -- rendering ----------------------------------------------------------------------------
    def _panel(self, view: AgentView, width: int, height: int) -> Panel:
        body_width = max(width - 4, 10)
        status = view.status + (f" → {view.voted_for}" if view.status == "voted" and view.voted_for else "")
        parts: list[RenderableType] = []
        budget = max(height - 2 - len(view.activity) - (1 if view.note else 0), 1)
        reasoning_lines = min(budget // 3, 3) if view.reasoning else 0
        if reasoning_lines:
            parts.append(_tail(view.reasoning.text, self.console, body_width, reasoning_lines, "dim italic"))
        parts.append(_tail(view.text.text, self.console, body_width, budget - reasoning_lines))
        parts.extend(Text(line, style="blue", overflow="ellipsis", no_wrap=True) for line in view.activity)
        if view.note:
            parts.append(Text(view.note, style="yellow", overflow="ellipsis", no_wrap=True))
        title = f"[bold]{view.info.agent_id}[/] ({view.info.label}, {view.info.backend})"
        subtitle = f"[{_STYLE[view.status]}]{status}[/]" + (f" · round {view.round}" if view.round else "")
        return Panel(
            Group(*parts), title=title, subtitle=subtitle, height=height, border_style=_STYLE[view.status]
        )

    def render(self) -> RenderableType:
        """The live view: header and one panel per agent."""
        board = self.board
        count = max(len(board.agents), 1)
        columns = min(count, 3 if self.console.width >= 120 else 2 if self.console.width >= 80 else 1)
        rows = math.ceil(count / columns)
        height = max(5, min(14, (self.console.height - 4) // rows))
        width = self.console.width // columns
        grid = Table.grid(expand=True)
        for _ in range(columns):
            grid.add_column(ratio=1)
        panels = [self._panel(v, width, height) for v in board.agents.values()]
        for start in range(0, len(panels), columns):
            row = panels[start : start + columns]
            grid.add_row(*row, *([""] * (columns - len(row))))
        mode = "planning mode · " if board.planning_mode else ""
        header = Text.assemble(
            ("MassGen ", "bold"), (f"{mode}{count} agent(s) · ", "dim"), board.question[:200]
        )
        return Group(header, grid)

    def summary_table(self) -> Table:
        assert self.board.result is not None
        rows: Sequence[Sequence[str]] = summary_rows(self.board, self.board.result)
        table = Table(title="Agents", title_justify="left")
        if fits(rows, self.console.width):
            for name in COLUMNS:
                table.add_column(
                    name, justify="right" if name in ("answers", "votes", "requests", "cost") else "left"
                )
        else:  # a narrow terminal: one wrapped line per agent instead of every cell cut
            table.add_column("agent", no_wrap=True)
            table.add_column("result", overflow="fold")
            rows = stacked_rows(rows)
        for row in rows[:-1]:
            table.add_row(*row)
        table.add_row(*rows[-1], style="bold")
        return table

    # -- events -------------------------------------------------------------------------------
    def handle(self, event: CoordinationEvent) -> None:
        self.board.apply(event)
        if self._live is None and event.kind == "run_started":
            self._live = Live(console=self.console, auto_refresh=False, transient=False)
            self._live.start()
        if isinstance(event, RunFinished):
            self.close()
            self.console.print(self.summary_table())
            self.console.print(Text(event.result.summary, style="bold"))
            self.console.rule(f"final answer · {event.result.winner}")
            return
        now = time.monotonic()
        if self._live is not None and now >= self._next_refresh:
            self._live.update(self.render(), refresh=True)
            spent = time.monotonic() - now
            # at most 4 frames a second, and never more than ~5 % of the CPU on drawing
            self._next_refresh = now + max(self.refresh_interval, _CPU_SHARE * spent)

    def close(self) -> None:
        """Show the last state and stop the live view (also after an error or Ctrl-C)."""
        if self._live is not None:
            self._live.update(self.render(), refresh=True)
            self._live.stop()
            self._live = None
