"""OpenAI Chat Completions: ``POST /v1/chat/completions`` (SSE ``data:`` lines ending in ``[DONE]``)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

from .openai_errors import openai_error_object, openai_error_response
from .recording import RecordedRequest
from .rendering import ErrorResponse, JsonObject, resolved_model, resolved_usage, unix_time
from .script import HttpError, Reply, StopReason, StreamError, ToolCall, Usage
from .sse import EventRole, SseEvent, compact_json, new_id

FINISH_REASONS = {
    StopReason.END: "stop",
    StopReason.TOOL_CALLS: "tool_calls",
    StopReason.MAX_TOKENS: "length",
    StopReason.CONTENT_FILTER: "content_filter",
}
SYSTEM_FINGERPRINT = "fp_fakeprov"


def chat_usage(usage: Usage) -> JsonObject:
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_tokens, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": usage.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


class OpenAIChatRenderer:
    """Renders a reply as a ``chat.completion`` or a stream of ``chat.completion.chunk``."""

    def __init__(self, reply: Reply, request: RecordedRequest) -> None:
        self.reply = reply
        self.request = request
        self.id = new_id("chatcmpl-", 29)
        self.created = unix_time()
        self.model = resolved_model(reply, request)
        self.call_ids = [call.id or new_id("call_") for call in reply.tool_calls]
        options = request.json.get("stream_options") or {}
        self.include_usage = bool(options.get("include_usage"))
        self.include_obfuscation = options.get("include_obfuscation", True) is not False

    @property
    def finish_reason(self) -> str:
        return self.reply.wire_stop_reason or FINISH_REASONS[self.reply.resolved_stop_reason]

    def headers(self) -> dict[str, str]:
        return {"x-request-id": new_id("req_", 32), "openai-processing-ms": "1"}

    # -- streaming -------------------------------------------------------------------------------

    def _chunk(self, choices: list[JsonObject], *, usage: JsonObject | None = None) -> JsonObject:
        chunk: JsonObject = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "service_tier": "default",
            "system_fingerprint": SYSTEM_FINGERPRINT,
            "choices": choices,
        }
        if self.include_usage:
            chunk["usage"] = usage
        if self.include_obfuscation:
            chunk["obfuscation"] = secrets.token_urlsafe(6)
        return chunk

    def _delta(self, delta: JsonObject, role: EventRole, finish_reason: str | None = None) -> SseEvent:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return SseEvent(compact_json(self._chunk([choice])), role=role)

    def _tool_deltas(self, index: int, call: ToolCall) -> Iterator[SseEvent]:
        identity = {"index": index, "id": self.call_ids[index], "type": "function"}
        if self.reply.chat_repeat_tool_identity:
            for piece in call.argument_pieces or ("",):
                entry = identity | {"function": {"name": call.name, "arguments": piece}}
                yield self._delta({"tool_calls": [entry]}, EventRole.DELTA)
            return
        first = identity | {"function": {"name": call.name, "arguments": ""}}
        yield self._delta({"tool_calls": [first]}, EventRole.DELTA)
        for piece in call.argument_pieces:
            entry = {"index": index, "function": {"arguments": piece}}
            yield self._delta({"tool_calls": [entry]}, EventRole.DELTA)

    def stream(self) -> Iterator[SseEvent]:
        reply = self.reply
        opening: JsonObject = {
            "role": "assistant",
            "content": "" if reply.text_pieces else None,
            "refusal": None,
        }
        yield self._delta(opening, EventRole.FRAME)
        if reply.reasoning is not None:
            for piece in reply.reasoning.pieces:
                yield self._delta({reply.reasoning.chat_field: piece}, EventRole.DELTA)
        for piece in reply.text_pieces:
            yield self._delta({"content": piece}, EventRole.DELTA)
        for index, call in enumerate(reply.tool_calls):
            yield from self._tool_deltas(index, call)
        yield self._delta({}, EventRole.FINAL, self.finish_reason)
        if self.include_usage:
            usage = chat_usage(resolved_usage(reply, self.request))
            yield SseEvent(compact_json(self._chunk([], usage=usage)), role=EventRole.FINAL)
        yield SseEvent("[DONE]", role=EventRole.FINAL)

    def encode(self, event: SseEvent) -> bytes:
        return event.encode()

    def stream_error(self, error: StreamError) -> list[SseEvent]:
        if error.body is not None:
            return [SseEvent(compact_json(dict(error.body)))]
        body = openai_error_object(error.status or 500, self.request, message=error.message)
        return [SseEvent(compact_json({"error": body}))]

    # -- non-streaming ---------------------------------------------------------------------------

    def body(self) -> JsonObject:
        reply = self.reply
        message: JsonObject = {
            "role": "assistant",
            "content": reply.full_text if reply.text_pieces or not reply.tool_calls else None,
            "refusal": None,
            "annotations": [],
        }
        if reply.reasoning is not None:
            message[reply.reasoning.chat_field] = reply.reasoning.full_text
        if reply.tool_calls:
            message["tool_calls"] = [
                {
                    "id": self.call_ids[i],
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments_json},
                }
                for i, call in enumerate(reply.tool_calls)
            ]
        choice: dict[str, Any] = {
            "index": 0,
            "message": message,
            "logprobs": None,
            "finish_reason": self.finish_reason,
        }
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [choice],
            "usage": chat_usage(resolved_usage(reply, self.request)),
            "service_tier": "default",
            "system_fingerprint": SYSTEM_FINGERPRINT,
        }

    def error(self, error: HttpError) -> ErrorResponse:
        return openai_error_response(error, self.request)
