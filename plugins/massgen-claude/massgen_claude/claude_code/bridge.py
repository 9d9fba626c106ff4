"""MassGen's tools offered to Claude Code as in-process MCP tools.

The tools of a request (its MCP servers' tools, plugins' tools, file tools, and the
coordination's ``new_answer`` / ``vote``) become tools of in-process MCP servers: a tool named
``mcp__<server>__<tool>`` keeps its name (it is served as ``<tool>`` of a server ``<server>``),
any other is served by the server ``massgen`` (Claude sees ``mcp__massgen__<name>``).

A call the request's :class:`~massgen_core.plugin.ToolRunner` runs is run through it, inside the
handler, and its result goes back to Claude. A call it does not run (``new_answer``, ``vote``)
is a *workflow* call: the handler takes the first one of the request and answers that MassGen
has it, a ``PostToolUse`` hook then stops Claude Code, and the call ends the turn. A second
workflow call in the same request is refused (one per turn).
"""

from __future__ import annotations

import collections
from collections.abc import Mapping, Sequence
from typing import Any

from claude_agent_sdk import McpSdkServerConfig, SdkMcpTool, create_sdk_mcp_server, tool
from massgen_core.plugin import ToolCallPart, ToolDefinition, ToolRunner

from .paths import MCP_PREFIX

__all__ = ["DEFAULT_SERVER", "ToolBridge"]

DEFAULT_SERVER = "massgen"

WORKFLOW_RECEIVED = "Received: MassGen takes it from here. Your turn ends with this call."
ONE_WORKFLOW_CALL = "Refused: only one of new_answer / vote counts per turn, and the first one was taken."


def _split(name: str) -> tuple[str, str]:
    """``(server, tool)`` Claude Code should see ``name`` under."""
    if name.startswith(MCP_PREFIX):
        server, sep, rest = name[len(MCP_PREFIX) :].partition("__")
        if sep and server and rest:
            return server, rest
    return DEFAULT_SERVER, name


def _schema(parameters: Mapping[str, Any]) -> dict[str, Any]:
    schema = dict(parameters)
    schema.setdefault("type", "object")
    schema.setdefault("properties", {})
    return schema


def _text(content: str, *, is_error: bool = False) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": content}], "is_error": is_error}


class ToolBridge:
    """The in-process MCP servers for one request, and what their calls did.

    :attr:`servers` go to ``ClaudeAgentOptions.mcp_servers``; :meth:`note_call` is called by the
    ``PreToolUse`` hook with Claude's tool-use id (handlers do not get it); :attr:`workflow_call`
    is the call that ends the turn, if any.
    """

    def __init__(self, tools: Sequence[ToolDefinition], runner: ToolRunner | None) -> None:
        self.runner = runner
        self.core_name: dict[str, str] = {}  # the name Claude sees -> MassGen's name
        self.workflow_names: set[str] = set()  # names Claude sees of calls that end the turn
        self.workflow_call: ToolCallPart | None = None
        self._ids: dict[str, collections.deque[str]] = collections.defaultdict(collections.deque)
        grouped: dict[str, list[SdkMcpTool[Any]]] = collections.defaultdict(list)
        for definition in tools:
            server, tool_name = _split(definition.name)
            claude_name = f"{MCP_PREFIX}{server}__{tool_name}"
            if claude_name in self.core_name:
                from massgen_core.plugin import ToolError

                raise ToolError(
                    f"two tools would both reach Claude Code as {claude_name!r} "
                    f"({self.core_name[claude_name]!r} and {definition.name!r}); rename or exclude one"
                )
            self.core_name[claude_name] = definition.name
            if runner is None or not runner.runs(definition.name):
                self.workflow_names.add(claude_name)
            grouped[server].append(self._tool(definition, tool_name, claude_name))
        self.servers: dict[str, McpSdkServerConfig] = {
            server: create_sdk_mcp_server(server, tools=defs) for server, defs in grouped.items()
        }

    @property
    def claude_names(self) -> list[str]:
        return list(self.core_name)

    def note_call(self, claude_name: str, tool_use_id: str) -> None:
        if claude_name in self.core_name:
            self._ids[claude_name].append(tool_use_id)

    def _call_id(self, claude_name: str) -> str:
        ids = self._ids.get(claude_name)
        return ids.popleft() if ids else f"massgen-{claude_name}"

    def _tool(self, definition: ToolDefinition, tool_name: str, claude_name: str) -> SdkMcpTool[Any]:
        async def handler(arguments: dict[str, Any]) -> dict[str, Any]:
            call = ToolCallPart(id=self._call_id(claude_name), name=definition.name, arguments=arguments)
            if claude_name in self.workflow_names:
                if self.workflow_call is not None:
                    return _text(ONE_WORKFLOW_CALL, is_error=True)
                self.workflow_call = call
                return _text(WORKFLOW_RECEIVED)
            assert self.runner is not None
            result = await self.runner.run(call)
            return _text(result.content, is_error=result.is_error)

        return tool(tool_name, definition.description, _schema(definition.parameters))(handler)
