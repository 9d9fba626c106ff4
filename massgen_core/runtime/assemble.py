"""From a :class:`~massgen_core.config.RunConfig` to ready :class:`~massgen_core.runtime.agent.Agent`\\ s.

:func:`assembled_agents` is the seam between a config and a run: it opens every agent's
toolbox (:func:`~massgen_core.tools.toolbox.open_toolboxes`: plugin tools, MCP servers,
``execute_command``, file tools, in the run's workspaces), builds the agents with those tools
and the toolbox's instructions in their system message, and gives the
:class:`~massgen_core.tools.milestones.ToolboxMilestones` the orchestrator calls at the run's milestones
(snapshots, views, the final agent's write access, tool notices).

Backends are built through the registry (which imports a provider's SDK only then). An agent
whose backend cannot be built (no API key, plugin broken) still gets an agent, whose backend
fails with that error on its first request: in a multi-agent run it is reported as failed and
the others carry on; alone, the run ends with that error. A problem with the tools (an invalid
MCP server, a command not allowed, a missing context path) is a
:class:`~massgen_core.plugin.errors.ConfigError` before any agent runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import attrs

from ..host.registry import Registry, get_registry
from ..plugin.backend import Backend, ChatRequest
from ..plugin.errors import BackendError, MassgenError
from ..plugin.stream import BackendEvent
from ..tools.milestones import NoticeRelay, ToolboxMilestones
from ..tools.toolbox import AgentToolbox, open_toolboxes, run_workspaces
from ..tools.toolset import ToolSet
from .agent import Agent
from .coordination.events import AgentInfo
from .coordination.milestones import RunMilestones
from .coordination.prompts import agent_system_message
from .coordination.state import label_for
from .usage import UsageLedger

if TYPE_CHECKING:
    from ..config.model import AgentConfig, RunConfig

__all__ = [
    "Assembled",
    "UnavailableBackend",
    "agent_infos",
    "assembled_agents",
    "build_agents",
    "secret_env_names",
]


class UnavailableBackend:
    """Stands in for a backend that could not be built: every request fails with why."""

    def __init__(self, error: MassgenError) -> None:
        self.error = error if isinstance(error, BackendError) else BackendError(str(error), retryable=False)

    async def stream(self, request: ChatRequest) -> AsyncIterator[BackendEvent]:
        raise self.error
        yield  # pragma: no cover - makes this an async generator

    async def aclose(self) -> None:
        return None


def _build_backend(
    registry: Registry,
    agent: AgentConfig,
    config: RunConfig,
    environ: Mapping[str, str] | None,
    box: AgentToolbox | None,
) -> Backend:
    try:
        return registry.build(
            agent.backend.type,
            agent.backend.options,
            timeouts=config.timeout_settings.backend_timeouts(),
            agent_id=agent.id,
            environ=environ,
            workspace=box.access.workspace if box is not None and box.access is not None else None,
            access=box.access if box is not None else None,
            allowed_tools=agent.backend.tools.allowed_tools,
            exclude_tools=agent.backend.tools.exclude_tools,
        )
    except MassgenError as exc:
        return UnavailableBackend(exc)


def build_agents(
    config: RunConfig,
    *,
    registry: Registry | None = None,
    ledger: UsageLedger | None = None,
    environ: Mapping[str, str] | None = None,
    toolboxes: Mapping[str, AgentToolbox] | None = None,
) -> list[Agent]:
    """One agent per configured agent, all recording usage into ``ledger``.

    Each agent runs the tools of its toolbox in ``toolboxes`` (none without one), and its system
    message is followed by the toolbox's instructions.
    """
    registry = registry or get_registry()
    ledger = ledger or UsageLedger()
    timeouts = config.timeout_settings.backend_timeouts()
    toolboxes = toolboxes or {}
    agents = []
    for agent in config.agents:
        spec = registry.spec(agent.backend.type)
        box = toolboxes.get(agent.id)
        agents.append(
            Agent(
                agent.id,
                _build_backend(registry, agent, config, environ, box),
                tools=box.tools if box is not None else ToolSet(),
                system_message=agent_system_message(
                    agent.system_message, box.instructions() if box is not None else None
                ),
                model=spec.model(agent.backend.options.model or spec.default_model),
                timeouts=timeouts,
                ledger=ledger,
                backend_name=agent.backend.type,
            )
        )
    return agents


def agent_infos(config: RunConfig, registry: Registry | None = None) -> dict[str, AgentInfo]:
    """How displays show each agent: label, backend type and model."""
    registry = registry or get_registry()
    infos = {}
    for i, agent in enumerate(config.agents):
        model = agent.backend.options.model or registry.spec(agent.backend.type).default_model
        infos[agent.id] = AgentInfo(
            agent_id=agent.id, label=label_for(i), backend=agent.backend.type, model=model
        )
    return infos


@attrs.frozen
class Assembled:
    """A run's agents, and the hooks the orchestrator calls (``Orchestrator(agents, hooks=hooks)``)."""

    agents: list[Agent]
    hooks: RunMilestones


def secret_env_names(registry: Registry) -> list[str]:
    """Every installed backend's API-key variables: ``execute_command`` never sees them."""
    return sorted({name for entry in registry.backends.values() for name in entry.spec.api_key_env})


@asynccontextmanager
async def assembled_agents(
    config: RunConfig,
    *,
    registry: Registry | None = None,
    environ: Mapping[str, str] | None = None,
) -> AsyncIterator[Assembled]:
    """Open the agents' toolboxes and build the agents; afterwards close their backends and
    stop their tools' servers.

    The run's workspaces (``.massgen/`` in the current directory) are made only when an agent
    needs one: it sets ``cwd``, runs commands, or there are context paths.

    :raises ConfigError: a tool problem, before any agent runs.
    """
    registry = registry or get_registry()
    relay = NoticeRelay()
    workspaces = run_workspaces(config)
    async with open_toolboxes(
        config,
        host=registry.host,
        workspaces=workspaces,
        notify=relay,
        secret_env_names=secret_env_names(registry),
    ) as boxes:
        agents = build_agents(config, registry=registry, environ=environ, toolboxes=boxes)
        hooks = ToolboxMilestones(config, agents, boxes, workspaces, relay)
        try:
            yield Assembled(agents, hooks)
        finally:
            hooks.close()
            # closing one backend must not fail the others, nor hide the run's outcome
            await asyncio.gather(*(agent.aclose() for agent in agents), return_exceptions=True)
