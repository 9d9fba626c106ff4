"""``execute_command`` for every backend with MCP: a small MCP server MassGen starts per agent.

:func:`command_line_server` builds the server entry for an agent (its settings file, a scrubbed
environment); the server itself is :mod:`.server`, run as ``python -m``.
"""

from __future__ import annotations

from .environment import scrub_environment
from .launch import COMMAND_LINE_SERVER, command_line_server
from .policy import CommandPolicy, compile_patterns

__all__ = [
    "COMMAND_LINE_SERVER",
    "CommandPolicy",
    "command_line_server",
    "compile_patterns",
    "scrub_environment",
]
