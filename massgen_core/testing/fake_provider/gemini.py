"""Gemini: ``POST /{v1,v1beta}/models/{model}:generateContent`` and ``:streamGenerateContent?alt=sse``."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

from .recording import RecordedRequest
from .rendering import ErrorResponse, JsonObject, resolved_model, resolved_usage
from .script import HttpError, Reply, StopReason, StreamError, Usage
from .sse import EventRole, SseEvent, new_id, spaced_json

FINISH_REASONS = {
    StopReason.END: "STOP",
    StopReason.TOOL_CALLS: "STOP",
    StopReason.MAX_TOKENS: "MAX_TOKENS",
    StopReason.CONTENT_FILTER: "SAFETY",
}
# status -> (google.rpc status, message)
ERRORS: dict[int, tuple[str, str]] = {
    400: ("INVALID_ARGUMENT", "Request contains an invalid argument."),
    401: (
        "UNAUTHENTICATED",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie "
        "or other valid authentication credential.",
    ),
    403: ("PERMISSION_DENIED", "The caller does not have permission"),
    404: (
        "NOT_FOUND",
        "models/{model} is not found for API version {version}, or is not supported for generateContent. "
        "Call ListModels to see the list of available models and their supported methods.",
    ),
    429: (
        "RESOURCE_EXHAUSTED",
        "You exceeded your current quota, please check your plan and billing details.",
    ),
    500: (
        "INTERNAL",
        "An internal error has occurred. Please retry or report in "
        "https://developers.generativeai.google/guide/troubleshooting",
    ),
    503: ("UNAVAILABLE", "The model is overloaded. Please try again later."),
    504: ("DEADLINE_EXCEEDED", "Deadline expired before operation could complete."),
    529: ("UNAVAILABLE", "The model is overloaded. Please try again later."),
}
STREAM_ERROR_STATUS = 503
BAD_KEY_DETAILS = [
    {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "API_KEY_INVALID",
        "domain": "googleapis.com",
        "metadata": {"service": "generativelanguage.googleapis.com"},
    },
    {
        "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
        "locale": "en-US",
        "message": "API key not valid.",
    },
]


def gemini_error_object(status: int, request: RecordedRequest, message: str | None = None) -> JsonObject:
    fallback = ("INTERNAL" if status >= 500 else "FAILED_PRECONDITION", f"Error {status}")
    rpc_status, template = ERRORS.get(status, fallback)
    version = request.path.strip("/").split("/", 1)[0] or "v1beta"
    text = message or template.format(model=request.model or "unknown", version=version)
    return {"code": status, "message": text, "status": rpc_status}


def gemini_usage(usage: Usage, *, final: bool) -> JsonObject:
    prompt = {"promptTokenCount": usage.input_tokens}
    details = {"promptTokensDetails": [{"modality": "TEXT", "tokenCount": usage.input_tokens}]}
    if not final:
        return prompt | {"totalTokenCount": usage.input_tokens} | details
    counts: JsonObject = prompt | {"candidatesTokenCount": usage.output_tokens - usage.reasoning_tokens}
    counts["totalTokenCount"] = usage.total_tokens + usage.tool_use_prompt_tokens
    if usage.tool_use_prompt_tokens:
        counts["toolUsePromptTokenCount"] = usage.tool_use_prompt_tokens
    if usage.cached_tokens:
        counts["cachedContentTokenCount"] = usage.cached_tokens
    if usage.reasoning_tokens:
        counts["thoughtsTokenCount"] = usage.reasoning_tokens
    return counts | details


class GeminiRenderer:
    """Renders a reply as a ``GenerateContentResponse`` or a stream of them."""

    def __init__(self, reply: Reply, request: RecordedRequest) -> None:
        self.reply = reply
        self.request = request
        self.model = resolved_model(reply, request)
        self.response_id = new_id("", 22)
        self.usage = resolved_usage(reply, request)

    def headers(self) -> dict[str, str]:
        return {"x-gemini-service-tier": "standard", "server-timing": "gfet4t7; dur=1"}

    # -- parts -----------------------------------------------------------------------------------

    def _parts(self, *, merged: bool) -> list[JsonObject]:
        """All parts in order; ``merged`` joins text pieces as a non-streaming answer does."""
        reply = self.reply
        parts: list[JsonObject] = []
        if reply.reasoning is not None:
            pieces = (reply.reasoning.full_text,) if merged else reply.reasoning.pieces
            parts += [{"text": piece, "thought": True} for piece in pieces]
        if self._server_side_invocations():
            for number, search in enumerate(reply.web_searches, 1):
                invocation: JsonObject = {"id": f"search_{number}", "toolType": "GOOGLE_SEARCH_WEB"}
                results = [{"url": hit.url, "title": hit.title} for hit in search.results]
                parts.append({"toolCall": invocation | {"args": {"queries": [search.query]}}})
                parts.append({"toolResponse": invocation | {"response": {"results": results}}})
        for run in reply.code_executions:
            outcome = "OUTCOME_OK" if run.return_code == 0 else "OUTCOME_FAILED"
            parts.append({"executableCode": {"language": "PYTHON", "code": run.code}})
            parts.append({"codeExecutionResult": {"outcome": outcome, "output": run.output + run.stderr}})
        texts = (reply.full_text,) if merged and reply.text_pieces else reply.text_pieces
        parts += [{"text": piece} for piece in texts]
        for call in reply.tool_calls:
            function_call: JsonObject = {"name": call.name, "args": call.arguments_object}
            if call.id is not None:
                function_call = {"id": call.id} | function_call
            parts.append({"functionCall": function_call})
        if reply.reasoning is not None and parts:
            signed = next((p for p in parts if "functionCall" in p), None)
            if signed is None:
                signed = next((p for p in reversed(parts) if "text" in p), parts[-1])
            signed["thoughtSignature"] = base64.b64encode(reply.reasoning.signature.encode()).decode()
        return parts or [{"text": ""}]

    def _server_side_invocations(self) -> bool:
        """Whether the request asked for the built-in tools' calls and responses as parts
        (``toolConfig.includeServerSideToolInvocations``, in either case)."""
        body = self.request.json
        config = body.get("toolConfig") or body.get("tool_config") or {}
        if not isinstance(config, dict):
            return False
        return bool(
            config.get("includeServerSideToolInvocations")
            or config.get("include_server_side_tool_invocations")
        )

    def _grounding(self) -> JsonObject | None:
        reply = self.reply
        if not reply.web_searches and not reply.citations:
            return None
        hits = [hit for search in reply.web_searches for hit in search.results]
        chunks = [{"web": {"uri": hit.url, "title": hit.title}} for hit in hits]
        urls = [hit.url for hit in hits]
        text = reply.full_text
        supports = []
        for cite in reply.citations:
            if cite.url not in urls:
                urls.append(cite.url)
                chunks.append({"web": {"uri": cite.url, "title": cite.title}})
            cited = text[cite.start_index : cite.end_index]
            start = len(text[: cite.start_index].encode())
            segment = {"startIndex": start, "endIndex": start + len(cited.encode()), "text": cited}
            supports.append({"segment": segment, "groundingChunkIndices": [urls.index(cite.url)]})
        grounding: JsonObject = {
            "searchEntryPoint": {"renderedContent": '<div class="fake-search-entry-point"></div>'},
            "groundingChunks": chunks,
            "groundingSupports": supports,
            "webSearchQueries": [search.query for search in reply.web_searches],
        }
        return grounding

    def _response(self, parts: list[JsonObject], *, final: bool) -> JsonObject:
        candidate: JsonObject = {"content": {"parts": parts, "role": "model"}}
        if final:
            candidate["finishReason"] = (
                self.reply.wire_stop_reason or FINISH_REASONS[self.reply.resolved_stop_reason]
            )
            grounding = self._grounding()
            if grounding is not None:
                candidate["groundingMetadata"] = grounding
        candidate["index"] = 0
        return {
            "candidates": [candidate],
            "usageMetadata": gemini_usage(self.usage, final=final),
            "modelVersion": self.model,
            "responseId": self.response_id,
        }

    # -- streaming -------------------------------------------------------------------------------

    def stream(self) -> Iterator[SseEvent]:
        parts = self._parts(merged=False)
        for number, part in enumerate(parts):
            final = number == len(parts) - 1
            yield SseEvent(spaced_json(self._response([part], final=final)), role=EventRole.DELTA)

    def encode(self, event: SseEvent) -> bytes:
        return event.encode()

    def stream_error(self, error: StreamError) -> list[SseEvent]:
        if error.body is not None:
            return [SseEvent(spaced_json(dict(error.body)))]
        body = gemini_error_object(error.status or STREAM_ERROR_STATUS, self.request, error.message)
        return [SseEvent(spaced_json({"error": body}))]

    def stream_as_array(self) -> list[Any]:
        """The stream as ``streamGenerateContent`` without ``alt=sse`` returns it: one JSON array."""
        parts = self._parts(merged=False)
        return [self._response([part], final=i == len(parts) - 1) for i, part in enumerate(parts)]

    # -- non-streaming ---------------------------------------------------------------------------

    def body(self) -> JsonObject:
        return self._response(self._parts(merged=True), final=True)

    def error(self, error: HttpError) -> ErrorResponse:
        headers = dict(error.headers)
        if error.body is not None:
            return ErrorResponse(400 if error.invalid_api_key else error.status, dict(error.body), headers)
        if error.invalid_api_key:
            message = error.message or "API key not valid. Please pass a valid API key."
            body = {"code": 400, "message": message, "status": "INVALID_ARGUMENT", "details": BAD_KEY_DETAILS}
            return ErrorResponse(400, {"error": body}, headers)
        body = gemini_error_object(error.status, self.request, error.message)
        if error.error_type:
            body["status"] = error.error_type
        retry_after = headers.get("retry-after")
        if error.status == 429 and retry_after is not None:
            retry_info = {
                "@type": "type.googleapis.com/google.rpc.RetryInfo",
                "retryDelay": f"{retry_after}s",
            }
            body["details"] = [retry_info]
        return ErrorResponse(error.status, {"error": body}, headers)
