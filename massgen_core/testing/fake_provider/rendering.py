"""The interface every wire-format renderer implements, and what they share."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any, Protocol

from attrs import field, frozen

from .recording import RecordedRequest
from .script import HttpError, Reply, StreamError, Usage
from .sse import SseEvent, estimate_tokens

JsonObject = dict[str, Any]


@frozen
class ErrorResponse:
    """A complete HTTP error answer."""

    status: int
    body: Mapping[str, Any]
    headers: Mapping[str, str] = field(factory=dict)


class WireRenderer(Protocol):
    """Renders one reply (or error) for one request in one wire format."""

    def headers(self) -> dict[str, str]:
        """Extra headers on a successful answer (request ids ...)."""
        ...

    def stream(self) -> Iterator[SseEvent]:
        """The whole stream, in order (faults are inserted by the server)."""
        ...

    def encode(self, event: SseEvent) -> bytes:
        """The bytes of ``event`` as sent (called only for events that are sent, in order)."""
        ...

    def stream_error(self, error: StreamError) -> list[SseEvent]:
        """The events that report ``error`` after the stream has started."""
        ...

    def body(self) -> JsonObject:
        """The non-streaming response body."""
        ...

    def error(self, error: HttpError) -> ErrorResponse:
        """The HTTP error answer for ``error``."""
        ...


def resolved_usage(reply: Reply, request: RecordedRequest) -> Usage:
    """The scripted usage, or an estimate from the request and reply sizes."""
    if reply.usage is not None:
        return reply.usage
    reasoning = estimate_tokens(reply.reasoning.full_text) if reply.reasoning else 0
    produced = reply.full_text + "".join(call.name + call.arguments_json for call in reply.tool_calls)
    return Usage(
        input_tokens=estimate_tokens(request.raw_body.decode("utf-8", "replace")),
        output_tokens=estimate_tokens(produced) + reasoning,
        reasoning_tokens=reasoning,
    )


def resolved_model(reply: Reply, request: RecordedRequest) -> str:
    return reply.model or request.model or "fake-model"


def unix_time() -> int:
    return int(time.time())


def mask_key(key: str) -> str:
    """An API key masked the way OpenAI's error message shows it."""
    if len(key) <= 8:
        return "*" * len(key)
    return f"{key[:3]}{'*' * (len(key) - 7)}{key[-4:]}"


def api_key_of(request: RecordedRequest) -> str:
    """The API key a request carries, whatever the provider's header."""
    headers = request.headers
    if "x-api-key" in headers:
        return headers["x-api-key"]
    if "x-goog-api-key" in headers:
        return headers["x-goog-api-key"]
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:]
    return request.query.get("key", "")
