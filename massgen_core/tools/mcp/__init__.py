"""MCP servers for agents: config parsing, launch policy, connections, tools.

The ``mcp`` SDK is imported only when an :class:`McpHub` with servers is entered.

Public API::

    parse_mcp_servers(value, *, path=..., source=None) -> list[ServerEntry]   # the mcp_servers option
    check_entries(entries, *, source=None)          # the launch policy; raises ConfigError
    McpHub(entries, settings=..., agent_id=..., notify=...)   # async with: .tools
    McpSettings.from_options(options)               # timeouts, retries, circuit breaker
"""

from __future__ import annotations

from .breaker import BreakerSettings, CircuitBreaker
from .hub import McpHub
from .naming import exposed_name
from .notices import NoticeSink, ToolNotice
from .policy import DEFAULT_POLICY, LaunchPolicy, check_spec
from .servers import ServerEntry, check_entries, parse_mcp_servers
from .settings import McpSettings

__all__ = [
    "DEFAULT_POLICY",
    "BreakerSettings",
    "CircuitBreaker",
    "LaunchPolicy",
    "McpHub",
    "McpSettings",
    "NoticeSink",
    "ServerEntry",
    "ToolNotice",
    "check_entries",
    "check_spec",
    "exposed_name",
    "parse_mcp_servers",
]
