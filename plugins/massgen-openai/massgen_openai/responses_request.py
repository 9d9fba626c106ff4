"""A :class:`ChatRequest` as a Responses API request (pure; no SDK import).

Assistant turns are replayed from the output items the provider sent (kept in each part's
``provider_state["openai"]``): reasoning items with their encrypted content and ids, message and
function-call items with their ids, and the built-in tool calls that preceded them. That is what
carries a reasoning model's state from one turn to the next without ``store``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
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

from .media import audio_payload, file_payload, media_error, media_url
from .options import ResponsesOptions

__all__ = [
    "STATE_KEY",
    "ResponsesSettings",
    "build_responses_params",
    "responses_input",
    "responses_tools",
]

#: ``provider_state`` key of everything the Responses backends write.
STATE_KEY = "openai"


@attrs.frozen(kw_only=True)
class ResponsesSettings:
    """What shapes a request besides the conversation: resolved from options and the model."""

    model: str
    backend: str = "openai"
    store: bool = False
    #: ask for and replay ``reasoning.encrypted_content`` (reasoning models, without store)
    encrypted_reasoning: bool = False
    web_search: bool = False
    code_interpreter: bool = False
    image_generation: bool = False
    #: the vector store of the documents given with the question (the ``file_search`` tool)
    file_search_store: str | None = None


def _clean(value: Any) -> Any:
    """A stored item ready to send back: ``None`` fields dropped, recursively."""
    if isinstance(value, Mapping):
        return {k: _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _state(part: Any) -> Mapping[str, Any]:
    state = part.provider_state.get(STATE_KEY) if part.provider_state else None
    return state if isinstance(state, Mapping) else {}


def _user_content(message: Message, backend: str) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, TextPart):
            content.append({"type": "input_text", "text": part.text})
        elif isinstance(part, MediaPart):
            content.append(_media_content(part, backend))
    return content


def _media_content(part: MediaPart, backend: str) -> dict[str, Any]:
    if part.kind == "image":
        return {"type": "input_image", "image_url": media_url(part, backend), "detail": "auto"}
    if part.kind == "audio":
        return {"type": "input_audio", "input_audio": audio_payload(part, backend)}
    if part.kind == "file":
        if part.url and not part.url.startswith("data:"):
            return {"type": "input_file", "file_url": part.url}
        filename, data = file_payload(part, backend)
        return {"type": "input_file", "filename": filename, "file_data": data}
    raise media_error(backend, part, "the Responses API does not accept video input")


def _assistant_items(message: Message, settings: ResponsesSettings) -> list[dict[str, Any]]:
    """The output items of an assistant turn, as the provider sent them where possible.

    A reasoning item can only go back with ``store`` or its encrypted content. When one cannot, the
    turn's other items go back without their ids and without the built-in tool calls: the API
    rejects items whose reasoning item is missing.
    """
    paired = all(
        settings.store or _state(p).get("item", {}).get("encrypted_content")
        for p in message.parts
        if isinstance(p, ReasoningPart) and isinstance(_state(p).get("item"), Mapping)
    )
    items: list[dict[str, Any]] = []
    for part in message.parts:
        state = _state(part)
        if paired:
            items.extend(_clean(item) for item in state.get("before", ()))
        item = state.get("item")
        if isinstance(part, ReasoningPart):
            if isinstance(item, Mapping) and paired:
                items.append(_clean(item))
        elif isinstance(part, TextPart):
            if isinstance(item, Mapping) and paired and _message_text(item) == part.text:
                items.append(_clean(item))
            elif part.text:
                items.append({"role": "assistant", "content": part.text})
        elif isinstance(part, ToolCallPart):
            call: dict[str, Any] = {
                "type": "function_call",
                "call_id": part.id,
                "name": part.name,
                "arguments": json.dumps(dict(part.arguments), ensure_ascii=False),
            }
            if isinstance(item, Mapping) and item.get("id") and paired:
                call["id"] = item["id"]
            items.append(call)
        elif isinstance(part, MediaPart):
            where = part.path or part.url or part.kind
            items.append({"role": "assistant", "content": f"[{part.kind}: {where}]"})
    return items


def _message_text(item: Mapping[str, Any]) -> str:
    return "".join(
        str(c.get("text", ""))
        for c in item.get("content") or ()
        if isinstance(c, Mapping) and c.get("type") == "output_text"
    )


def responses_input(messages: Iterable[Message], settings: ResponsesSettings) -> list[dict[str, Any]]:
    """The ``input`` items of a conversation."""
    items: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            items.append({"role": "system", "content": message.text})
        elif message.role == "user":
            items.append({"role": "user", "content": _user_content(message, settings.backend)})
        elif message.role == "assistant":
            items.extend(_assistant_items(message, settings))
        else:  # tool results
            for part in message.parts:
                if isinstance(part, ToolResultPart):
                    items.append(
                        {"type": "function_call_output", "call_id": part.call_id, "output": part.content}
                    )
                elif isinstance(part, TextPart) and part.text:
                    items.append({"role": "user", "content": [{"type": "input_text", "text": part.text}]})
    return items


def responses_tools(tools: Sequence[ToolDefinition], settings: ResponsesSettings) -> list[dict[str, Any]]:
    """Built-in tools first, then function tools (``strict`` off: MCP schemas are rarely strict)."""
    out: list[dict[str, Any]] = []
    if settings.web_search:
        out.append({"type": "web_search"})
    if settings.code_interpreter:
        out.append({"type": "code_interpreter", "container": {"type": "auto"}})
    if settings.image_generation:
        out.append({"type": "image_generation"})
    if settings.file_search_store:
        out.append({"type": "file_search", "vector_store_ids": [settings.file_search_store]})
    for tool in tools:
        out.append(
            {
                "type": "function",
                "name": tool.name,
                "description": tool.description,
                "parameters": dict(tool.parameters),
                "strict": False,
            }
        )
    return out


def _tool_choice(choice: str) -> str | dict[str, Any]:
    if choice in ("auto", "required", "none"):
        return choice
    return {"type": "function", "name": choice}


def build_responses_params(
    request: ChatRequest, options: ResponsesOptions, settings: ResponsesSettings
) -> dict[str, Any]:
    """The request body for ``POST /responses`` (``stream: true`` included; ``extra_body`` kept apart)."""
    params: dict[str, Any] = {
        "model": settings.model,
        "input": responses_input(request.messages, settings),
        "stream": True,
        "store": settings.store,
    }
    tools = responses_tools(request.tools, settings)
    if tools:
        params["tools"] = tools
        if request.tools:
            params["tool_choice"] = _tool_choice(request.tool_choice)
        if options.parallel_tool_calls is not None:
            params["parallel_tool_calls"] = options.parallel_tool_calls
    include = []
    if settings.encrypted_reasoning and not settings.store:
        include.append("reasoning.encrypted_content")
    if settings.web_search:
        include.append("web_search_call.action.sources")
    if settings.code_interpreter:
        include.append("code_interpreter_call.outputs")
    if include:
        params["include"] = include
    if options.reasoning is not None and (reasoning := options.reasoning.wire()):
        params["reasoning"] = reasoning
    if options.text is not None and (text := options.text.wire()):
        params["text"] = text
    if options.temperature is not None:
        params["temperature"] = options.temperature
    if options.top_p is not None:
        params["top_p"] = options.top_p
    if options.max_tokens is not None:
        params["max_output_tokens"] = options.max_tokens
    if options.extra_body:
        params["extra_body"] = dict(options.extra_body)
    return params
