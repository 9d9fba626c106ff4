"""A :class:`ChatRequest` as an OpenAI-compatible Chat Completions request (pure; no SDK import)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
from massgen_core.plugin import (
    ChatRequest,
    MediaPart,
    Message,
    TextPart,
    ToolCallPart,
    ToolDefinition,
    ToolResultPart,
)

from .media import audio_payload, file_payload, media_url

__all__ = ["ChatSettings", "build_chat_params", "chat_messages", "chat_tools"]


@attrs.frozen(kw_only=True)
class ChatSettings:
    """Everything besides the conversation that shapes a Chat Completions request."""

    model: str
    backend: str = "chatcompletion"
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    max_tokens_parameter: str = "max_tokens"
    parallel_tool_calls: bool | None = None
    reasoning_effort: str | None = None
    verbosity: str | None = None
    stream_usage: bool = True
    #: JSON fields sent at the top level of the body as they are (``extra_body``, provider keys)
    extra_body: Mapping[str, Any] = attrs.field(factory=dict)


def _user_content(message: Message, backend: str) -> str | list[dict[str, Any]]:
    if all(isinstance(p, TextPart) for p in message.parts):
        return message.text
    content: list[dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, TextPart):
            content.append({"type": "text", "text": part.text})
        elif isinstance(part, MediaPart):
            content.append(_media_content(part, backend))
    return content


def _media_content(part: MediaPart, backend: str) -> dict[str, Any]:
    if part.kind == "image":
        return {"type": "image_url", "image_url": {"url": media_url(part, backend)}}
    if part.kind == "audio":
        return {"type": "input_audio", "input_audio": audio_payload(part, backend)}
    if part.kind == "video":  # not OpenAI's; Qwen (DashScope), OpenRouter and vLLM accept it
        return {"type": "video_url", "video_url": {"url": media_url(part, backend)}}
    filename, data = file_payload(part, backend)
    return {"type": "file", "file": {"filename": filename, "file_data": data}}


def _answered_call_ids(messages: Sequence[Message]) -> set[str]:
    return {p.call_id for m in messages for p in m.parts if isinstance(p, ToolResultPart)}


def _assistant(message: Message, answered: set[str]) -> dict[str, Any] | None:
    calls = [p for p in message.parts if isinstance(p, ToolCallPart) and p.id in answered]
    text = message.text
    if not text and not calls:
        return None  # an empty assistant turn makes most servers answer 400
    out: dict[str, Any] = {"role": "assistant", "content": text or None}
    if calls:
        out["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {
                    "name": call.name,
                    "arguments": json.dumps(dict(call.arguments), ensure_ascii=False),
                },
            }
            for call in calls
        ]
    return out


def chat_messages(messages: Iterable[Message], backend: str = "chatcompletion") -> list[dict[str, Any]]:
    """The ``messages`` of a conversation.

    Tool calls that never got a result (an interrupted turn) are left out, as are assistant turns
    left empty by that: servers reject both.
    """
    messages = list(messages)
    answered = _answered_call_ids(messages)
    out: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            out.append({"role": "system", "content": message.text})
        elif message.role == "user":
            out.append({"role": "user", "content": _user_content(message, backend)})
        elif message.role == "assistant":
            if (entry := _assistant(message, answered)) is not None:
                out.append(entry)
        else:
            for part in message.parts:
                if isinstance(part, ToolResultPart):
                    out.append({"role": "tool", "tool_call_id": part.call_id, "content": part.content})
    return out


def chat_tools(tools: Sequence[ToolDefinition]) -> list[dict[str, Any]]:
    return [
        {
            "type": "function",
            "function": {"name": t.name, "description": t.description, "parameters": dict(t.parameters)},
        }
        for t in tools
    ]


def _tool_choice(choice: str) -> str | dict[str, Any]:
    if choice in ("auto", "required", "none"):
        return choice
    return {"type": "function", "function": {"name": choice}}


def build_chat_params(request: ChatRequest, settings: ChatSettings) -> dict[str, Any]:
    """The request body for ``POST /chat/completions`` (``stream: true`` included; ``extra_body`` kept apart)."""
    params: dict[str, Any] = {
        "model": settings.model,
        "messages": chat_messages(request.messages, settings.backend),
        "stream": True,
    }
    if settings.stream_usage:
        params["stream_options"] = {"include_usage": True}
    if request.tools:
        params["tools"] = chat_tools(request.tools)
        params["tool_choice"] = _tool_choice(request.tool_choice)
        if settings.parallel_tool_calls is not None:
            params["parallel_tool_calls"] = settings.parallel_tool_calls
    if settings.temperature is not None:
        params["temperature"] = settings.temperature
    if settings.top_p is not None:
        params["top_p"] = settings.top_p
    if settings.max_tokens is not None:
        params[settings.max_tokens_parameter] = settings.max_tokens
    if settings.reasoning_effort is not None:
        params["reasoning_effort"] = settings.reasoning_effort
    if settings.verbosity is not None:
        params["verbosity"] = settings.verbosity
    if settings.extra_body:
        params["extra_body"] = dict(settings.extra_body)
    return params
