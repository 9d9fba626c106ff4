"""Displays: show a run's coordination events to people.

``rich_terminal`` (live panels per agent), ``simple`` (plain progress lines) and ``silent``.
A display has ``handle(event)`` for every event and ``close()`` (also called after an error
or Ctrl-C, to leave the terminal clean).
"""

from __future__ import annotations

import sys
from typing import IO, TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from ..runtime.coordination.events import CoordinationEvent

__all__ = ["Display", "DisplayType", "SilentDisplay", "make_display"]

DisplayType = Literal["rich_terminal", "simple", "silent"]


class Display(Protocol):
    def handle(self, event: CoordinationEvent) -> None: ...

    def close(self) -> None: ...


class SilentDisplay:
    """Shows nothing."""

    def handle(self, event: CoordinationEvent) -> None:
        return None

    def close(self) -> None:
        return None


def make_display(kind: DisplayType, *, stream: IO[str] | None = None) -> Display:
    """The display ``kind``, writing to ``stream`` (default stdout)."""
    stream = stream or sys.stdout
    if kind == "silent":
        return SilentDisplay()
    if kind == "simple":
        from .simple import SimpleDisplay

        return SimpleDisplay(stream)
    from rich.console import Console

    from .rich_display import RichDisplay

    return RichDisplay(Console(file=stream))
