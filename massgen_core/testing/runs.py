"""Running a team in a test and seeing what the live display shows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..runtime.coordination.result import RunResult

__all__ = ["run_watched"]


def run_watched(config: Any, question: str, **kwargs: Any) -> tuple[RunResult, dict[str, list[str]]]:
    """``massgen_core.run_sync(config, question)``, watched by the live display's model: returns
    the result and, per agent, every activity line its panel showed during the run (tool calls
    and results, provider tools with their code and output, notices)."""
    from ..display.board import Board
    from ..runtime.api import run_sync
    from ..runtime.coordination.events import AgentOutput, CoordinationEvent

    board = Board()
    shown: dict[str, list[str]] = {}

    def on_event(event: CoordinationEvent) -> None:
        board.apply(event)
        if isinstance(event, AgentOutput):
            lines = shown.setdefault(event.agent_id, [])
            lines.extend(line for line in board.agents[event.agent_id].activity if line not in lines)

    result = run_sync(config, question, on_event=on_event, **kwargs)
    return result, shown
