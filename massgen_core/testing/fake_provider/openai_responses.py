"""OpenAI Responses: ``POST /v1/responses`` (SSE with ``event:`` lines and ``sequence_number``)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

from .openai_errors import openai_error_response
from .recording import RecordedRequest
from .rendering import ErrorResponse, JsonObject, resolved_model, resolved_usage, unix_time
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

# how a stop reason ends a Responses stream: None = completed, else the incomplete_details reason
INCOMPLETE_REASONS: dict[StopReason, str | None] = {
    StopReason.END: None,
    StopReason.TOOL_CALLS: None,
    StopReason.MAX_TOKENS: "max_output_tokens",
    StopReason.CONTENT_FILTER: "content_filter",
}
# HTTP-like status of a mid-stream error -> ResponseError.code
ERROR_CODES = {429: "rate_limit_exceeded", 400: "invalid_prompt"}
DEFAULT_STREAM_ERROR = (
    "An error occurred while processing your request. You can retry your request, or contact us through our "
    "help center at help.openai.com if the error persists."
)


def responses_usage(usage: Usage) -> JsonObject:
    return {
        "input_tokens": usage.input_tokens,
        "input_tokens_details": {"cached_tokens": usage.cached_tokens, "cache_write_tokens": 0},
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": usage.total_tokens,
    }


class OpenAIResponsesRenderer:
    """Renders a reply as a ``response`` object or its stream of typed events."""

    def __init__(self, reply: Reply, request: RecordedRequest) -> None:
        self.reply = reply
        self.request = request
        self.id = new_id("resp_", 48)
        self.created = unix_time()
        self.model = resolved_model(reply, request)
        include = request.json.get("include") or []
        self.include = {str(name) for name in include} if isinstance(include, list) else set()
        self.obfuscate = (request.json.get("stream_options") or {}).get(
            "include_obfuscation", True
        ) is not False
        self.sequence = 0
        self.output: list[JsonObject] = []

    def headers(self) -> dict[str, str]:
        return {"x-request-id": new_id("req_", 32), "openai-processing-ms": "1"}

    @property
    def incomplete_reason(self) -> str | None:
        wire = self.reply.wire_stop_reason
        if wire is not None:
            return None if wire == "completed" else wire
        return INCOMPLETE_REASONS[self.reply.resolved_stop_reason]

    # -- building blocks -------------------------------------------------------------------------

    def response_object(self, status: str, **overrides: Any) -> JsonObject:
        params = self.request.json
        reasoning = params.get("reasoning") or {}
        response: JsonObject = {
            "id": self.id,
            "object": "response",
            "created_at": self.created,
            "status": status,
            "background": False,
            "completed_at": None,
            "error": None,
            "incomplete_details": None,
            "instructions": params.get("instructions"),
            "max_output_tokens": params.get("max_output_tokens"),
            "max_tool_calls": None,
            "model": self.model,
            "output": [],
            "parallel_tool_calls": params.get("parallel_tool_calls", True),
            "previous_response_id": params.get("previous_response_id"),
            "reasoning": {"effort": reasoning.get("effort"), "summary": reasoning.get("summary")},
            "service_tier": "default",
            "store": params.get("store", True),
            "temperature": params.get("temperature", 1.0),
            "text": {"format": {"type": "text"}, "verbosity": "medium"},
            "tool_choice": params.get("tool_choice", "auto"),
            "tools": params.get("tools") or [],
            "top_logprobs": 0,
            "top_p": params.get("top_p", 1.0),
            "truncation": "disabled",
            "usage": None,
            "user": None,
            "metadata": params.get("metadata") or {},
        }
        response.update(overrides)
        return response

    def _event(self, kind: str, role: EventRole = EventRole.FRAME, **fields: Any) -> SseEvent:
        payload: JsonObject = {"type": kind, **fields}
        return SseEvent(compact_json(payload), event=kind, role=role)

    def _delta(self, kind: str, **fields: Any) -> SseEvent:
        if self.obfuscate:
            fields["obfuscation"] = secrets.token_urlsafe(6)
        return self._event(kind, EventRole.DELTA, **fields)

    def _item_added(self, item: JsonObject) -> SseEvent:
        return self._event("response.output_item.added", output_index=len(self.output), item=item)

    def _item_done(self, item: JsonObject) -> SseEvent:
        event = self._event("response.output_item.done", output_index=len(self.output), item=item)
        self.output.append(item)
        return event

    # -- output items ----------------------------------------------------------------------------

    def _reasoning_item(self) -> Iterator[SseEvent]:
        reasoning = self.reply.reasoning
        assert reasoning is not None
        item_id, index, text = new_id("rs_", 48), len(self.output), reasoning.full_text
        added: JsonObject = {"id": item_id, "type": "reasoning", "summary": []}
        if reasoning.raw:
            added["content"] = []
        yield self._item_added(added)
        where: JsonObject = {"item_id": item_id, "output_index": index}
        if reasoning.raw:
            for piece in reasoning.pieces:
                yield self._delta("response.reasoning_text.delta", **where, content_index=0, delta=piece)
            yield self._event("response.reasoning_text.done", **where, content_index=0, text=text)
        if reasoning.summary:
            summary: JsonObject = {"item_id": item_id, "output_index": index, "summary_index": 0}
            part = {"type": "summary_text", "text": ""}
            yield self._event("response.reasoning_summary_part.added", **summary, part=part)
            for piece in reasoning.pieces:
                yield self._delta("response.reasoning_summary_text.delta", **summary, delta=piece)
            yield self._event("response.reasoning_summary_text.done", **summary, text=text)
            part = {"type": "summary_text", "text": text}
            yield self._event("response.reasoning_summary_part.done", **summary, part=part)
        done: JsonObject = {
            "id": item_id,
            "type": "reasoning",
            "summary": [{"type": "summary_text", "text": text}] if reasoning.summary else [],
        }
        if reasoning.raw:
            done["content"] = [{"type": "reasoning_text", "text": text}]
        yield self._item_done(done)

    def _web_search_item(self, search: WebSearch) -> Iterator[SseEvent]:
        item_id, index = new_id("ws_", 48), len(self.output)
        action: JsonObject = {"type": "search", "query": search.query}
        yield self._item_added(
            {"id": item_id, "type": "web_search_call", "status": "in_progress", "action": action}
        )
        for phase in ("in_progress", "searching", "completed"):
            yield self._event(f"response.web_search_call.{phase}", item_id=item_id, output_index=index)
        if "web_search_call.action.sources" in self.include:
            action = action | {"sources": [{"type": "url", "url": hit.url} for hit in search.results]}
        yield self._item_done(
            {"id": item_id, "type": "web_search_call", "status": "completed", "action": action}
        )

    def _code_interpreter_item(self, run: CodeExecution) -> Iterator[SseEvent]:
        item_id, index, container = new_id("ci_", 48), len(self.output), new_id("cntr_", 32)
        item: JsonObject = {
            "id": item_id,
            "type": "code_interpreter_call",
            "status": "in_progress",
            "code": "",
            "container_id": container,
            "outputs": None,
        }
        yield self._item_added(item)
        where: JsonObject = {"item_id": item_id, "output_index": index}
        yield self._event("response.code_interpreter_call.in_progress", **where)
        for piece in split_text(run.code, run.chunks):
            yield self._delta("response.code_interpreter_call_code.delta", **where, delta=piece)
        yield self._event("response.code_interpreter_call_code.done", **where, code=run.code)
        yield self._event("response.code_interpreter_call.interpreting", **where)
        yield self._event("response.code_interpreter_call.completed", **where)
        outputs = None
        if "code_interpreter_call.outputs" in self.include:
            outputs = [{"type": "logs", "logs": run.output + run.stderr}]
        yield self._item_done(item | {"status": "completed", "code": run.code, "outputs": outputs})

    def _annotations(self) -> list[JsonObject]:
        text = self.reply.full_text
        return [
            {
                "type": "url_citation",
                "start_index": cite.start_index,
                "end_index": len(text) if cite.end_index is None else cite.end_index,
                "url": cite.url,
                "title": cite.title,
            }
            for cite in self.reply.citations
        ]

    def _message_item(self) -> Iterator[SseEvent]:
        item_id, index, text = new_id("msg_", 48), len(self.output), self.reply.full_text
        item: JsonObject = {
            "id": item_id,
            "type": "message",
            "status": "in_progress",
            "content": [],
            "role": "assistant",
        }
        yield self._item_added(item)
        where: JsonObject = {"item_id": item_id, "output_index": index, "content_index": 0}
        part: JsonObject = {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}
        yield self._event("response.content_part.added", **where, part=part)
        for piece in self.reply.text_pieces:
            yield self._delta("response.output_text.delta", **where, delta=piece, logprobs=[])
        annotations = self._annotations()
        for number, annotation in enumerate(annotations):
            yield self._event(
                "response.output_text.annotation.added",
                **where,
                annotation_index=number,
                annotation=annotation,
            )
        yield self._event("response.output_text.done", **where, text=text, logprobs=[])
        part = {"type": "output_text", "annotations": annotations, "logprobs": [], "text": text}
        yield self._event("response.content_part.done", **where, part=part)
        status = "completed" if self.incomplete_reason is None else "incomplete"
        yield self._item_done(item | {"status": status, "content": [part]})

    def _function_call_item(self, call: ToolCall) -> Iterator[SseEvent]:
        item_id, index = new_id("fc_", 48), len(self.output)
        item: JsonObject = {
            "id": item_id,
            "type": "function_call",
            "status": "in_progress",
            "arguments": "",
            "call_id": call.id or new_id("call_"),
            "name": call.name,
        }
        yield self._item_added(item)
        where: JsonObject = {"item_id": item_id, "output_index": index}
        for piece in call.argument_pieces:
            yield self._delta("response.function_call_arguments.delta", **where, delta=piece)
        yield self._event("response.function_call_arguments.done", **where, arguments=call.arguments_json)
        yield self._item_done(item | {"status": "completed", "arguments": call.arguments_json})

    # -- the stream ------------------------------------------------------------------------------

    def stream(self) -> Iterator[SseEvent]:
        yield self._event("response.created", response=self.response_object("in_progress"))
        yield self._event("response.in_progress", response=self.response_object("in_progress"))
        yield from self._output_items()
        kind, fields = self._final()
        yield self._event(kind, EventRole.FINAL, **fields)

    def _output_items(self) -> Iterator[SseEvent]:
        reply = self.reply
        if reply.reasoning is not None:
            yield from self._reasoning_item()
        for search in reply.web_searches:
            yield from self._web_search_item(search)
        for run in reply.code_executions:
            yield from self._code_interpreter_item(run)
        if reply.text_pieces or not reply.tool_calls:
            yield from self._message_item()
        for call in reply.tool_calls:
            yield from self._function_call_item(call)

    def _final(self) -> tuple[str, JsonObject]:
        usage = responses_usage(resolved_usage(self.reply, self.request))
        reason = self.incomplete_reason
        if reason is None:
            final = self.response_object(
                "completed", output=self.output, usage=usage, completed_at=unix_time()
            )
            return "response.completed", {"response": final}
        final = self.response_object(
            "incomplete", output=self.output, usage=usage, incomplete_details={"reason": reason}
        )
        return "response.incomplete", {"response": final}

    def encode(self, event: SseEvent) -> bytes:
        """Stamp ``sequence_number`` now, so that events dropped by a fault leave no gap."""
        data = event.data
        if data.startswith("{") and '"sequence_number":' not in data:
            data = f'{data[:-1]},"sequence_number":{self.sequence}}}'
            self.sequence += 1
        return SseEvent(data, event.event, event.role).encode()

    def stream_error(self, error: StreamError) -> list[SseEvent]:
        if error.body is not None:
            body = dict(error.body)
            return [SseEvent(compact_json(body), event=str(body.get("type", "error")))]
        code = ERROR_CODES.get(error.status or 500, "server_error")
        message = error.message or DEFAULT_STREAM_ERROR
        failed = self.response_object("failed", output=self.output, error={"code": code, "message": message})
        return [
            self._event("error", code=code, message=message, param=None),
            self._event("response.failed", response=failed),
        ]

    # -- non-streaming ---------------------------------------------------------------------------

    def body(self) -> JsonObject:
        for _ in self._output_items():
            pass
        _, payload = self._final()
        response: JsonObject = payload["response"]
        return response

    def error(self, error: HttpError) -> ErrorResponse:
        return openai_error_response(error, self.request)
