"""The tool side of a run, as :class:`~massgen_core.runtime.coordination.milestones.RunMilestones`.

:class:`ToolboxMilestones` follows the coordination's milestones for agents that have toolboxes
(:mod:`massgen_core.tools.toolbox`):

* before an agent's turn, its read-only view of the other agents' workspaces is rebuilt from
  their snapshots, under the labels its prompt uses (``RunWorkspaces.refresh_view``);
* when an agent's turn produced a new answer, its workspace is snapshotted
  (``RunWorkspaces.save_snapshot``), before the others are shown the answer;
* during the final presentation the winner's ``permission: write`` context paths are writable,
  and its system message says so;
* :class:`ToolNotice`\\ s (a server connected, crashed, was cut off ...) become
  :class:`~massgen_core.runtime.coordination.events.AgentNotice` events. Servers connect before the
  run's event stream exists, so :class:`NoticeRelay` holds notices until the run starts.

Snapshots and views are copied off the event loop, one at a time, in the order asked: a view is
never built from a half-written snapshot, and the agents' streams go on meanwhile.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any

from ..runtime.coordination.events import AgentNotice
from ..runtime.coordination.milestones import RunMilestones
from ..runtime.coordination.prompts import agent_system_message

if TYPE_CHECKING:
    from ..config.model import RunConfig
    from ..runtime.agent import Agent
    from ..runtime.coordination.state import AnswerView
    from ..runtime.coordination.turns import Emit
    from .mcp.notices import ToolNotice
    from .toolbox import AgentToolbox
    from .workspace import RunWorkspaces

__all__ = ["NoticeRelay", "ToolboxMilestones"]


class NoticeRelay:
    """The toolboxes' notice sink: each :class:`ToolNotice` becomes an ``AgentNotice`` event.

    Until :meth:`connect` (and after :meth:`disconnect`) events are held, then sent in order.
    """

    def __init__(self) -> None:
        self._emit: Emit | None = None
        self._held: list[AgentNotice] = []

    def __call__(self, notice: ToolNotice) -> None:
        if notice.agent_id is None:  # a hub built without an agent: nobody to show it for
            return
        event = AgentNotice(agent_id=notice.agent_id, message=notice.message)
        if self._emit is None:
            self._held.append(event)
        else:
            self._emit(event)

    def connect(self, emit: Emit) -> None:
        self._emit = emit
        held, self._held = self._held, []
        for event in held:
            emit(event)

    def disconnect(self) -> None:
        self._emit = None


class ToolboxMilestones(RunMilestones):
    """Workspaces, write access and notices of a run's toolboxes (see the module docstring).

    :param config: the run's config (for each agent's configured system message).
    :param agents: the agents, whose system message is updated for the final presentation.
    :param boxes: each agent's toolbox, by agent id.
    :param workspaces: the run's directories (``None`` when no agent has a workspace).
    :param relay: the sink the toolboxes were opened with.
    """

    def __init__(
        self,
        config: RunConfig,
        agents: Sequence[Agent],
        boxes: Mapping[str, AgentToolbox],
        workspaces: RunWorkspaces | None,
        relay: NoticeRelay,
    ) -> None:
        self._base = {a.id: a.system_message for a in config.agents}
        self._agents = {a.id: a for a in agents}
        self._boxes = dict(boxes)
        self._workspaces = workspaces
        self._relay = relay
        self._files: ThreadPoolExecutor | None = None
        if workspaces is not None:
            self._files = ThreadPoolExecutor(max_workers=1, thread_name_prefix="massgen-workspaces")

    def close(self) -> None:
        """Wait for a copy in progress; drop the ones not started."""
        if self._files is not None:
            self._files.shutdown(wait=True, cancel_futures=True)

    def _has_workspace(self, agent_id: str) -> bool:
        box = self._boxes.get(agent_id)
        return box is not None and box.access is not None

    async def _in_order(self, work: Callable[..., Any], *args: Any) -> None:
        assert self._files is not None
        await asyncio.get_running_loop().run_in_executor(self._files, functools.partial(work, *args))

    # -- RunMilestones -----------------------------------------------------------------------------
    def run_started(self, emit: Emit) -> None:
        if self._workspaces is not None:  # each question of a Team starts without earlier answers
            self._workspaces.clear_answers()
        self._relay.connect(emit)

    def run_ended(self) -> None:
        self._relay.disconnect()

    async def turn_starting(self, agent_id: str, view: AnswerView) -> None:
        if self._workspaces is not None and self._has_workspace(agent_id):
            labels = {answer.agent_id: answer.label for answer in view.answers}
            await self._in_order(self._workspaces.refresh_view, agent_id, labels)

    async def answer_ready(self, agent_id: str) -> None:
        if self._workspaces is not None and self._has_workspace(agent_id):
            await self._in_order(self._workspaces.save_snapshot, agent_id)

    def final_presentation(self, agent_id: str) -> AbstractAsyncContextManager[None]:
        return self._presenting(agent_id)

    @asynccontextmanager
    async def _presenting(self, agent_id: str) -> AsyncIterator[None]:
        box = self._boxes.get(agent_id)
        if box is None:
            yield
            return
        box.begin_final_presentation()
        self._update_system_message(agent_id)
        try:
            yield
        finally:
            box.end_final_presentation()
            self._update_system_message(agent_id)

    def _update_system_message(self, agent_id: str) -> None:
        agent = self._agents.get(agent_id)
        if agent is not None:
            agent.system_message = agent_system_message(
                self._base.get(agent_id), self._boxes[agent_id].instructions()
            )
