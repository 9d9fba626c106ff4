"""One live connection to an MCP server (the only module that imports the ``mcp`` SDK).

The SDK's transports are anyio context managers that must be entered and left by the same task,
so each connection has an *owner task* that opens the transport and the ``ClientSession``,
initializes, lists the tools, and then waits until :meth:`Connection.close`. Calls are sent from
any task through the session. A server that crashes closes its pipes: pending and later calls
fail with :class:`ConnectionLost`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import tempfile
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any, TextIO

import mcp_types
from mcp import ClientSession, MCPError, StdioServerParameters, stdio_client

from ...version import __version__
from ..sandbox import sandboxed_command
from .servers import ServerEntry

__all__ = [
    "CallRejected",
    "CallTimedOut",
    "Connection",
    "ConnectionLost",
    "ServerFailure",
    "ToolCallResult",
    "result_text",
]

ToolCallResult = mcp_types.CallToolResult
STDERR_TAIL = 2000
STDERR_LINES = 8
CLOSE_TIMEOUT = 10.0


class ServerFailure(Exception):
    """The server could not be reached, crashed, or broke the protocol."""


class ConnectionLost(ServerFailure):
    """The connection closed (the server exited or the transport failed)."""


class CallTimedOut(ServerFailure):
    """The server did not answer in time."""


class CallRejected(Exception):
    """The server is fine but answered the call with a protocol error (unknown tool, bad params)."""


class Connection:
    """A session with one server: :meth:`open`, :meth:`call_tool`, :meth:`close`."""

    def __init__(self, entry: ServerEntry, *, stderr_dir: Path | None = None) -> None:
        self.entry = entry
        self.tools: list[mcp_types.Tool] = []
        self.server_info: mcp_types.Implementation | None = None
        self._session: ClientSession | None = None
        self._stop = asyncio.Event()
        self._owner: asyncio.Task[None] | None = None
        self._stderr_dir = stderr_dir
        self._stderr: TextIO | None = None
        self._lost = False

    @property
    def alive(self) -> bool:
        """Whether calls can be sent (``False`` once the server is known to be gone)."""
        if self._lost or self._session is None or self._owner is None or self._owner.done():
            return False
        # The SDK has no public "closed" flag; its dispatcher knows when the server's output ended
        # (it exited while idle). Without that attribute the first call finds out instead.
        dispatcher = getattr(self._session, "_dispatcher", None)
        return not getattr(dispatcher, "_closed", False)

    # -- lifecycle ----------------------------------------------------------------------------
    async def open(self, timeout: float) -> None:
        """Start (or reach) the server, initialize, list its tools. Raises :class:`ServerFailure`."""
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._owner = asyncio.create_task(self._own(ready), name=f"mcp:{self.entry.name}")
        try:
            await asyncio.wait_for(asyncio.shield(ready), timeout)
        except TimeoutError:
            await self.close()
            raise ServerFailure(f"no answer to initialize within {timeout:g}s{self.stderr_tail()}") from None
        except ServerFailure:
            await self.close()
            raise

    async def _own(self, ready: asyncio.Future[None]) -> None:
        try:
            async with AsyncExitStack() as stack:
                read, write = await stack.enter_async_context(self._transport())
                session = await stack.enter_async_context(
                    ClientSession(
                        read, write, client_info=mcp_types.Implementation(name="massgen", version=__version__)
                    )
                )
                init = await session.initialize()
                self.server_info = init.server_info
                self.tools = await _list_tools(session)
                self._session = session
                ready.set_result(None)
                await self._stop.wait()
        except asyncio.CancelledError:
            ready.cancel()
            raise
        except Exception as exc:  # the owner must never die silently: the waiter learns why
            if not ready.done():
                ready.set_exception(ServerFailure(f"{_describe(exc)}{self.stderr_tail()}"))
        finally:
            self._session = None

    @asynccontextmanager
    async def _transport(self) -> AsyncIterator[Any]:
        spec = self.entry.spec
        if spec.transport == "stdio":
            assert spec.command is not None
            program = [spec.command, *spec.args]
            if self.entry.sandbox is not None:
                writable, protected = self.entry.sandbox
                program = sandboxed_command(program, writable=writable, protected=protected)
            params = StdioServerParameters(
                command=program[0], args=program[1:], env=dict(spec.env) or None, cwd=spec.cwd
            )
            self._stderr = self._stderr_file()
            async with stdio_client(params, errlog=self._stderr) as streams:
                yield streams
        else:
            import httpx2
            from mcp.client.streamable_http import streamable_http_client

            assert spec.url is not None
            timeout = httpx2.Timeout(30.0, read=300.0)  # reads wait for long tool calls
            async with (
                httpx2.AsyncClient(headers=dict(spec.headers), timeout=timeout) as client,
                streamable_http_client(spec.url, http_client=client) as streams,
            ):
                yield streams

    def _stderr_file(self) -> TextIO:
        if self._stderr_dir is not None:
            self._stderr_dir.mkdir(parents=True, exist_ok=True)
            return open(
                self._stderr_dir / f"{self.entry.name}.stderr.log", "a", encoding="utf-8", errors="replace"
            )
        return tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")

    def stderr_tail(self) -> str:
        """``"; server stderr: <its last lines>"``, or ``""`` (for messages about a failed start)."""
        handle = self._stderr
        if handle is None or handle.closed:
            return ""
        try:
            handle.flush()
            size = os.fstat(handle.fileno()).st_size
            with open(handle.fileno(), encoding="utf-8", errors="replace", closefd=False) as reader:
                reader.seek(max(0, size - STDERR_TAIL))
                tail = "\n".join(reader.read().strip().splitlines()[-STDERR_LINES:])
        except (OSError, ValueError):
            return ""
        return f"; server stderr: {tail}" if tail else ""

    async def close(self) -> None:
        """Stop the server (or leave the HTTP session); waits at most ~10 s, then abandons it."""
        self._stop.set()
        owner = self._owner
        if owner is not None and not owner.done():
            done, _ = await asyncio.wait({owner}, timeout=CLOSE_TIMEOUT)
            if not done:
                owner.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await owner
        if self._stderr is not None:
            with contextlib.suppress(OSError):
                self._stderr.close()

    # -- calls --------------------------------------------------------------------------------
    async def call_tool(self, name: str, arguments: Mapping[str, Any], timeout: float) -> ToolCallResult:
        """Call ``name``; raises :class:`ConnectionLost`, :class:`CallTimedOut` or :class:`CallRejected`."""
        session = self._session
        if session is None or not self.alive:
            raise ConnectionLost("the connection is closed")
        try:
            async with asyncio.timeout(timeout + 1.0):  # the SDK's own timeout should fire first
                return await session.call_tool(name, dict(arguments), read_timeout_seconds=timeout)
        except TimeoutError:
            raise CallTimedOut(f"no answer within {timeout:g}s") from None
        except MCPError as exc:
            if exc.code == mcp_types.REQUEST_TIMEOUT:
                raise CallTimedOut(f"no answer within {timeout:g}s") from None
            if exc.code == mcp_types.CONNECTION_CLOSED or not self.alive:
                self._lost = True
                raise ConnectionLost(
                    "the server closed the connection during the call (it exited or crashed)"
                ) from None
            raise CallRejected(f"the server rejected the call: {exc.message} (code {exc.code})") from None
        except (OSError, ConnectionError) as exc:
            self._lost = True
            raise ConnectionLost(_describe(exc)) from None

    async def ping(self, timeout: float) -> bool:
        session = self._session
        if session is None or not self.alive:
            return False
        try:
            async with asyncio.timeout(timeout):
                await session.send_ping()
        except (TimeoutError, MCPError, OSError):
            return False
        return True


def result_text(result: ToolCallResult) -> str:
    """The text of a tool result for the model (non-text content is described, not inlined)."""
    parts: list[str] = []
    for block in result.content:
        if isinstance(block, mcp_types.TextContent):
            parts.append(block.text)
        elif isinstance(block, mcp_types.ImageContent | mcp_types.AudioContent):
            parts.append(f"[{block.type} {block.mime_type}, about {len(block.data) * 3 // 4} bytes]")
        elif isinstance(block, mcp_types.ResourceLink):
            parts.append(f"[resource link {block.name}: {block.uri}]")
        elif isinstance(block, mcp_types.EmbeddedResource):
            resource = block.resource
            if isinstance(resource, mcp_types.TextResourceContents):
                parts.append(resource.text)
            else:
                parts.append(f"[binary resource {resource.uri} ({resource.mime_type or 'unknown type'})]")
    if not parts and result.structured_content is not None:
        parts.append(json.dumps(result.structured_content, ensure_ascii=False, default=str))
    return "\n".join(parts)


async def _list_tools(session: ClientSession) -> list[mcp_types.Tool]:
    tools: list[mcp_types.Tool] = []
    cursor: str | None = None
    for _page in range(100):
        params = mcp_types.PaginatedRequestParams(cursor=cursor) if cursor else None
        result = await session.list_tools(params=params)
        tools += result.tools
        cursor = result.next_cursor
        if not cursor:
            break
    return tools


def _describe(exc: BaseException) -> str:
    """A one-line reason from an exception (unwrapping anyio/asyncio exception groups)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, FileNotFoundError):
        return f"the command was not found ({exc.filename or exc})"
    if isinstance(exc, MCPError):
        return f"protocol error: {exc.message}"
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if type(exc).__name__ not in text else text
