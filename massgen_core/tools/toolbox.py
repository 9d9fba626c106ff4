"""Everything an agent can run, in one place: :func:`agent_toolbox`.

::

    workspaces = RunWorkspaces.from_config(config)          # when any agent needs files
    async with agent_toolbox(agent_config, host=host, access=workspaces.access(agent_config.id),
                             notify=on_notice) as box:
        Agent(agent_config.id, backend, tools=box.tools, ...)
        ...
        box.begin_final_presentation()    # the winner, before presenting
        box.end_final_presentation()

The toolbox gathers, for one agent:

* the Python function tools plugins offer through the ``massgen_tools`` hook;
* the MCP servers of the ``mcp_servers`` option and those plugins offer (checked against the
  launch policy before anything starts: a :class:`~massgen_core.plugin.errors.ConfigError`);
* ``execute_command`` (``enable_mcp_command_line``), served by MassGen's own MCP server;
* file tools for its workspace and the context paths: the built-in ones
  (``filesystem_tools: builtin``, the default; none for a backend that declares
  ``filesystem_native``, whose own file tools work there under the same rules), or
  ``@modelcontextprotocol/server-filesystem`` (``filesystem_tools: mcp``), or none (``off``);

with the backend's ``allowed_tools`` / ``exclude_tools`` applied. Every write path checks the
agent's :class:`~massgen_core.tools.workspace.AgentAccess`, whose phase decides whether write context
paths are writable (only for the final agent, only during its presentation).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ..host.registry import get_registry
from ..plugin.errors import ConfigError, ToolError
from ..plugin.options import command_words
from ..plugin.specs import McpServerSpec, ToolContext, ToolSpec
from .mcp.hub import McpHub
from .mcp.notices import NoticeSink
from .mcp.servers import ServerEntry, bind_workspace, entry_from_spec, mentions_workspace, parse_mcp_servers
from .mcp.settings import McpSettings
from .toolset import FunctionTool, Tool, ToolSet

if TYPE_CHECKING:
    from ..config.model import AgentConfig, RunConfig
    from ..host.plugin_host import PluginHost, ProblemSink
    from ..host.registry import Registry
    from .workspace import AgentAccess, RunWorkspaces

__all__ = ["AgentToolbox", "agent_toolbox", "needs_workspace", "open_toolboxes", "run_workspaces"]


class AgentToolbox:
    """An agent's tools (:attr:`tools`) and the permissions they run under (:attr:`access`)."""

    def __init__(self, agent_id: str, tools: ToolSet, access: AgentAccess | None, hub: McpHub) -> None:
        self.agent_id = agent_id
        self.tools = tools
        self.access = access
        self.hub = hub

    def begin_final_presentation(self) -> None:
        """The agent presents the final answer: its write context paths become writable."""
        if self.access is not None:
            self.access.begin_final_presentation()

    def end_final_presentation(self) -> None:
        if self.access is not None:
            self.access.end_final_presentation()

    def instructions(self) -> str:
        """What to tell the model about its files and commands (empty when it has none)."""
        if self.access is None:
            return ""
        rules = self.access.rules()
        lines = [
            "## Files",
            f"Your workspace (read-write; relative paths start here): {self.access.workspace}",
        ]
        for root in rules.roots:
            if root.kind == "snapshots":
                lines.append(
                    f"The other agents' latest workspaces (read-only copies, by answer label): {root.path}"
                )
            elif root.kind == "context":
                mode = "read-write" if root.writable else f"read-only ({root.note})"
                lines.append(f"Context path {root.path}: {mode}")
                lines += [f"  protected, never modify or delete: {p}" for p in root.protected]
        if "mcp__command_line__execute_command" in self.tools:
            lines += [
                "## Command execution",
                "Use mcp__command_line__execute_command to run shell commands; they run in your workspace "
                "and can write only where you may write. In a directory that holds a protected path, "
                "commands cannot create or delete entries: use write_file there.",
            ]
        return "\n".join(lines)


def runs_commands(agent: AgentConfig) -> bool:
    """Whether the agent gets ``execute_command``: ``enable_mcp_command_line``, or a backend that
    runs commands itself through it (``BackendOptions.runs_commands``: AG2's code executors)."""
    return bool(agent.backend.tools.enable_mcp_command_line or agent.backend.options.runs_commands)


def needs_workspace(agent: AgentConfig, config: RunConfig | None = None) -> bool:
    """Whether the agent gets a workspace: it sets ``cwd``, runs commands, an MCP server's arguments
    name it (``${cwd}``), or there are context paths."""
    options = agent.backend.tools
    has_context = config is not None and bool(config.orchestrator.context_paths)
    return bool(options.cwd or runs_commands(agent) or has_context or mentions_workspace(options.mcp_servers))


