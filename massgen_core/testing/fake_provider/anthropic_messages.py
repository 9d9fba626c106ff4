"""Anthropic Messages: ``POST /v1/messages`` (SSE where every event has an ``event:`` line)."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator
from typing import Any

from attrs import field, frozen

from .recording import RecordedRequest
from .rendering import ErrorResponse, JsonObject, resolved_model, resolved_usage
from .script import (
    CodeExecution,
    HttpError,
    Reply,
    StopReason,
    StreamError,
    ToolCall,
    Usage,
    WebSearch,
    split_text,
)
from .sse import EventRole, SseEvent, compact_json, new_id

STOP_REASONS = {
    StopReason.END: "end_turn",
    StopReason.TOOL_CALLS: "tool_use",
    StopReason.MAX_TOKENS: "max_tokens",
    StopReason.CONTENT_FILTER: "refusal",
}
# status -> (error.type, message)
ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "Invalid request."),
    401: ("authentication_error", "invalid x-api-key"),
    403: ("permission_error", "Your API key does not have permission to use the specified resource."),
    404: ("not_found_error", "model: {model}"),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: (
        "rate_limit_error",
        "This request would exceed the rate limit for your organization of 50 requests per minute. "
        "For details, refer to: https://docs.claude.com/en/api/rate-limits.",
    ),
    500: ("api_error", "Internal server error"),
    503: ("api_error", "Service unavailable"),
    504: ("timeout_error", "Request timed out"),
    529: ("overloaded_error", "Overloaded"),
}
STREAM_ERROR_STATUS = 529


def anthropic_error_object(status: int, model: str | None, message: str | None = None) -> JsonObject:
    fallback = ("api_error" if status >= 500 else "invalid_request_error", f"Error {status}")
    error_type, template = ERRORS.get(status, fallback)
    return {"type": error_type, "message": message or template.format(model=model or "unknown")}


def anthropic_usage(usage: Usage) -> JsonObject:
    return {
        "input_tokens": usage.input_tokens,
        "cache_creation_input_tokens": usage.cache_write_tokens,
        "cache_read_input_tokens": usage.cached_tokens,
        "output_tokens": usage.output_tokens,
        "service_tier": "standard",
    }


@frozen
class _Block:
    """A content block: its ``content_block_start`` payload, its deltas, its final form."""

    start: JsonObject
    deltas: list[JsonObject] = field(factory=list)
    final: JsonObject = field(factory=dict)


class AnthropicMessagesRenderer:
    """Renders a reply as a ``message`` object or its event stream."""

    def __init__(self, reply: Reply, request: RecordedRequest) -> None:
        self.reply = reply
        self.request = request
        self.id = new_id("msg_01", 22)
        self.model = resolved_model(reply, request)
        self.usage = resolved_usage(reply, request)

    @property
    def stop_reason(self) -> str:
        return self.reply.wire_stop_reason or STOP_REASONS[self.reply.resolved_stop_reason]

    def headers(self) -> dict[str, str]:
        return {"request-id": new_id("req_011", 21)}

    # -- content blocks --------------------------------------------------------------------------

    def _blocks(self) -> list[_Block]:
        reply = self.reply
        blocks: list[_Block] = []
        if reply.reasoning is not None:
            thinking = reply.reasoning
            deltas: list[JsonObject] = [{"type": "thinking_delta", "thinking": p} for p in thinking.pieces]
            deltas.append({"type": "signature_delta", "signature": thinking.signature})
            final = {"type": "thinking", "thinking": thinking.full_text, "signature": thinking.signature}
            blocks.append(_Block({"type": "thinking", "thinking": "", "signature": ""}, deltas, final))
            for data in thinking.redacted:
                redacted = {"type": "redacted_thinking", "data": data}
                blocks.append(_Block(redacted, [], redacted))
        for search in reply.web_searches:
            blocks.extend(self._web_search_blocks(search))
        for run in reply.code_executions:
            blocks.extend(self._code_execution_blocks(run))
        if reply.text_pieces:
            blocks.append(self._text_block())
        for call in reply.tool_calls:
            blocks.append(self._tool_use_block(call))
        return blocks

    def _server_tool_use(self, name: str, tool_input: JsonObject, chunks: int) -> tuple[str, _Block]:
        tool_id = new_id("srvtoolu_01", 22)
        deltas: list[JsonObject] = [
            {"type": "input_json_delta", "partial_json": piece}
            for piece in split_text(compact_json(tool_input), chunks)
        ]
        start = {"type": "server_tool_use", "id": tool_id, "name": name, "input": {}}
        return tool_id, _Block(start, deltas, start | {"input": tool_input})

    def _web_search_blocks(self, search: WebSearch) -> list[_Block]:
        tool_id, use = self._server_tool_use("web_search", {"query": search.query}, 1)
        results = [
            {
                "type": "web_search_result",
                "title": hit.title,
                "url": hit.url,
                "encrypted_content": base64.b64encode(secrets.token_bytes(24)).decode(),
                "page_age": hit.page_age,
            }
            for hit in search.results
        ]
        result = {"type": "web_search_tool_result", "tool_use_id": tool_id, "content": results}
        return [use, _Block(result, [], result)]

    def _code_execution_blocks(self, run: CodeExecution) -> list[_Block]:
        key = "code" if run.anthropic_tool == "code_execution" else "command"
        tool_id, use = self._server_tool_use(run.anthropic_tool, {key: run.code}, run.chunks)
        content = {
            "type": f"{run.anthropic_tool}_result",
            "stdout": run.output,
            "stderr": run.stderr,
            "return_code": run.return_code,
            "content": [],
        }
        result = {"type": f"{run.anthropic_tool}_tool_result", "tool_use_id": tool_id, "content": content}
        return [use, _Block(result, [], result)]

    def _text_block(self) -> _Block:
        text = self.reply.full_text
        citations = [
            {
                "type": "web_search_result_location",
                "cited_text": text[cite.start_index : cite.end_index][:150],
                "url": cite.url,
                "title": cite.title,
                "encrypted_index": base64.b64encode(secrets.token_bytes(12)).decode(),
            }
            for cite in self.reply.citations
        ]
        deltas: list[JsonObject] = [{"type": "citations_delta", "citation": c} for c in citations]
        deltas += [{"type": "text_delta", "text": piece} for piece in self.reply.text_pieces]
        final: JsonObject = {"type": "text", "text": text}
        if citations:
            final["citations"] = citations
        return _Block({"type": "text", "text": ""}, deltas, final)

    def _tool_use_block(self, call: ToolCall) -> _Block:
        start = {"type": "tool_use", "id": call.id or new_id("toolu_01", 22), "name": call.name, "input": {}}
        pieces = ("", *call.argument_pieces)
        deltas: list[JsonObject] = [{"type": "input_json_delta", "partial_json": p} for p in pieces]
        return _Block(start, deltas, start | {"input": call.arguments_object})

    # -- the stream ------------------------------------------------------------------------------

    def _event(self, kind: str, role: EventRole = EventRole.FRAME, **fields: Any) -> SseEvent:
        return SseEvent(compact_json({"type": kind, **fields}), event=kind, role=role)

    def stream(self) -> Iterator[SseEvent]:
        start_usage = anthropic_usage(self.usage) | {"output_tokens": 1}
        message = self._message([], start_usage, stop_reason=None)
        yield self._event("message_start", message=message)
        pinged = False
        for index, block in enumerate(self._blocks()):
            yield self._event("content_block_start", index=index, content_block=block.start)
            if not pinged:
                yield self._event("ping")
                pinged = True
            for delta in block.deltas:
                yield self._event("content_block_delta", EventRole.DELTA, index=index, delta=delta)
            yield self._event("content_block_stop", index=index)
        if not pinged:
            yield self._event("ping")
        usage: JsonObject = {"output_tokens": self.usage.output_tokens}
        if self.reply.web_searches:
            usage["server_tool_use"] = {
                "web_search_requests": len(self.reply.web_searches),
                "web_fetch_requests": 0,
            }
        delta = {"stop_reason": self.stop_reason, "stop_sequence": None}
        yield self._event("message_delta", EventRole.FINAL, delta=delta, usage=usage)
        yield self._event("message_stop", EventRole.FINAL)

    def encode(self, event: SseEvent) -> bytes:
        return event.encode()

    def stream_error(self, error: StreamError) -> list[SseEvent]:
        if error.body is not None:
            return [SseEvent(compact_json(dict(error.body)), event="error")]
        body = anthropic_error_object(error.status or STREAM_ERROR_STATUS, self.model, error.message)
        return [self._event("error", error=body)]

    # -- non-streaming ---------------------------------------------------------------------------

    def _message(
        self, content: list[JsonObject], usage: JsonObject, *, stop_reason: str | None
    ) -> JsonObject:
        return {
            "id": self.id,
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": usage,
        }

    def body(self) -> JsonObject:
        usage = anthropic_usage(self.usage)
        if self.reply.web_searches:
            usage["server_tool_use"] = {
                "web_search_requests": len(self.reply.web_searches),
                "web_fetch_requests": 0,
            }
        content = [block.final for block in self._blocks()]
        return self._message(content, usage, stop_reason=self.stop_reason)

    def error(self, error: HttpError) -> ErrorResponse:
        status = 401 if error.invalid_api_key else error.status
        request_id = new_id("req_011", 21)
        headers = {"request-id": request_id}
        if status == 429:
            headers |= {
                "anthropic-ratelimit-requests-limit": "50",
                "anthropic-ratelimit-requests-remaining": "0",
                "anthropic-ratelimit-requests-reset": "2026-01-01T00:00:00Z",
            }
        headers |= error.headers
        if error.body is not None:
            return ErrorResponse(status, dict(error.body), headers)
        body = anthropic_error_object(status, self.request.model, error.message)
        if error.error_type:
            body["type"] = error.error_type
        return ErrorResponse(status, {"type": "error", "error": body, "request_id": request_id}, headers)
