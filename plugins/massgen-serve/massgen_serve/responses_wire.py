"""The OpenAI Responses API wire format (``POST /v1/responses``), on the Chat Completions rules.

A request's ``input`` (a string, or a list of messages whose content is a string or
``input_text`` / ``output_text`` / ``input_image`` parts) and ``instructions`` are read into the
same conversation as a chat request's messages (:func:`massgen_serve.wire.parse_chat_request`
states the rules: the last user turn is the question, earlier turns are history, instructions
come before the question); errors name the Responses field (``input[2].content``). What the
team cannot do is refused with a 400: tools, ``previous_response_id`` (the server keeps no
responses: send the conversation in ``input``), structured output. Sampling fields are
accepted and ignored: the team's config decides.

:class:`Reply` builds the response object and, streamed, its events: ``response.created``,
``response.in_progress``, the output item and content part opened, ``response.output_text.delta``
per piece of text, then the text, part and item done and ``response.completed`` (carrying the
``massgen`` field), each with its ``sequence_number``. A run that fails ends the stream with
``response.failed``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from typing import Any

from . import wire

__all__ = ["Reply", "parse_responses_request"]

_TEXT_PARTS = {"input_text", "output_text", "text"}
_REFUSED = {
    "tools": "a MassGen team answers in text; it cannot call the client's tools",
    "previous_response_id": "this server keeps no responses: send the whole conversation in `input`",
    "conversation": "this server keeps no conversations: send the whole conversation in `input`",
}


def _error(message: str, param: str, code: str = "invalid_value") -> wire.ApiError:
    return wire.ApiError(400, message, param=param, code=code)


def _chat_part(part: Any, where: str) -> dict[str, Any]:
    if not isinstance(part, dict):
        raise _error(f"{where} must be an object with a `type`", where, "invalid_type")
    kind = part.get("type")
    if kind in _TEXT_PARTS:
        return {"type": "text", "text": part.get("text")}
    if kind == "input_image":
        url = part.get("image_url")
        if not isinstance(url, str):
            raise _error(
                f"{where}.image_url must be a URL string (file_id is not supported)", f"{where}.image_url"
            )
        return {"type": "image_url", "image_url": {"url": url}}
    raise _error(
        f"{where}: part type {kind!r} is not supported; a team takes text and images", f"{where}.type"
    )


def _chat_messages(body: Mapping[str, Any]) -> list[Any]:
    messages: list[Any] = []
    instructions = body.get("instructions")
    if instructions is not None:
        if not isinstance(instructions, str):
            raise _error("instructions must be a string", "instructions", "invalid_type")
        messages.append({"role": "system", "content": instructions})
    given = body.get("input")
    if given is None:
        raise _error(
            "input is required: the question, or a list of messages", "input", "missing_required_parameter"
        )
    if isinstance(given, str):
        return [*messages, {"role": "user", "content": given}]
    if not isinstance(given, list) or not given:
        raise _error("input must be a string or a non-empty list of messages", "input", "invalid_type")
    for i, item in enumerate(given):
        where = f"input[{i}]"
        if not isinstance(item, dict) or item.get("type", "message") != "message" or "role" not in item:
            kind = item.get("type") if isinstance(item, dict) else type(item).__name__
            raise _error(
                f"{where}: only messages ({{role, content}}) are taken, not {kind!r}; a team cannot take "
                "tool calls or outputs",
                where,
            )
        content = item.get("content")
        if isinstance(content, list):
            content = [_chat_part(part, f"{where}.content[{j}]") for j, part in enumerate(content)]
        messages.append({"role": item["role"], "content": content})
    return messages


def _responses_param(param: str | None, offset: int) -> str | None:
    """A chat request's param (``messages[3].content``) as the Responses field it came from."""
    if param is None or not param.startswith("messages["):
        return param
    index, _, rest = param[len("messages[") :].partition("]")
    if not index.isdigit():
        return "input"
    position = int(index) - offset
    return "instructions" if position < 0 else f"input[{position}]{rest}"


