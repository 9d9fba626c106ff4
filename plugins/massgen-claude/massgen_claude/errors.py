"""Anthropic failures as MassGen errors: SDK exceptions, and errors reported inside a stream.

Pure mapping on the exception's attributes (duck-typed, so this module does not import the SDK):
``status_code``/``body``/``response.headers`` of ``APIStatusError``, the ``error`` event of an
HTTP 200 stream (which the SDK raises as an ``APIStatusError`` with status 200), and connection
and timeout errors of the SDK and of httpx2 (a dropped stream surfaces as a raw httpx2 error).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
from massgen_core.plugin import (
    BackendError,
    BackendTimeoutError,
    connection_failed,
    error_object,
    map_http_error,
)
from massgen_core.plugin import ErrorContext as CoreErrorContext

__all__ = ["ErrorContext", "map_sdk_error", "stream_error"]

#: Anthropic's ``error.type`` -> the HTTP status it stands for (for errors inside a 200 stream)
STATUS_OF_TYPE: dict[str, int] = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}


@attrs.frozen(kw_only=True)
class ErrorContext(CoreErrorContext):
    """The core's :class:`~massgen_core.plugin.ErrorContext`, and what only this API needs."""

    @property
    def api_root(self) -> str | None:
        """The URL the API's paths hang from (the SDK appends ``/v1/messages`` to ``base_url``)."""
        return self.base_url.rstrip("/") + "/v1" if self.base_url else None

    @property
    def endpoint_hints(self) -> tuple[str, ...]:
        """What to say when ``base_url`` does not lead to the API: the usual slip is a ``/v1``
        suffix (OpenAI-compatible servers want one; the anthropic SDK adds its own)."""
        if self.base_url and self.base_url.rstrip("/").endswith("/v1"):
            return (
                f"the base_url ends in /v1, but the anthropic SDK adds /v1/messages itself: "
                f"use {self.base_url.rstrip('/')[: -len('/v1')]}",
            )
        return ()


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def stream_error(ctx: ErrorContext, error: Mapping[str, Any]) -> BackendError:
    """The error for an ``error`` event inside a stream (Anthropic's ``{"type", "message"}`` object)."""
    kind = _text(error.get("type"))
    status = STATUS_OF_TYPE.get(kind or "", 500)
    message = _text(error.get("message")) or f"the stream reported an error ({kind or 'no details'})"
    return map_http_error(
        status,
        message,
        backend=ctx.backend,
        model=ctx.model,
        code=kind,
        api_key_env=ctx.api_key_env,
        known_models=ctx.known_models,
    )


def map_sdk_error(exc: BaseException, ctx: ErrorContext) -> BackendError:
    """The MassGen error for an exception raised by the anthropic SDK (or by httpx2 under it)."""
    if isinstance(exc, BackendError):
        return exc
    name = type(exc).__name__
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        error = error_object(getattr(exc, "body", None))
        if status == 200:  # an ``error`` event inside the stream
            return stream_error(ctx, error)
        response = getattr(exc, "response", None)
        message = _text(error.get("message")) or _text(getattr(exc, "message", None)) or f"HTTP {status}"
        return map_http_error(
            status,
            message,
            backend=ctx.backend,
            model=ctx.model,
            headers=dict(response.headers) if response is not None else {},
            code=_text(error.get("type")),
            api_key_env=ctx.api_key_env,
            known_models=ctx.known_models,
            base_url=ctx.base_url,
            endpoint_hints=ctx.endpoint_hints,
        )
    cause = exc.__cause__ or exc
    cause_name = type(cause).__name__
    if name == "APITimeoutError" or cause_name.endswith("Timeout"):
        phase = "connecting to" if cause_name == "ConnectTimeout" else "waiting for"
        return BackendTimeoutError(
            f"{ctx.backend}: timed out {phase} {ctx.base_url or 'the provider'} ({cause_name}); "
            f"raise timeout_settings.connect_timeout if the server is slow to accept connections",
            backend=ctx.backend,
            model=ctx.model,
        )
    if cause_name.endswith("ConnectError") or (name == "APIConnectionError" and cause is exc):
        detail = f"{cause_name}: {cause}" if cause is not exc else str(exc)
        return connection_failed(
            backend=ctx.backend,
            base_url=ctx.base_url,
            detail=detail,
            model=ctx.model,
            check_url=f"{ctx.api_root}/models" if ctx.api_root else None,
            hints=ctx.endpoint_hints,
        )
    if name == "APIConnectionError" or cause_name.endswith(("ProtocolError", "ReadError", "StreamError")):
        return BackendError(
            f"{ctx.backend}: the connection to {ctx.base_url or 'the provider'} broke: {cause_name}: {cause}",
            backend=ctx.backend,
            model=ctx.model,
            retryable=True,
        )
    return BackendError(f"{ctx.backend}: {name}: {exc}", backend=ctx.backend, model=ctx.model)