def run_workspaces(config: RunConfig) -> RunWorkspaces | None:
    """The run's directories (``RunWorkspaces.from_config``) when any agent needs a workspace."""
    if not any(needs_workspace(agent, config) for agent in config.agents):
        return None
    from .workspace import RunWorkspaces

    return RunWorkspaces.from_config(config)


def _model_of(agent: AgentConfig, host: PluginHost, registry: Registry | None) -> str | None:
    """The agent's model: its ``model``, else its backend's ``default_model``."""
    registry = registry or get_registry(host)
    if agent.backend.type not in registry.backends:
        return agent.backend.options.model
    return registry.model_for(agent.backend.type, agent.backend.options)


def _has_own_file_tools(agent: AgentConfig, host: PluginHost, registry: Registry | None) -> bool:
    """Whether the agent's backend declares ``filesystem_native`` (file tools of its own, e.g.
    Claude Code's): MassGen's built-in file tools would only duplicate them."""
    registry = registry or get_registry(host)
    if agent.backend.type not in registry.backends:
        return False
    model = _model_of(agent, host, registry)
    return "filesystem_native" in registry.capabilities(agent.backend.type, model)


def _report_tool_hook_problem(agent_id: str) -> ProblemSink:
    """Where a failing ``massgen_tools`` hook is reported at run time: a warning on stderr and in
    the run's ``massgen.log.jsonl`` (the traceback at debug level: ``--debug``), or a Python
    warning when the application did not configure logging."""

    def report(plugin: str, message: str, exc: BaseException | None) -> None:
        import structlog

        text = f"plugin {plugin!r}: {message}; agent {agent_id!r} runs without the tools it offers"
        if not structlog.is_configured():
            import warnings

            warnings.warn(text, RuntimeWarning, stacklevel=2)
            return
        log = structlog.get_logger("massgen.plugins")
        log.warning(text, plugin=plugin, agent=agent_id)
        if exc is not None:
            log.debug(f"plugin {plugin!r}: the traceback of the failing hook", exc_info=exc)

    return report


def _offered(
    agent: AgentConfig, host: PluginHost, access: AgentAccess | None, registry: Registry | None = None
) -> tuple[list[Tool], list[ServerEntry]]:
    options = agent.backend.options
    cwd = agent.backend.tools.cwd
    context = ToolContext(
        agent_id=agent.id,
        backend_type=agent.backend.type,
        model=_model_of(agent, host, registry),
        workspace=access.workspace if access is not None else (Path(cwd) if cwd else None),
        options=options,
    )
    tools: list[Tool] = []
    servers: list[ServerEntry] = []
    offered = host.collect(
        "massgen_tools",
        (ToolSpec, McpServerSpec),
        on_problem=_report_tool_hook_problem(agent.id),
        context=context,
    )
    for plugin, item in offered:
        if isinstance(item, ToolSpec):
            tools.append(FunctionTool(item))
        else:
            servers.append(entry_from_spec(item, f"plugin {plugin!r} server {item.name!r}"))
    return tools, servers


def _builtin_servers(
    agent: AgentConfig,
    access: AgentAccess | None,
    origin: str,
    source: str | None,
    secret_env_names: Iterable[str],
    environ: Mapping[str, str] | None,
) -> list[ServerEntry]:
    options = agent.backend.tools
    entries: list[ServerEntry] = []
    if runs_commands(agent):
        if access is None:
            raise ConfigError(
                f"{origin}.enable_mcp_command_line: execute_command needs a workspace for the agent"
            )
        from .commands import command_line_server

        entries.append(
            command_line_server(
                access,
                options,
                origin=origin,
                source=source,
                secret_values=[agent.backend.options.api_key] if agent.backend.options.api_key else [],
                secret_env_names=secret_env_names,
                environ=environ,
            )
        )
    if access is not None and options.filesystem_tools == "mcp":
        from .workspace.filesystem_server import DEFAULT_COMMAND, filesystem_server

        command = command_words("filesystem_mcp_command", options.filesystem_mcp_command)
        entries.append(filesystem_server(access, command or DEFAULT_COMMAND))
    return entries