def parse_responses_request(body: bytes) -> wire.ChatRequest:
    """``body`` as the conversation it asks about (see the module docstring).

    :raises ApiError: 400 saying what is wrong, with the Responses field as ``param``.
    """
    data = wire.json_object(body)
    for key, why in _REFUSED.items():
        if data.get(key):
            raise _error(why, key)
    text = data.get("text")
    if (
        isinstance(text, dict)
        and isinstance(text.get("format"), dict)
        and text["format"].get("type") != "text"
    ):
        raise _error("structured output is not supported: a team answers in text", "text.format")
    messages = _chat_messages(data)
    offset = 1 if data.get("instructions") is not None else 0
    chat = {
        "model": data.get("model"),
        "messages": messages,
        "stream": data.get("stream", False),
        **({"massgen": data["massgen"]} if "massgen" in data else {}),
        **({"user": data["user"]} if "user" in data else {}),
    }
    try:
        return wire.parse_chat_request(json.dumps(chat).encode())
    except wire.ApiError as error:
        param = _responses_param(error.param, offset)
        message = error.message.replace(error.param or "\0", param or "") if error.param else error.message
        raise wire.ApiError(
            error.status, message, type=error.type, param=param, code=error.code, headers=error.headers
        ) from None


def _usage(usage: wire.Usage | None) -> dict[str, Any] | None:
    if usage is None:
        return None
    return {
        "input_tokens": usage.prompt_tokens,
        "input_tokens_details": {"cached_tokens": usage.cached_tokens},
        "output_tokens": usage.completion_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": usage.prompt_tokens + usage.completion_tokens,
    }


class Reply:
    """One response: its object, and its stream events in order."""

    def __init__(self, *, model: str, run_id: str) -> None:
        self.model = model
        self.id = f"resp_{run_id}"
        self.item_id = f"msg_{run_id}"
        self.created = int(time.time())
        self._sequence = 0
        self._text: list[str] = []

    def _event(self, kind: str, **fields: Any) -> dict[str, Any]:
        event = {"type": kind, "sequence_number": self._sequence, **fields}
        self._sequence += 1
        return event

    def _item(self, text: str | None, status: str) -> dict[str, Any]:
        content = (
            [] if text is None else [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}]
        )
        return {
            "id": self.item_id,
            "type": "message",
            "status": status,
            "role": "assistant",
            "content": content,
        }

    def _object(
        self,
        status: str,
        output: list[dict[str, Any]],
        usage: wire.Usage | None = None,
        massgen: Mapping[str, Any] | None = None,
        error: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "response",
            "created_at": self.created,
            "status": status,
            "model": self.model,
            "output": output,
            "usage": _usage(usage),
            "error": error,
            "incomplete_details": None,
            "instructions": None,
            "metadata": {},
            "parallel_tool_calls": False,
            "temperature": None,
            "top_p": None,
            "tool_choice": "none",
            "tools": [],
            **({"massgen": dict(massgen)} if massgen is not None else {}),
        }

    def response(self, text: str, usage: wire.Usage | None, massgen: Mapping[str, Any]) -> dict[str, Any]:
        """The whole response, for a request that was not streamed."""
        return self._object("completed", [self._item(text, "completed")], usage, massgen)

    def opening(self) -> Iterator[dict[str, Any]]:
        started = self._object("in_progress", [])
        yield self._event("response.created", response=started)
        yield self._event("response.in_progress", response=started)
        yield self._event("response.output_item.added", output_index=0, item=self._item(None, "in_progress"))
        part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
        yield self._event(
            "response.content_part.added", item_id=self.item_id, output_index=0, content_index=0, part=part
        )

    def text(self, delta: str) -> Iterator[dict[str, Any]]:
        self._text.append(delta)
        yield self._event(
            "response.output_text.delta",
            item_id=self.item_id,
            output_index=0,
            content_index=0,
            delta=delta,
            logprobs=[],
        )

    def closing(
        self, final: str, usage: wire.Usage | None, massgen: Mapping[str, Any]
    ) -> Iterator[dict[str, Any]]:
        """The closing events; the text done is what was streamed (which ends with ``final``)."""
        text = "".join(self._text) or final
        common = {"item_id": self.item_id, "output_index": 0, "content_index": 0}
        yield self._event("response.output_text.done", **common, text=text, logprobs=[])
        part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
        yield self._event("response.content_part.done", **common, part=part)
        item = self._item(text, "completed")
        yield self._event("response.output_item.done", output_index=0, item=item)
        yield self._event("response.completed", response=self._object("completed", [item], usage, massgen))

    def failed(self, error: wire.ApiError) -> dict[str, Any]:
        details = {"code": error.code or "server_error", "message": error.message}
        return self._event("response.failed", response=self._object("failed", [], error=details))
