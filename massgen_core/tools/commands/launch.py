"""The ``command_line`` MCP server entry for one agent."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from typing import Any

from ...plugin.errors import ConfigError, ConfigIssue
from ...plugin.options import ToolOptions
from ...plugin.specs import McpServerSpec
from ..mcp.servers import ServerEntry
from ..sandbox import hide_process_memory
from ..workspace.access import AgentAccess
from ..workspace.paths import contained
from .availability import execution_problem
from .environment import scrub_environment
from .policy import compile_patterns
from .server import CommandSettings

__all__ = ["COMMAND_LINE_SERVER", "command_line_server"]

COMMAND_LINE_SERVER = "command_line"
#: The MCP call may take this much longer than the command (startup, output transfer).
CALL_MARGIN = 15.0


def command_line_server(
    access: AgentAccess,
    options: ToolOptions,
    *,
    origin: str = "backend",
    source: str | None = None,
    secret_env_names: Iterable[str] = (),
    secret_values: Iterable[str] = (),
    environ: Mapping[str, str] | None = None,
) -> ServerEntry:
    """The server that gives ``access.agent_id`` the ``execute_command`` tool.

    Reads the ``command_line_*`` options. ``command_line_sandbox`` (default ``"landlock"``)
    confines every command to the agent's current write permissions; when Landlock is missing
    this is a :class:`ConfigError` unless the option is ``"off"``. With
    ``command_line_execution_mode: docker`` commands run in containers instead (the container is
    the sandbox): the daemon and the image are checked here, before the run starts, and their
    absence is a :class:`ConfigError` that says how to fix it (the check is
    :func:`~.availability.execution_problem`, which the config loader runs too).

    :param secret_env_names: env vars never passed on (every backend's API-key variables).
    :param secret_values: secrets (the agent's configured API key) whose value is never passed on.
    """
    sandbox_mode = options.command_line_sandbox
    docker = options.command_line_execution_mode == "docker"
    if (problem := execution_problem(options)) is not None:
        key, message = problem
        raise ConfigError([ConfigIssue(message, file=source, path=f"{origin}.{key}")])
    allowed = options.command_line_allowed_commands
    blocked = options.command_line_blocked_commands
    compile_patterns(allowed, option=f"{origin}.command_line_allowed_commands", source=source)
    compile_patterns(blocked, option=f"{origin}.command_line_blocked_commands", source=source)
    if access.state_file is None:
        raise ValueError("execute_command needs an AgentAccess with a state file")
    settings = CommandSettings(
        workspace=str(access.workspace),
        state_file=str(access.state_file),
        scratch=str(access.scratch) if access.scratch else None,
        timeout=float(options.command_line_timeout),
        max_output=int(options.command_line_max_output),
        allowed=None if allowed is None else tuple(allowed),
        blocked=tuple(blocked),
        sandbox=sandbox_mode == "landlock" and not docker,
        docker=_docker_settings(options) if docker else None,
    )
    # the commands' environment is scrubbed of keys, but MassGen's own is in /proc/<pid>/environ
    hide_process_memory()
    settings_file = contained(
        access.state_file.parent, f"{access.agent_id}.command_line.json", what="agent id"
    )
    settings_file.write_text(settings.to_json(), encoding="utf-8")
    env = scrub_environment(
        os.environ if environ is None else environ, drop=secret_env_names, secret_values=list(secret_values)
    )
    spec = McpServerSpec(
        name=COMMAND_LINE_SERVER,
        command=sys.executable,
        args=("-m", "massgen_core.tools.commands.server", str(settings_file)),
        env=env,
        cwd=str(access.workspace),
    )
    return ServerEntry(
        spec=spec,
        origin=f"{origin}.enable_mcp_command_line",
        timeout=settings.timeout + CALL_MARGIN,
        check=False,
    )


def _docker_settings(options: ToolOptions) -> dict[str, Any]:
    return {
        "image": options.command_line_docker_image,
        "network_mode": options.command_line_docker_network_mode,
        "cpu_limit": options.command_line_docker_cpu_limit,
        "memory_limit": options.command_line_docker_memory_limit,
    }