@asynccontextmanager
async def agent_toolbox(
    agent: AgentConfig,
    *,
    host: PluginHost,
    access: AgentAccess | None = None,
    notify: NoticeSink | None = None,
    origin: str | None = None,
    source: str | None = None,
    secret_env_names: Iterable[str] = (),
    environ: Mapping[str, str] | None = None,
    stderr_dir: Path | None = None,
    registry: Registry | None = None,
) -> AsyncIterator[AgentToolbox]:
    """Build the agent's complete :class:`ToolSet`, start its MCP servers; stop them on exit.

    :param agent: the agent's config (its backend options hold the tool keys).
    :param host: the plugin host (``massgen_tools`` hook). A hook that raises or returns
        something else than tool and server specs is reported (a warning naming the plugin) and
        its tools are left out; the agent still runs.
    :param access: the agent's permissions (``RunWorkspaces.access(agent.id)``); ``None`` when it
        has no workspace (then it gets no file tools and no ``execute_command``).
    :param notify: receives :class:`~massgen_core.tools.mcp.ToolNotice` objects (server connected,
        crashed, hung, circuit opened ...) for the display; must not block.
    :param origin: the config path of the backend block, for messages (``"agents[0].backend"``).
    :param source: the config file, for messages.
    :param secret_env_names: env vars ``execute_command`` must not see (every backend's API-key
        variables); names that look like secrets are dropped anyway.
    :param environ: the environment to scrub for ``execute_command`` (default ``os.environ``).
    :param stderr_dir: where MCP servers' stderr goes (default: temporary files).
    :param registry: resolves the agent's model when the config leaves it to the backend's
        ``default_model`` (:attr:`ToolContext.model`); default: the registry of ``host``.
    :raises ConfigError: an invalid ``mcp_servers`` entry or command pattern, a server command
        that is not allowed or not found, a bad URL, two tools with one name — before any server
        starts.
    """
    origin = origin or f"agent {agent.id!r}: backend"
    options = agent.backend.tools
    function_tools, plugin_servers = _offered(agent, host, access, registry)
    configured = parse_mcp_servers(options.mcp_servers, path=f"{origin}.mcp_servers", source=source)
    if access is not None:  # ${cwd} in a server's args, env and cwd: the agent's workspace (MassGen's)
        configured = [bind_workspace(entry, str(access.workspace)) for entry in configured]
    entries = [*configured, *plugin_servers]
    builtin = _builtin_servers(agent, access, origin, source, secret_env_names, environ)
    taken = {e.name for e in entries}
    for entry in builtin:
        if entry.name in taken:
            raise ConfigError(
                f"{origin}.mcp_servers: the server name {entry.name!r} is MassGen's own "
                f"({entry.origin.rsplit('.', 1)[-1]}); rename your server"
            )
    entries += builtin
    file_tools: list[Tool] = []
    if (
        access is not None
        and options.filesystem_tools == "builtin"
        and not _has_own_file_tools(agent, host, registry)
    ):
        from .workspace.file_tools import file_tools as make_file_tools

        file_tools = make_file_tools(access)
    async with McpHub(
        entries,
        settings=McpSettings.from_options(options),
        agent_id=agent.id,
        notify=notify,
        stderr_dir=stderr_dir,
        source=source,
    ) as hub:
        try:
            tools = ToolSet(
                [*function_tools, *file_tools, *hub.tools],
                allowed=options.allowed_tools,
                excluded=options.exclude_tools,
            )
        except ToolError as exc:
            raise ConfigError(f"{origin}: {exc}; rename or exclude one of them") from None
        yield AgentToolbox(agent.id, tools, access, hub)


@asynccontextmanager
async def open_toolboxes(
    config: RunConfig,
    *,
    host: PluginHost,
    workspaces: RunWorkspaces | None = None,
    notify: NoticeSink | None = None,
    secret_env_names: Iterable[str] = (),
    stderr_dir: Path | None = None,
    registry: Registry | None = None,
) -> AsyncIterator[dict[str, AgentToolbox]]:
    """:func:`agent_toolbox` for every agent of ``config``, started in parallel, closed together.

    ``workspaces`` defaults to :func:`run_workspaces`.
    """
    if workspaces is None:
        workspaces = run_workspaces(config)
    async with AsyncExitStack() as stack:
        managers = [
            agent_toolbox(
                agent,
                host=host,
                access=workspaces.access(agent.id) if workspaces and needs_workspace(agent, config) else None,
                notify=notify,
                origin=f"agents[{i}].backend",
                source=config.source,
                secret_env_names=secret_env_names,
                stderr_dir=stderr_dir,
                registry=registry,
            )
            for i, agent in enumerate(config.agents)
        ]
        results = await asyncio.gather(*(m.__aenter__() for m in managers), return_exceptions=True)
        for manager, result in zip(managers, results, strict=True):
            if not isinstance(result, BaseException):
                stack.push_async_exit(manager)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        yield {
            agent.id: box
            for agent, box in zip(config.agents, results, strict=True)
            if isinstance(box, AgentToolbox)
        }
