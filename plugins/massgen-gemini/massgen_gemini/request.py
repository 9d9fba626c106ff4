"""A :class:`ChatRequest` as Gemini's ``generateContent`` request (contents and config, as the
dicts google-genai accepts; no SDK import).

* system messages become ``system_instruction``; the turns become ``Content`` objects with the
  roles ``user`` and ``model``; tool results are ``function_response`` parts (``output`` or
  ``error``) in a ``user`` turn; consecutive turns of one role are merged.
* An assistant message this backend wrote is sent back exactly as Gemini produced it: its
  ``provider_state["gemini"]["contents"]`` holds the model's parts (thought signatures on text
  and function-call parts, code execution, server-side tool calls), so nothing is lost between
  turns. Other assistant messages (another backend's, a saved session's) are rebuilt from their
  text and tool calls.
* Media parts become ``inline_data`` (bytes, a local file, a ``data:`` URL) or ``file_data``
  (an ``http(s)``/``gs://`` URL).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
from massgen_core.plugin import (
    MediaPart,
    Message,
    TextPart,
    ToolCallPart,
    ToolDefinition,
    ToolResultPart,
)

from .options import ThinkingSettings

__all__ = [
    "STATE_KEY",
    "RequestSettings",
    "build_config",
    "conversation",
    "decode_part",
    "function_declarations",
    "gemini_state",
    "system_instruction",
]

#: ``provider_state`` key of everything this backend writes.
STATE_KEY = "gemini"

Json = dict[str, Any]

_MODES = {"auto": "AUTO", "required": "ANY", "none": "NONE"}


@attrs.frozen(kw_only=True)
class RequestSettings:
    """What the options and the model decide about every request."""

    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    max_tokens: int | None = None
    thinking: ThinkingSettings | None = None
    #: the model thinks (send a thinking config, read thoughts)
    reasoning: bool = True
    web_search: bool = False
    code_execution: bool = False

    @property
    def builtin_tools(self) -> bool:
        return self.web_search or self.code_execution


def gemini_state(message: Message) -> Mapping[str, Any] | None:
    """What this backend stored on an assistant message, if it wrote it."""
    state = message.provider_state.get(STATE_KEY) if message.provider_state else None
    if isinstance(state, Mapping) and isinstance(state.get("contents"), list):
        return state
    return None


def system_instruction(messages: Iterable[Message]) -> str | None:
    texts = [m.text for m in messages if m.role == "system" and m.text]
    return "\n\n".join(texts) if texts else None


def _signature(value: Any) -> bytes | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def decode_part(stored: Mapping[str, Any]) -> Any:
    """A stored model part (see :mod:`.stream`) as the SDK takes it."""
    if "sdk_json" in stored:
        from google.genai import types

        return types.Part.model_validate_json(str(stored["sdk_json"]))
    part = {k: v for k, v in stored.items() if k != "thought_signature"}
    signature = _signature(stored.get("thought_signature"))
    if signature is not None:
        part["thought_signature"] = signature
    return part


def _media(part: MediaPart) -> Json:
    mime = part.media_type
    if mime is None:
        what = part.url if part.is_remote else f"{part.kind} part"
        raise part.error("gemini", f"the {what} has no MIME type; give mime_type (e.g. image/png)")
    if part.is_remote:
        return {"file_data": {"file_uri": part.url, "mime_type": mime}}
    try:
        data = part.read_bytes()
    except (OSError, ValueError) as exc:
        raise part.error("gemini", str(exc)) from exc
    return {"inline_data": {"mime_type": mime, "data": data}}


def _user_parts(message: Message) -> list[Any]:
    parts: list[Any] = []
    for part in message.parts:
        if isinstance(part, TextPart):
            if part.text:
                parts.append({"text": part.text})
        elif isinstance(part, MediaPart):
            parts.append(_media(part))
    return parts


def _rebuilt_model_parts(message: Message) -> list[Any]:
    """Parts of an assistant message this backend did not write (no reasoning: it is not ours)."""
    parts: list[Any] = []
    for part in message.parts:
        if isinstance(part, TextPart) and part.text:
            parts.append({"text": part.text})
        elif isinstance(part, ToolCallPart):
            parts.append({"function_call": {"id": part.id, "name": part.name, "args": dict(part.arguments)}})
    return parts


def _function_response(part: ToolResultPart, call_ids: Mapping[str, str | None]) -> Json:
    key = "error" if part.is_error else "output"
    response: Json = {"name": part.name, "response": {key: part.content}}
    provider_id = call_ids.get(part.call_id)
    if provider_id:
        response["id"] = provider_id
    return {"function_response": response}


def conversation(messages: Sequence[Message]) -> list[Json]:
    """The ``contents`` of the request: every non-system message, in order."""
    contents: list[Json] = []
    call_ids: dict[str, str | None] = {}  # our call id -> the id Gemini gave (None: it gave none)

    def add(role: str, parts: list[Any]) -> None:
        if not parts:
            return
        if contents and contents[-1]["role"] == role:
            contents[-1]["parts"].extend(parts)
        else:
            contents.append({"role": role, "parts": parts})

    for message in messages:
        if message.role == "system":
            continue
        if message.role == "user":
            add("user", _user_parts(message))
        elif message.role == "tool":
            add("user", [_function_response(p, call_ids) for p in message.tool_results_parts])
        elif (state := gemini_state(message)) is not None:
            ids = state.get("call_ids")
            if isinstance(ids, Mapping):
                call_ids.update({str(k): (str(v) if v else None) for k, v in ids.items()})
            for content in state["contents"]:
                if isinstance(content, Mapping) and isinstance(content.get("parts"), list):
                    role = "model" if content.get("role") == "model" else "user"
                    add(role, [decode_part(p) for p in content["parts"] if isinstance(p, Mapping)])
        else:
            call_ids.update({c.id: c.id for c in message.tool_calls})
            add("model", _rebuilt_model_parts(message))
    return contents


def function_declarations(tools: Sequence[ToolDefinition]) -> list[Json]:
    """The core's tools as function declarations (JSON Schema passed through as is)."""
    return [
        {"name": t.name, "description": t.description, "parameters_json_schema": dict(t.parameters)}
        for t in tools
    ]


