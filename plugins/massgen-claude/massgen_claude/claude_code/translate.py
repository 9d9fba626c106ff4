"""Claude Code's messages as MassGen stream events, and the assistant turn they add up to.

* streamed text and thinking (``include_partial_messages``) become ``TextDelta`` and
  ``ReasoningDelta`` as they arrive (the main agent's only; subagents' text stays inside);
* every tool call, Claude Code's own (Read, Write, Bash...) and MassGen's, becomes a ``ToolCall``
  and, once Claude Code has its result, a ``ToolResult`` with the same id: the display shows them,
  and the core never runs them again. The call that ends the turn (``new_answer``, ``vote``) gets
  no result: the core handles it;
* a failed model call (a synthetic assistant message with ``error`` set) is raised as the core's
  error for it;
* the result message gives the usage and the session id.

The turn's message holds the answer text (what Claude wrote after its last tool call), the
calls of MassGen's tools it ran, and the workflow call; Claude Code's own tool calls stay in its
session, whose id rides in ``provider_state``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from claude_agent_sdk import (
    AssistantMessage,
    ResultMessage,
    StreamEvent,
    SystemMessage,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
)
from massgen_core.plugin import (
    BackendContext,
    BackendError,
    Done,
    Message,
    MessageBuilder,
    ReasoningDelta,
    StopReason,
    TextDelta,
    ToolCall,
    ToolCallPart,
    ToolResult,
    Usage,
)
from massgen_core.plugin import StreamEvent as MassgenEvent

from .bridge import ToolBridge
from .conversation import STATE_KEY
from .errors import api_error

__all__ = ["Translator"]


def _content_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for item in content:
            if isinstance(item, dict) and isinstance(item.get("text"), str):
                parts.append(item["text"])
            elif isinstance(item, dict) and item.get("type") == "image":
                parts.append("[image]")
        return "\n".join(parts)
    return str(content)


def usage_of(raw: dict[str, Any] | None) -> Usage:
    """MassGen usage from an Anthropic usage object (``input_tokens`` there excludes the cache)."""
    raw = raw or {}

    def count(key: str) -> int:
        value = raw.get(key)
        return value if isinstance(value, int) else 0

    cached, written = count("cache_read_input_tokens"), count("cache_creation_input_tokens")
    server = raw.get("server_tool_use")
    searches = server.get("web_search_requests") if isinstance(server, dict) else 0
    return Usage(
        input_tokens=count("input_tokens") + cached + written,
        output_tokens=count("output_tokens"),
        cached_input_tokens=cached,
        cache_write_tokens=written,
        web_search_requests=searches if isinstance(searches, int) else 0,
    )


class Translator:
    """Feeds on the SDK's messages for one request (:meth:`feed`), then builds its ``Done``."""

    def __init__(self, bridge: ToolBridge, context: BackendContext) -> None:
        self.bridge = bridge
        self.context = context
        self.session_id: str | None = None
        self.result: ResultMessage | None = None
        self._names: dict[str, str] = {}  # tool-use id -> the name MassGen shows
        self._core_calls: list[ToolCallPart] = []
        self._segments: list[list[str]] = [[]]  # answer text, split at each tool call
        self._failure: tuple[str | None, str] | None = None

    # -- events -------------------------------------------------------------------------------
    def feed(self, message: Any) -> Iterator[MassgenEvent]:
        if isinstance(message, StreamEvent):
            yield from self._partial(message)
        elif isinstance(message, AssistantMessage):
            yield from self._assistant(message)
        elif isinstance(message, UserMessage):
            yield from self._user(message)
        elif isinstance(message, SystemMessage):
            session = message.data.get("session_id") if message.subtype == "init" else None
            if isinstance(session, str):
                self.session_id = session
        elif isinstance(message, ResultMessage):
            self.result = message
            self.session_id = message.session_id or self.session_id

    def _partial(self, message: StreamEvent) -> Iterator[MassgenEvent]:
        if message.parent_tool_use_id is not None:
            return
        event = message.event
        if event.get("type") != "content_block_delta":
            return
        delta = event.get("delta") or {}
        if delta.get("type") == "text_delta" and delta.get("text"):
            yield TextDelta(str(delta["text"]))
        elif delta.get("type") == "thinking_delta" and delta.get("thinking"):
            yield ReasoningDelta(str(delta["thinking"]))

    def _assistant(self, message: AssistantMessage) -> Iterator[MassgenEvent]:
        if message.error is not None:
            self._failure = (
                message.error,
                "".join(b.text for b in message.content if isinstance(b, TextBlock)),
            )
            return
        main = message.parent_tool_use_id is None
        for block in message.content:
            if isinstance(block, TextBlock) and main:
                self._segments[-1].append(block.text)
            elif isinstance(block, ToolUseBlock):
                name = self.bridge.core_name.get(block.name, block.name)
                self._names[block.id] = name
                call = ToolCallPart(id=block.id, name=name, arguments=dict(block.input))
                if block.name in self.bridge.core_name and block.name not in self.bridge.workflow_names:
                    self._core_calls.append(call)
                if main:
                    self._segments.append([])
                yield ToolCall(call)

    def _user(self, message: UserMessage) -> Iterator[MassgenEvent]:
        if not isinstance(message.content, list):
            return
        workflow = self.bridge.workflow_call
        for block in message.content:
            if not isinstance(block, ToolResultBlock):
                continue
            if workflow is not None and block.tool_use_id == workflow.id:
                continue  # the core answers the call that ends the turn
            yield ToolResult(
                call_id=block.tool_use_id,
                name=self._names.get(block.tool_use_id, "tool"),
                output=_content_text(block.content),
                is_error=bool(block.is_error),
            )

    # -- the end --------------------------------------------------------------------------------
    def failure(self) -> BackendError | None:
        """The error of a failed model call, if Claude Code reported one."""
        result = self.result
        status = result.api_error_status if result is not None else None
        if self._failure is not None:
            kind, text = self._failure
            return api_error(
                kind, text or (result.result if result else "") or "unknown error", status, self.context
            )
        if result is not None and result.is_error:
            if result.subtype == "success":
                return api_error(None, result.result or "unknown error", status, self.context)
            if result.subtype != "error_max_turns":
                detail = "; ".join(result.errors or []) or result.result or result.subtype
                return BackendError(f"claude_code: Claude Code stopped: {detail}", retryable=False)
        return None

    def answer_text(self) -> str:
        """What Claude wrote after its last tool call (all of its text if that is empty)."""
        last = "".join(self._segments[-1]).strip()
        if last:
            return last
        return "\n\n".join(t for seg in self._segments if (t := "".join(seg).strip()))

    def usage(self) -> Usage | None:
        return usage_of(self.result.usage) if self.result is not None else None

    def done(self) -> Done:
        builder = MessageBuilder()
        text = self.answer_text()
        if text:
            builder.text(text)
        for call in self._core_calls:
            builder.tool_call(call)
        workflow = self.bridge.workflow_call
        stop: StopReason = "end_turn"
        if workflow is not None:
            builder.tool_call(workflow)
            stop = "tool_calls"
        elif self.result is not None and self.result.subtype == "error_max_turns":
            stop = "other"
        if self.session_id:
            builder.provider_state[STATE_KEY] = {"session_id": self.session_id}
        message: Message = builder.build()
        return Done(stop_reason=stop, message=message)
