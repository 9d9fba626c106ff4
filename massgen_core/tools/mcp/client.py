"""One server as the agent sees it: calls with a timeout, reconnects and retries, a circuit breaker.

A call never raises: a crash, a hang or a server cut off by its circuit breaker becomes an error
:class:`~massgen_core.tools.toolset.ToolOutput` the model reads (and a :class:`~.notices.ToolNotice`
for the display), and the agent carries on. One connection serves all of the agent's turns; it is
re-established when it was lost (the server crashed) or stopped answering (a ping after a
timeout fails).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from ...plugin.errors import BackendError
from ..toolset import ToolOutput
from .breaker import CircuitBreaker
from .connection import CallRejected, CallTimedOut, Connection, ServerFailure, result_text
from .notices import NoticeKind, NoticeSink, ToolNotice
from .servers import ServerEntry
from .settings import McpSettings

__all__ = ["ServerClient"]

PING_TIMEOUT = 5.0


class ServerClient:
    """Calls to one MCP server on behalf of one agent."""

    def __init__(
        self,
        entry: ServerEntry,
        settings: McpSettings,
        *,
        agent_id: str | None = None,
        notify: NoticeSink | None = None,
        stderr_dir: Path | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.entry = entry
        self.settings = settings
        self.agent_id = agent_id
        self.breaker = CircuitBreaker(settings.breaker)
        self._notify = notify
        self._stderr_dir = stderr_dir
        self._sleep = sleep
        self._connection: Connection | None = None
        self._generation = 0
        self._counted_generation = -1
        self._suspect = False
        self._closed = False
        self._lock = asyncio.Lock()

    @property
    def name(self) -> str:
        return self.entry.name

    @property
    def timeout(self) -> float:
        return self.entry.timeout or self.settings.call_timeout

    @property
    def connection(self) -> Connection | None:
        return self._connection

    def notice(self, kind: NoticeKind, message: str, tool: str | None = None) -> None:
        if self._notify is not None:
            self._notify(
                ToolNotice(agent_id=self.agent_id, source=self.name, kind=kind, message=message, tool=tool)
            )

    # -- connection ---------------------------------------------------------------------------
    async def start(self) -> bool:
        """Connect for the first time; ``False`` (with a notice) when the server cannot be reached."""
        try:
            await self._connect()
        except ServerFailure as exc:
            self.breaker.record_failure()
            self.notice("connect_failed", f"MCP server {self.name!r} could not be started: {exc}")
            return False
        info = self._connection.server_info if self._connection else None
        who = f" ({' '.join(p for p in (info.name, info.version) if p)})" if info and info.name else ""
        count = len(self._connection.tools) if self._connection else 0
        self.notice("connected", f"MCP server {self.name!r}{who} connected with {count} tool(s)")
        return True

    async def _connect(self) -> Connection:
        connection = Connection(self.entry, stderr_dir=self._stderr_dir)
        await connection.open(self.settings.connect_timeout)
        self._connection = connection
        self._generation += 1
        self._suspect = False
        return connection

    async def _usable(self) -> tuple[Connection, int]:
        """The live connection, reconnecting when it was lost or stopped answering."""
        async with self._lock:
            connection = self._connection
            if connection is not None and connection.alive:
                if not self._suspect:
                    return connection, self._generation
                if await connection.ping(min(PING_TIMEOUT, self.timeout)):
                    self._suspect = False
                    return connection, self._generation
            if connection is not None:
                await connection.close()
                self._connection = None
            connection = await self._connect()
            self.notice("reconnected", f"MCP server {self.name!r} was restarted")
            return connection, self._generation

    async def aclose(self) -> None:
        self._closed = True
        async with self._lock:
            if self._connection is not None:
                await self._connection.close()
                self._connection = None

    # -- calls --------------------------------------------------------------------------------
    async def call(
        self, tool: str, exposed: str, arguments: Mapping[str, Any], *, resend_after_crash: bool = False
    ) -> ToolOutput:
        """Call the server's ``tool`` (``exposed`` is the name the model used, for messages).

        A failure to (re)connect is retried with backoff. A call that was sent and then lost with
        the connection may have had its effect already, so it is sent again only when
        ``resend_after_crash`` (the server's tools are configured ``read_only``).
        """
        if self._closed:
            return ToolOutput(
                f"Error: MCP server {self.name!r} was shut down with the agent's tools", is_error=True
            )
        if self.entry.guard is not None and (why := self.entry.guard(tool, arguments)):
            return ToolOutput(f"refused: {why}", is_error=True)
        if not self.breaker.allow():
            return self._unavailable()
        attempt = 0
        while True:
            attempt += 1
            generation: int | None = None  # None while connecting: every failed connect counts
            try:
                connection, generation = await self._usable()
                result = await connection.call_tool(tool, arguments, self.timeout)
            except CallRejected as exc:
                self._succeeded()
                return ToolOutput(f"{exposed}: {exc}", is_error=True)
            except CallTimedOut:
                self._suspect = True
                message = (
                    f"MCP server {self.name!r} did not answer {tool!r} within {self.timeout:g}s; "
                    "it may be hung. The call was abandoned."
                )
                self.notice("timeout", message, exposed)
                self._failed(generation)
                return ToolOutput(f"Error: {message}", is_error=True)
            except ServerFailure as exc:
                opened = self._failed(generation)
                message = f"MCP server {self.name!r} failed during {tool!r}: {exc}"
                if attempt == 1:
                    self.notice("crashed", message, exposed)
                retry = generation is None or resend_after_crash
                delay = (
                    self._retry_delay(attempt)
                    if retry and not opened and self.breaker.state == "closed"
                    else None
                )
                if delay is None:
                    tail = "" if attempt == 1 else f" (after {attempt} attempts)"
                    return ToolOutput(
                        f"Error: {message}{tail}. Continue without this tool for now.", is_error=True
                    )
                await self._sleep(delay)
                continue
            self._succeeded()
            text = result_text(result)
            if len(text) > self.settings.max_result_chars:
                cut = self.settings.max_result_chars
                text = text[:cut] + f"\n[... truncated: {len(text) - cut} more characters]"
            return ToolOutput(text, is_error=result.is_error)

    def _retry_delay(self, attempt: int) -> float | None:
        error = BackendError(f"MCP server {self.name!r} connection failed", retryable=True)
        return self.settings.retry.delay(attempt, error)

    def _failed(self, generation: int | None) -> bool:
        """Count a failure; calls lost together with one connection count once."""
        if generation is not None:
            if generation == self._counted_generation:
                return False
            self._counted_generation = generation
        opened = self.breaker.record_failure()
        if opened:
            self.notice(
                "circuit_open",
                f"MCP server {self.name!r} failed {self.breaker.failures} time(s) in a row: "
                f"calls to it are paused for {self.breaker.cooldown:g}s",
            )
        return opened

    def _succeeded(self) -> None:
        if self.breaker.record_success():
            self.notice("circuit_closed", f"MCP server {self.name!r} answers again")

    def _unavailable(self) -> ToolOutput:
        return ToolOutput(
            f"Error: MCP server {self.name!r} is unavailable: it failed {self.breaker.failures} time(s) in a row, "
            f"so calls to it are paused (try again in {self.breaker.retry_in():.0f}s, or do without it).",
            is_error=True,
        )
