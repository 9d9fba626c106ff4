"""From a :class:`~massgen_core.config.RunConfig` to ready :class:`~massgen_core.agent.Agent`\\ s.

Backends are built through the registry (which imports a provider's SDK only then); each agent's
own tools come from :func:`agent_tools`, the one place that decides what an agent can run.
Today that is the Python function tools plugins offer through the ``massgen_tools`` hook (the
MCP servers they offer are not started yet); MCP servers, ``execute_command`` and workspaces
plug in there later.

An agent whose backend cannot be built (no API key, plugin broken) still gets an agent, whose
backend fails with that error on its first request: in a multi-agent run it is reported as
failed and the others carry on; alone, the run ends with that error.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from .agent import Agent
from .backend import Backend, ChatRequest
from .coordination.events import AgentInfo
from .coordination.state import label_for
from .errors import BackendError, MassgenError
from .events import StreamEvent
from .plugins import PluginHost
from .registry import Registry, get_registry
from .specs import McpServerSpec, ToolContext, ToolSpec
from .tools import FunctionTool, ToolSet
from .usage import UsageLedger

if TYPE_CHECKING:
    from .config import AgentConfig, RunConfig

__all__ = ["UnavailableBackend", "agent_infos", "agent_tools", "assembled_agents", "build_agents"]


class UnavailableBackend:
    """Stands in for a backend that could not be built: every request fails with why."""

    def __init__(self, error: MassgenError) -> None:
        self.error = error if isinstance(error, BackendError) else BackendError(str(error), retryable=False)

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        raise self.error
        yield  # pragma: no cover - makes this an async generator

    async def aclose(self) -> None:
        return None


def agent_tools(agent: AgentConfig, *, host: PluginHost) -> ToolSet:
    """The tools ``agent`` runs itself, with its ``allowed_tools`` / ``exclude_tools`` applied."""
    options = agent.backend.options
    context = ToolContext(
        agent_id=agent.id,
        backend_type=agent.backend.type,
        model=options.model,
        workspace=Path(options.cwd) if options.cwd else None,
        options=options,
    )
    offered = host.collect("massgen_tools", (ToolSpec, McpServerSpec), context=context)
    tools = [FunctionTool(spec) for _plugin, spec in offered if isinstance(spec, ToolSpec)]
    return ToolSet(tools, allowed=options.allowed_tools, excluded=options.exclude_tools)


def _build_backend(
    registry: Registry, agent: AgentConfig, config: RunConfig, environ: Mapping[str, str] | None
) -> Backend:
    try:
        return registry.build(
            agent.backend.type,
            agent.backend.options,
            timeouts=config.timeout_settings.backend_timeouts(),
            agent_id=agent.id,
            environ=environ,
        )
    except MassgenError as exc:
        return UnavailableBackend(exc)


def build_agents(
    config: RunConfig,
    *,
    registry: Registry | None = None,
    ledger: UsageLedger | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[Agent]:
    """One agent per configured agent, all recording usage into ``ledger``."""
    registry = registry or get_registry()
    ledger = ledger or UsageLedger()
    timeouts = config.timeout_settings.backend_timeouts()
    agents = []
    for agent in config.agents:
        spec = registry.spec(agent.backend.type)
        agents.append(
            Agent(
                agent.id,
                _build_backend(registry, agent, config, environ),
                tools=agent_tools(agent, host=registry.host),
                system_message=agent.system_message,
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


@asynccontextmanager
async def assembled_agents(
    config: RunConfig,
    *,
    registry: Registry | None = None,
    environ: Mapping[str, str] | None = None,
) -> AsyncIterator[list[Agent]]:
    """Build the agents, and close their backends afterwards."""
    agents = build_agents(config, registry=registry, environ=environ)
    try:
        yield agents
    finally:
        # closing one backend must not fail the others, nor hide the run's outcome
        await asyncio.gather(*(agent.aclose() for agent in agents), return_exceptions=True)
