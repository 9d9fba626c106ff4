"""Gemini failures as MassGen errors (duck-typed on the exception: no SDK import here).

google-genai raises ``APIError`` (``ClientError`` for 4xx, ``ServerError`` for 5xx) with
``code``, ``status`` (the google.rpc status), ``message`` and ``details`` (the response JSON),
for an HTTP error and for an ``error`` object inside an HTTP 200 stream alike; transport
failures come through as httpx2 exceptions. Two Gemini specifics:

* ``RESOURCE_EXHAUSTED`` (429) says how long to wait in a ``google.rpc.RetryInfo`` detail
  (``"retryDelay": "17s"``), not in a ``Retry-After`` header (which a proxy may send: it is
  used when there is no ``RetryInfo``);
* a bad key is a 400 ``INVALID_ARGUMENT`` whose ``ErrorInfo`` reason is ``API_KEY_INVALID``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
from massgen_core.plugin import (
    BackendError,
    BackendTimeoutError,
    connection_failed,
    map_http_error,
)
from massgen_core.plugin import (
    ErrorContext as CoreErrorContext,
)

__all__ = ["ErrorContext", "broken_stream", "map_sdk_error", "retry_delay"]

_RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"
_ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"
_BAD_KEY_REASONS = {"API_KEY_INVALID", "API_KEY_SERVICE_BLOCKED"}


@attrs.frozen(kw_only=True)
class ErrorContext(CoreErrorContext):
    """The core's :class:`~massgen_core.plugin.ErrorContext`, and what only this API needs."""

    api_version: str = "v1beta"
    api_key: str | None = attrs.field(default=None, repr=False)

    @property
    def models_url(self) -> str:
        return f"{(self.base_url or 'https://generativelanguage.googleapis.com').rstrip('/')}/{self.api_version}/models"


def _error_body(details: Any) -> Mapping[str, Any]:
    if isinstance(details, list) and len(details) == 1:
        details = details[0]
    if isinstance(details, Mapping):
        inner = details.get("error")
        return inner if isinstance(inner, Mapping) else details
    return {}


def _details(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    items = body.get("details")
    return [d for d in items if isinstance(d, Mapping)] if isinstance(items, list) else []


def retry_delay(body: Mapping[str, Any]) -> float | None:
    """Seconds from a ``RetryInfo`` detail (``"retryDelay": "17s"`` or ``{"seconds": 17}``)."""
    for detail in _details(body):
        if detail.get("@type") != _RETRY_INFO:
            continue
        delay = detail.get("retryDelay")
        try:
            if isinstance(delay, str):
                return max(0.0, float(delay.strip().removesuffix("s")))
            if isinstance(delay, Mapping):
                return max(0.0, float(delay.get("seconds") or 0) + float(delay.get("nanos") or 0) / 1e9)
        except ValueError:
            return None
    return None


def _reason(body: Mapping[str, Any]) -> str | None:
    for detail in _details(body):
        if detail.get("@type") == _ERROR_INFO and isinstance(detail.get("reason"), str):
            return str(detail["reason"])
    return None


def _scrub(error: BackendError, api_key: str | None) -> BackendError:
    """``error`` with every occurrence of the API key masked (a proxy may echo it back)."""
    if not api_key or len(api_key) < 4:
        return error
    error.args = tuple(a.replace(api_key, "***") if isinstance(a, str) else a for a in error.args)
    message = getattr(error, "provider_message", None)
    if isinstance(message, str):
        error.provider_message = message.replace(api_key, "***")
    return error


def map_sdk_error(exc: BaseException, ctx: ErrorContext) -> BackendError:
    """The MassGen error for an exception raised by google-genai (or its HTTP client)."""
    return _scrub(_map(exc, ctx), ctx.api_key)


def _map(exc: BaseException, ctx: ErrorContext) -> BackendError:
    if isinstance(exc, BackendError):
        return exc
    code = getattr(exc, "code", None)
    if isinstance(code, int) and hasattr(exc, "details"):  # google.genai.errors.APIError
        return _api_error(exc, code, ctx)
    return _transport_error(exc, ctx)


def _headers(exc: BaseException) -> dict[str, str]:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    try:
        return {str(k).lower(): str(v) for k, v in headers.items()} if headers is not None else {}
    except (AttributeError, TypeError):
        return {}


def _api_error(exc: BaseException, status: int, ctx: ErrorContext) -> BackendError:
    body = _error_body(getattr(exc, "details", None))
    rpc_status = getattr(exc, "status", None) or body.get("status")
    message = getattr(exc, "message", None) or body.get("message") or str(exc)
    text = f"{message} ({rpc_status})" if rpc_status else str(message)
    reason = _reason(body)
    headers = _headers(exc)  # a proxy may say Retry-After; Gemini's own RetryInfo wins
    if (delay := retry_delay(body)) is not None:
        headers = {"retry-after": f"{delay:g}"}
    if status == 200:  # an error object inside a 200 stream, without a code of its own
        status = 500
    return map_http_error(
        status,
        text,
        backend=ctx.backend,
        model=ctx.model,
        headers=headers,
        code="invalid_api_key" if reason in _BAD_KEY_REASONS else rpc_status,
        api_key_env=ctx.api_key_env,
        known_models=ctx.known_models,
    )


def broken_stream(ctx: ErrorContext, detail: str) -> BackendError:
    """The stream ended (or broke) before Gemini said it was finished."""
    return BackendError(
        f"{ctx.backend}: the response stream from {ctx.base_url or 'Gemini'} broke off before it "
        f"finished ({detail}); the answer so far is incomplete",
        backend=ctx.backend,
        model=ctx.model,
        retryable=True,
    )


def _transport_error(exc: BaseException, ctx: ErrorContext) -> BackendError:
    name = type(exc).__name__
    if name.endswith("Timeout"):
        phase = "connecting to" if name == "ConnectTimeout" else "waiting for"
        return BackendTimeoutError(
            f"{ctx.backend}: timed out {phase} {ctx.base_url or 'Gemini'} ({name}); raise "
            f"timeout_settings.connect_timeout if the server is slow to accept connections",
            backend=ctx.backend,
            model=ctx.model,
        )
    if name == "ConnectError":
        error = connection_failed(backend=ctx.backend, base_url=None, detail=f"{ctx.base_url}: {name}: {exc}")
        error.args = (
            f"{error}\n  check that the server is running: curl -H 'x-goog-api-key: $GOOGLE_API_KEY' "
            f"{ctx.models_url}\n  base_url is the server's root (the API version, {ctx.api_version}, "
            f"is added to it: set api_version for another one)",
        )
        error.model = ctx.model
        return error
    return broken_stream(ctx, f"{name}: {exc}" if str(exc) else name)
