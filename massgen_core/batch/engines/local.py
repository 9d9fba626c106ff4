"""The default engine: questions run in this process, on its asyncio loop, where each agent
keeps its provider client, and its connections, from one question to the next (see
:mod:`massgen_core.plugin.clients`)."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...plugin.clients import keep_clients
from ..answer import Places, answer, worker_info

if TYPE_CHECKING:
    from ...config.model import RunConfig
    from ...host.registry import Registry
    from ..questions import Question

__all__ = ["DEFAULT_CONCURRENCY", "LocalEngine", "shares_workspaces"]

#: questions at once: model calls mostly wait on the network, but providers limit request rates
DEFAULT_CONCURRENCY = 4


def shares_workspaces(config: RunConfig) -> bool:
    """Whether the team's agents use workspaces (``cwd``, commands, context paths): in one process
    they live in the same ``.massgen/`` folder, so two questions at once would clear each other's."""
    from ...tools.toolbox import needs_workspace

    return any(needs_workspace(agent, config) for agent in config.agents)


class LocalEngine:
    """Each question is a :class:`~massgen_core.runtime.team.Team` of its own on this loop (one at a
    time when the agents use workspaces: see :func:`shares_workspaces`)."""

    name = "local"

    def __init__(
        self,
        config: RunConfig,
        places: Places,
        *,
        registry: Registry | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.config = config
        self.places = places
        self.registry = registry
        self.environ = environ
        self._worker = worker_info()
        self._clients = contextlib.AsyncExitStack()

    async def start(self) -> None:
        await self._clients.enter_async_context(keep_clients())

    def default_concurrency(self) -> int:
        return 1 if shares_workspaces(self.config) else DEFAULT_CONCURRENCY

    async def answer(self, question: Question) -> dict[str, Any]:
        return await answer(
            self.config,
            question,
            places=self.places,
            engine=self.name,
            registry=self.registry,
            environ=self.environ,
            worker=self._worker,
        )

    async def close(self) -> None:
        await self._clients.aclose()
