"""The run's milestones, for what lives around the coordination (workspaces, tools).

The orchestrator knows nothing about files or MCP servers: it calls a :class:`RunMilestones` at
each milestone, and the tool side (:class:`massgen_core.tools.milestones.ToolboxMilestones`) does its
work there. :class:`RunMilestones` itself does nothing, so coordination runs — and is tested — with
no tools at all.

Order, for one run::

    run_started(emit)                  after RunStarted: the hooks may report events from now on
      turn_starting(agent, view)       in the agent's turn task, before the model is called
      answer_ready(agent)              in the turn task, when the turn produced a new answer,
                                       before the answer is recorded and shown to the others
      async with final_presentation(winner):   around the winner's presentation
                                       (a single agent: around its direct answer)
    run_ended()                        before RunFinished: no more events from the hooks

An exception raised by ``turn_starting`` or ``answer_ready`` puts that agent out of the run
(like a crash of its turn); one raised by the others ends the run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from .state import AnswerView
from .turns import Emit

__all__ = ["RunMilestones"]


class RunMilestones:
    """Called by the :class:`~.orchestrator.Orchestrator` at the run's milestones; subclass it."""

    def run_started(self, emit: Emit) -> None:
        """The run began; ``emit`` puts an event into the run's stream (until :meth:`run_ended`)."""

    def run_ended(self) -> None:
        """Coordination and presentation are over."""

    async def turn_starting(self, agent_id: str, view: AnswerView) -> None:
        """``agent_id`` is about to work on ``view`` (the answers its prompt shows)."""

    async def answer_ready(self, agent_id: str) -> None:
        """``agent_id``'s turn ended with a new answer, about to be shown to the others."""

    def final_presentation(self, agent_id: str) -> AbstractAsyncContextManager[None]:
        """Entered while ``agent_id`` gives the final answer."""
        return _nothing()


@asynccontextmanager
async def _nothing() -> AsyncIterator[None]:
    yield