def _thinking(settings: RequestSettings) -> Json | None:
    if not settings.reasoning:
        return None
    thinking = settings.thinking or ThinkingSettings()
    config: Json = {"include_thoughts": thinking.include_thoughts}
    if thinking.budget is not None:
        config["thinking_budget"] = thinking.budget
    if thinking.level is not None:
        config["thinking_level"] = thinking.level.upper()
    return config


def build_config(
    settings: RequestSettings,
    *,
    system: str | None,
    builtin: bool,
    functions: Sequence[ToolDefinition],
    tool_choice: str = "auto",
    server_side_invocations: bool = False,
) -> Json:
    """The ``GenerateContentConfig`` of one request.

    :param builtin: offer the enabled built-in tools (Google Search, code execution).
    :param functions: the function tools offered.
    :param server_side_invocations: ask for the built-in tools' calls and responses in the
        answer (needed to combine built-in tools with function calling).
    """
    config: Json = {"automatic_function_calling": {"disable": True}}
    if system:
        config["system_instruction"] = system
    tools: list[Json] = []
    if builtin and settings.web_search:
        tools.append({"google_search": {}})
    if builtin and settings.code_execution:
        tools.append({"code_execution": {}})
    if functions:
        tools.append({"function_declarations": function_declarations(functions)})
        mode = _MODES.get(tool_choice)
        calling: Json = {"mode": mode or "ANY"}
        if mode is None:  # a tool's name: that tool must be called
            calling["allowed_function_names"] = [tool_choice]
        config["tool_config"] = {"function_calling_config": calling}
    if tools:
        config["tools"] = tools
    if server_side_invocations and len(tools) > 1:
        # built-in tools and functions together (Gemini 3): the built-in tools' calls and
        # responses come back as parts of the answer, to be sent back on the next turn
        config.setdefault("tool_config", {})["include_server_side_tool_invocations"] = True
    for key, value in (
        ("temperature", settings.temperature),
        ("top_p", settings.top_p),
        ("top_k", settings.top_k),
        ("max_output_tokens", settings.max_tokens),
    ):
        if value is not None:
            config[key] = value
    thinking = _thinking(settings)
    if thinking is not None:
        config["thinking_config"] = thinking
    return config
