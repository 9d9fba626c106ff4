"""Timeouts, retries and circuit-breaker settings of an agent's MCP connections."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from ...runtime.resilience import RetryPolicy
from .breaker import BreakerSettings

if TYPE_CHECKING:
    from ...plugin.options import ToolOptions

__all__ = ["McpSettings"]


@attrs.frozen(kw_only=True)
class McpSettings:
    """How an agent talks to its MCP servers.

    :param call_timeout: seconds a tool call may take (a server entry's ``timeout`` overrides it).
    :param connect_timeout: seconds to start a server and list its tools.
    :param retry: retries after a connection failure (a crash, a closed connection): the
        server is reconnected and the call sent again, with exponential backoff. Timeouts and
        tool errors are not retried.
    :param breaker: when to stop calling a failing server.
    :param max_result_chars: longer tool results are cut (with a note).
    """

    call_timeout: float = 120.0
    connect_timeout: float = 30.0
    retry: RetryPolicy = RetryPolicy(max_attempts=3, initial_delay=0.5, max_delay=8.0)
    breaker: BreakerSettings = BreakerSettings()
    max_result_chars: int = 100_000

    @classmethod
    def from_options(cls, options: ToolOptions) -> McpSettings:
        """Settings from a backend's options (its ``mcp_*`` keys)."""
        default = cls()
        return cls(
            call_timeout=float(options.mcp_call_timeout),
            connect_timeout=float(options.mcp_connect_timeout),
            retry=attrs.evolve(default.retry, max_attempts=int(options.mcp_retries) + 1),
            breaker=BreakerSettings(
                max_failures=int(options.mcp_circuit_breaker_failures),
                reset_seconds=float(options.mcp_circuit_breaker_reset),
            ),
        )
