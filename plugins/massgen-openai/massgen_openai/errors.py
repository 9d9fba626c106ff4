"""OpenAI failures as MassGen errors: SDK exceptions, and errors reported inside a stream.

Pure mapping on the exception's attributes (duck-typed, so this module does not import the SDK):
``status_code``/``body``/``code``/``response.headers`` of ``APIStatusError``, the error object of a
mid-stream ``APIError``, and connection / timeout errors.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs
from massgen_core.plugin import (
    BackendError,
    BackendTimeoutError,
    ModelNotFoundError,
    connection_failed,
    error_object,
    map_http_error,
)
from massgen_core.plugin import (
    ErrorContext as CoreErrorContext,
)

__all__ = ["ErrorContext", "map_sdk_error", "missing_v1_hint", "stream_error"]

# error.code / error.type reported without an HTTP status -> the status it stands for
_STATUS_OF: dict[str, int] = {
    "rate_limit_exceeded": 429,
    "insufficient_quota": 429,
    "requests": 429,
    "tokens": 429,
    "invalid_api_key": 401,
    "authentication_error": 401,
    "permission_error": 403,
    "model_not_found": 404,
    "not_found_error": 404,
    "DeploymentNotFound": 404,
    "context_length_exceeded": 400,
    "invalid_prompt": 400,
    "invalid_request_error": 400,
    "server_error": 500,
    "internal_error": 500,
    "overloaded": 503,
    "overloaded_error": 503,
    "service_unavailable": 503,
}
# 429s that waiting will not fix
_NOT_RETRYABLE = {"insufficient_quota"}


def _strings(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class ErrorContext(CoreErrorContext):
    """The core's :class:`~massgen_core.plugin.ErrorContext`, and what only this API needs."""

    #: appended to "model not found" errors (e.g. Azure: check the deployment name)
    not_found_hint: str | None = None
    #: ``base_url`` is an OpenAI-style API root (``.../v1``, with ``GET /models``): connection
    #: and "not found" errors suggest ``curl BASE/models`` and a missing ``/v1``. Azure: no.
    openai_paths: bool = True
    #: more lines for connection and "not found at this URL" errors (Azure: the endpoint's shape)
    endpoint_hints: tuple[str, ...] = attrs.field(default=(), converter=_strings)

    def check_url(self) -> str | None:
        """The URL a user can ``curl`` to see that the server answers."""
        if not (self.openai_paths and self.base_url):
            return None
        return self.base_url.rstrip("/") + "/models"

    def hints(self) -> tuple[str, ...]:
        """What to check about the endpoint, for this API."""
        v1 = missing_v1_hint(self.base_url) if self.openai_paths else None
        return (*((v1,) if v1 else ()), *self.endpoint_hints)


def missing_v1_hint(base_url: str | None) -> str | None:
    """A hint when ``base_url`` lacks the ``/v1`` suffix OpenAI-compatible servers expect."""
    if not base_url:
        return None
    from urllib.parse import urlsplit

    if urlsplit(base_url).path.rstrip("/").endswith("/v1"):
        return None
    return f"the base_url has no /v1 suffix; OpenAI-compatible servers expect {base_url.rstrip('/')}/v1"


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def stream_error(
    ctx: ErrorContext, *, message: str | None, code: str | None = None, kind: str | None = None
) -> BackendError:
    """The error for a failure the provider reported inside a stream (no HTTP status)."""
    status = _STATUS_OF.get(code or "") or _STATUS_OF.get(kind or "") or 500
    text = message or f"the stream reported an error ({code or kind or 'no details'})"
    return map_http_error(
        status,
        text,
        backend=ctx.backend,
        model=ctx.model,
        code=code,
        api_key_env=ctx.api_key_env,
        known_models=ctx.known_models,
        retryable=False if code in _NOT_RETRYABLE else None,
    )


def map_sdk_error(exc: BaseException, ctx: ErrorContext) -> BackendError:
    """The MassGen error for an exception raised by the openai SDK (or its HTTP client)."""
    error = _map_sdk_error(exc, ctx)
    if ctx.not_found_hint and isinstance(error, ModelNotFoundError):
        error.args = (f"{error}. {ctx.not_found_hint}",)
    return error


def _map_sdk_error(exc: BaseException, ctx: ErrorContext) -> BackendError:
    if isinstance(exc, BackendError):
        return exc
    name = type(exc).__name__
    status = getattr(exc, "status_code", None)
    body = getattr(exc, "body", None)
    error = error_object(body)
    code = _text(getattr(exc, "code", None)) or _text(error.get("code"))
    kind = _text(getattr(exc, "type", None)) or _text(error.get("type"))
    message = _text(error.get("message")) or _text(getattr(exc, "message", None)) or str(exc)
    if isinstance(status, int) and status != 200:
        response = getattr(exc, "response", None)
        headers = dict(response.headers) if response is not None else {}
        return map_http_error(
            status,
            message,
            backend=ctx.backend,
            model=ctx.model,
            headers=headers,
            code=code,
            api_key_env=ctx.api_key_env,
            known_models=ctx.known_models,
            retryable=False if code in _NOT_RETRYABLE else None,
            base_url=ctx.base_url,
            endpoint_hints=ctx.hints(),
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
    if name == "APIConnectionError" or cause_name.endswith(("ConnectError", "ProtocolError", "ReadError")):
        detail = f"{cause_name}: {cause}" if cause is not exc else str(exc)
        if cause_name.endswith("ConnectError") or cause is exc:
            return connection_failed(
                backend=ctx.backend,
                base_url=ctx.base_url,
                detail=detail,
                model=ctx.model,
                check_url=ctx.check_url(),
                hints=ctx.hints(),
            )
        return BackendError(
            f"{ctx.backend}: the connection to {ctx.base_url or 'the provider'} broke: {detail}",
            backend=ctx.backend,
            model=ctx.model,
            retryable=True,
        )
    if error or body is not None:  # a mid-stream error object (Chat Completions ``data: {"error": ...}``)
        return stream_error(ctx, message=message, code=code, kind=kind)
    return BackendError(f"{ctx.backend}: {name}: {exc}", backend=ctx.backend, model=ctx.model)
