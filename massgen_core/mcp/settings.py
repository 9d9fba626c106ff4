"""Timeouts, retries and circuit-breaker settings of an agent's MCP connections."""

from __future__ import annotations

from typing import Any

import attrs

from ..resilience import RetryPolicy
from .breaker import BreakerSettings

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
    def from_options(cls, options: Any) -> McpSettings:
        """Settings from a backend's options (the ``mcp_*`` keys; defaults where a key is absent)."""
        default = cls()
        retries = getattr(options, "mcp_retries", None)
        return cls(
            call_timeout=float(getattr(options, "mcp_call_timeout", None) or default.call_timeout),
            connect_timeout=float(getattr(options, "mcp_connect_timeout", None) or default.connect_timeout),
            retry=default.retry
            if retries is None
            else attrs.evolve(default.retry, max_attempts=int(retries) + 1),
            breaker=BreakerSettings(
                max_failures=int(
                    getattr(options, "mcp_circuit_breaker_failures", None) or default.breaker.max_failures
                ),
                reset_seconds=float(
                    getattr(options, "mcp_circuit_breaker_reset", None) or default.breaker.reset_seconds
                ),
            ),
        )
