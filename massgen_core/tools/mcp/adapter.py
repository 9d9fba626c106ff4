"""An MCP server's tool as a :class:`~massgen_core.tools.toolset.Tool` of the agent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...plugin.backend import ToolDefinition
from ..toolset import ToolOutput
from .client import ServerClient

__all__ = ["McpTool"]


class McpTool:
    """``mcp__<server>__<tool>``: calls go through the server's :class:`ServerClient`."""

    def __init__(
        self, client: ServerClient, tool: str, definition: ToolDefinition, *, read_only: bool
    ) -> None:
        self.client = client
        self.tool = tool
        self._definition = definition
        self._read_only = read_only

    @property
    def definition(self) -> ToolDefinition:
        return self._definition

    @property
    def read_only(self) -> bool:
        return self._read_only

    async def call(self, arguments: Mapping[str, Any]) -> ToolOutput:
        if "_raw" in arguments:
            return ToolOutput(f"arguments are not a JSON object: {arguments['_raw']!r}", is_error=True)
        return await self.client.call(
            self.tool, self._definition.name, arguments, resend_after_crash=self._read_only
        )

    def __repr__(self) -> str:
        return f"McpTool({self._definition.name!r})"
