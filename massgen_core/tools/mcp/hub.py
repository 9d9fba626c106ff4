"""An agent's MCP servers, connected together and closed together; their tools as agent tools.

::

    async with McpHub(entries, settings=McpSettings(), agent_id="a1", notify=print) as hub:
        tools = hub.tools          # McpTool objects named mcp__<server>__<tool>

Entering checks every entry against its launch policy (a :class:`~massgen_core.plugin.errors.ConfigError`
before anything starts), then starts all servers in parallel. A server that cannot be started is
reported (a ``connect_failed`` notice) and left out; the agent carries on with the others. The
``mcp`` SDK is imported only here, when the hub is entered with at least one server.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from ...plugin.backend import ToolDefinition
from ...plugin.specs import McpServerSpec
from ..toolset import Tool
from .naming import exposed_name
from .notices import NoticeSink, ToolNotice
from .servers import ServerEntry, check_entries, entry_from_spec
from .settings import McpSettings

if TYPE_CHECKING:
    from .client import ServerClient

__all__ = ["McpHub"]


class McpHub:
    """The MCP servers of one agent (an async context manager)."""

    def __init__(
        self,
        servers: Sequence[ServerEntry | McpServerSpec],
        *,
        settings: McpSettings | None = None,
        agent_id: str | None = None,
        notify: NoticeSink | None = None,
        stderr_dir: Path | None = None,
        source: str | None = None,
    ) -> None:
        self.entries = [
            s if isinstance(s, ServerEntry) else entry_from_spec(s, f"mcp server {s.name!r}") for s in servers
        ]
        self.settings = settings or McpSettings()
        self.agent_id = agent_id
        self.notify = notify
        self.stderr_dir = stderr_dir
        self.source = source
        self.clients: dict[str, ServerClient] = {}
        self._tools: list[Tool] = []

    @property
    def tools(self) -> tuple[Tool, ...]:
        return tuple(self._tools)

    def _notice(self, source: str, message: str) -> None:
        if self.notify is not None:
            self.notify(ToolNotice(agent_id=self.agent_id, source=source, kind="refused", message=message))

    async def __aenter__(self) -> McpHub:
        if not self.entries:
            return self
        check_entries(self.entries, source=self.source)
        from .client import ServerClient

        for entry in self.entries:
            self.clients[entry.name] = ServerClient(
                entry, self.settings, agent_id=self.agent_id, notify=self.notify, stderr_dir=self.stderr_dir
            )
        try:
            started = await asyncio.gather(*(c.start() for c in self.clients.values()))
        except BaseException:
            await self.aclose()
            raise
        for client, ok in zip(self.clients.values(), started, strict=True):
            if ok:
                self._add_tools(client)
        return self

    def _add_tools(self, client: ServerClient) -> None:
        from .adapter import McpTool

        spec = client.entry.spec
        connection = client.connection
        assert connection is not None
        names = {t.name for t in connection.tools}
        for wanted in (*(spec.allowed_tools or ()), *spec.exclude_tools):
            if wanted not in names:
                self._notice(
                    spec.name,
                    f"MCP server {spec.name!r} has no tool {wanted!r} (named in allowed_tools/exclude_tools)",
                )
        taken = {t.definition.name for t in self._tools}
        for tool in connection.tools:
            if tool.name in spec.exclude_tools or (
                spec.allowed_tools is not None and tool.name not in spec.allowed_tools
            ):
                continue
            name = exposed_name(spec.name, tool.name)
            if name in taken:
                self._notice(spec.name, f"two MCP tools would be named {name!r}; {tool.name!r} is left out")
                continue
            taken.add(name)
            definition = ToolDefinition(
                name=name,
                description=tool.description or tool.title or f"{tool.name} (MCP server {spec.name})",
                parameters=dict(tool.input_schema or {"type": "object", "properties": {}}),
            )
            read_only = spec.read_only or tool.name in client.entry.read_only_tools
            self._tools.append(McpTool(client, tool.name, definition, read_only=read_only))

    async def aclose(self) -> None:
        await asyncio.gather(*(c.aclose() for c in self.clients.values()), return_exceptions=True)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
