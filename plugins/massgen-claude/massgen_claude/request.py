"""A :class:`ChatRequest` as the JSON body of ``POST /v1/messages`` (streamed).

Conversation: system messages go to the top-level ``system``; tool results become a user turn of
``tool_result`` blocks; consecutive turns of one role are merged (the API alternates roles).
An assistant turn is rebuilt from its parts with the blocks this backend kept in each part's
``provider_state["claude"]``: thinking blocks with their signatures (and redacted thinking),
text with its citations, and the server-tool blocks (web search, code execution) that came
before a part, so the next request shows Claude its own turn exactly as it produced it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from massgen_core.plugin import (
    ChatRequest,
    MediaPart,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolDefinition,
    ToolResultPart,
)

from .media import media_block
from .options import ClaudeOptions

__all__ = ["STATE_KEY", "build_params", "wire_messages", "wire_tools"]

#: the key of this backend's entry in a part's (or message's) ``provider_state``
STATE_KEY = "claude"

WEB_SEARCH_TOOL = "web_search_20250305"
CODE_EXECUTION_TOOL = "code_execution_20250825"


def _state(holder: TextPart | ReasoningPart | ToolCallPart | Message) -> Mapping[str, Any]:
    state = holder.provider_state.get(STATE_KEY)
    return state if isinstance(state, Mapping) else {}


def _blocks(value: Any) -> list[dict[str, Any]]:
    return [dict(b) for b in value] if isinstance(value, Sequence) and not isinstance(value, str) else []


def _assistant_content(message: Message) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = []
    for part in message.parts:
        if not isinstance(part, TextPart | ReasoningPart | ToolCallPart):
            continue  # media and tool results have no place in an assistant turn
        state = _state(part)
        content += _blocks(state.get("before"))
        kept = state.get("block")
        if isinstance(part, ReasoningPart):
            if isinstance(kept, Mapping):  # thinking without its signature cannot be sent back
                content.append(dict(kept))
        elif isinstance(part, TextPart):
            if not part.text:
                continue  # the API rejects empty text blocks
            block: dict[str, Any] = {"type": "text", "text": part.text}
            if isinstance(kept, Mapping) and kept.get("text") == part.text and kept.get("citations"):
                block["citations"] = kept["citations"]
            content.append(block)
        else:
            content.append(
                {"type": "tool_use", "id": part.id, "name": part.name, "input": dict(part.arguments)}
            )
    content += _blocks(_state(message).get("after"))
    return content


def _tool_result(part: ToolResultPart) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "tool_result", "tool_use_id": part.call_id}
    if part.content:
        block["content"] = part.content
    if part.is_error:
        block["is_error"] = True
    return block


def _user_content(message: Message, backend: str) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, ToolResultPart):
            content.append(_tool_result(part))
        elif isinstance(part, TextPart) and part.text:
            content.append({"type": "text", "text": part.text})
        elif isinstance(part, MediaPart):
            content.append(media_block(part, backend))
    return content


def wire_messages(messages: Iterable[Message], backend: str) -> tuple[str | None, list[dict[str, Any]]]:
    """``(system, messages)`` for the request: the system text and the alternating turns."""
    system: list[str] = []
    turns: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            if message.text:
                system.append(message.text)
            continue
        role = "assistant" if message.role == "assistant" else "user"
        content = _assistant_content(message) if role == "assistant" else _user_content(message, backend)
        if not content:
            continue
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(content)
        else:
            turns.append({"role": role, "content": content})
    return ("\n\n".join(system) or None), turns


def wire_tools(tools: Iterable[ToolDefinition], options: ClaudeOptions) -> list[dict[str, Any]]:
    """Server tools first (web search, code execution), then the function tools."""
    out: list[dict[str, Any]] = []
    if options.enable_web_search:
        search: dict[str, Any] = {"type": WEB_SEARCH_TOOL, "name": "web_search"}
        if options.web_search_max_uses is not None:
            search["max_uses"] = options.web_search_max_uses
        out.append(search)
    if options.enable_code_execution:
        out.append({"type": CODE_EXECUTION_TOOL, "name": "code_execution"})
    out += [{"name": t.name, "description": t.description, "input_schema": dict(t.parameters)} for t in tools]
    return out


def _tool_choice(choice: str, parallel: bool | None) -> dict[str, Any]:
    if choice == "auto":
        wire: dict[str, Any] = {"type": "auto"}
    elif choice == "required":
        wire = {"type": "any"}
    elif choice == "none":
        return {"type": "none"}
    else:
        wire = {"type": "tool", "name": choice}
    if parallel is False:
        wire["disable_parallel_tool_use"] = True
    return wire


def build_params(request: ChatRequest, options: ClaudeOptions, *, model: str, backend: str) -> dict[str, Any]:
    """The request body: model, messages, limits, thinking, sampling, tools, then ``extra_body``."""
    system, messages = wire_messages(request.messages, backend)
    params: dict[str, Any] = {
        "model": model,
        "max_tokens": options.effective_max_tokens,
        "messages": messages,
        "stream": True,
    }
    if system:
        params["system"] = system
    if options.thinking_budget is not None:
        params["thinking"] = {"type": "enabled", "budget_tokens": options.thinking_budget}
    if options.temperature is not None:
        params["temperature"] = options.temperature
    if options.top_p is not None:
        params["top_p"] = options.top_p
    if options.prompt_caching:
        params["cache_control"] = {"type": "ephemeral"}
    tools = wire_tools(request.tools, options)
    if tools:
        params["tools"] = tools
        if request.tools:
            params["tool_choice"] = _tool_choice(request.tool_choice, options.parallel_tool_calls)
    if options.extra_body:
        params.update(options.extra_body)
    return params
