"""Turn provider failures into MassGen's errors, with the troubleshooting hints users need.

Backends call :func:`map_http_error` with what their SDK reported (status code, message,
headers) and :func:`connection_failed` when the server cannot be reached. The messages carry
the fixes from the docs' Troubleshooting section: the env var to set, the known models, the
server's port. What only holds for some APIs comes from the backend, never assumed: a URL to
check with ``curl`` (``check_url``) and its own hints (``hints``), e.g. the OpenAI-compatible
backends' ``curl BASE/models`` and missing ``/v1`` suffix.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import attrs

from .errors import (
    AuthenticationError,
    BackendError,
    ConnectionFailedError,
    ContextTooLongError,
    EndpointNotFoundError,
    InvalidRequestError,
    ModelNotFoundError,
    ProviderServerError,
    RateLimitError,
)

__all__ = [
    "ErrorContext",
    "connection_failed",
    "error_object",
    "is_local_url",
    "map_http_error",
    "missing_api_key",
    "parse_retry_after",
]


def error_object(body: Any) -> Mapping[str, Any]:
    """The error object of a provider's error body: ``body["error"]`` when there is one (the
    OpenAI and Anthropic shape, ``{"error": {"type", "message", ...}}``), else the body itself,
    else an empty mapping."""
    if not isinstance(body, Mapping):
        return {}
    inner = body.get("error")
    return inner if isinstance(inner, Mapping) else body


def _strings(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class ErrorContext:
    """What a backend's error messages name: the backend, the model, the endpoint, the API-key
    env vars and the known models. A backend keeps one (subclass it for what only its API needs)
    and passes its fields to :func:`map_http_error` and :func:`connection_failed`."""

    backend: str
    model: str | None = None
    base_url: str | None = None
    api_key_env: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    known_models: tuple[str, ...] = attrs.field(default=(), converter=_strings)


_CONTEXT_MARKERS = (
    "context_length_exceeded",
    "context length",
    "maximum context",
    "prompt is too long",
    "too many tokens",
    "input is too long",
    "exceeds the context window",
)


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` / ``retry-after`` (seconds or HTTP date)."""
    if not headers:
        return None
    lower = {k.lower(): v for k, v in headers.items()}
    if (ms := lower.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = lower.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        import email.utils  # only for HTTP-date values; it costs 10 ms to import

        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, parsed.timestamp() - time.time())


def is_local_url(url: str | None) -> bool:
    host = (urlsplit(url).hostname or "") if url else ""
    return host in ("localhost", "127.0.0.1", "::1", "0.0.0.0") or host.startswith("127.")


def missing_api_key(backend: str, env_vars: Iterable[str]) -> AuthenticationError:
    names = list(env_vars)
    how = (
        f"set {' or '.join(names)} in the environment or in a .env file, or give api_key in the config"
        if names
        else "give api_key in the backend's config"
    )
    return AuthenticationError(f"{backend}: no API key: {how}", backend=backend)


#: what the resolver says when a host name does not exist (glibc, musl, macOS, Windows)
_NAME_NOT_FOUND = re.compile(
    r"Name or service not known|nodename nor servname|getaddrinfo failed|"
    r"Temporary failure in name resolution|No address associated with hostname|Name does not resolve",
    re.IGNORECASE,
)


def connection_failed(
    *,
    backend: str,
    base_url: str | None,
    detail: str = "",
    model: str | None = None,
    check_url: str | None = None,
    hints: Sequence[str] = (),
) -> ConnectionFailedError:
    """A ``ConnectionFailedError`` whose message says how to check the server.

    :param backend: the backend type, first in the message.
    :param base_url: where it tried to connect.
    :param detail: what the HTTP client said (``ConnectError: connection refused``).
    :param model: the model, for the error's attributes.
    :param check_url: a URL of the provider's API that answers a plain ``GET`` (OpenAI-compatible
        servers: ``BASE/models``); the message suggests ``curl`` on it. Without it, none.
    :param hints: more lines only the backend knows to say (a missing ``/v1``, the Azure
        endpoint's shape ...). Without them the message says only what holds for every
        provider: where it tried, and the port for a server on this machine.
    """
    where = base_url or "the provider"
    local = bool(base_url) and is_local_url(base_url)
    lines = [f"{backend}: cannot connect to {where}" + (f" ({detail})" if detail else "")]
    if _NAME_NOT_FOUND.search(detail):  # DNS: no server to check; the name is wrong or offline
        host = urlsplit(base_url or "").hostname or "the host"
        lines.append(
            f"  the host name {host} could not be resolved: check the base_url's spelling and your network"
        )
    elif check_url:
        lines.append(f"  check that the server is running: curl {check_url}")
    elif local:
        lines.append("  check that the server is running")
    else:
        lines.append("  check the base_url and your network connection")
    if local:
        lines.append(f"  check that the port ({urlsplit(base_url or '').port}) matches the server's")
    lines += [f"  {hint}" for hint in hints]
    return ConnectionFailedError("\n".join(lines), backend=backend, model=model)


#: error codes that say the model (or Azure deployment) is what was not found
_MODEL_CODES = ("model_not_found", "DeploymentNotFound")


def _about_model(text: str, code: str | None, model: str | None) -> bool:
    """Whether a 404 is about the model: a model code, or a message naming the model; a bare
    "Not Found" (or ``unknown_url``) is about the URL."""
    if code in _MODEL_CODES:
        return True
    if code == "unknown_url":
        return False
    lowered = text.lower()
    return "model" in lowered or "deployment" in lowered or bool(model and model.lower() in lowered)


def map_http_error(
    status: int,
    message: str,
    *,
    backend: str,
    model: str | None = None,
    headers: Mapping[str, str] | None = None,
    code: str | None = None,
    api_key_env: Iterable[str] = (),
    known_models: Iterable[str] = (),
    retryable: bool | None = None,
    base_url: str | None = None,
    endpoint_hints: Sequence[str] = (),
) -> BackendError:
    """The MassGen error for an HTTP failure from a provider.

    :param status: the HTTP status.
    :param message: the provider's error message (shown as is).
    :param backend: the backend type, first in the message.
    :param model: the model requested.
    :param headers: the response headers (``retry-after`` for 429 and 5xx).
    :param code: the provider's error code, if it gives one (``model_not_found``, ``invalid_api_key``).
    :param api_key_env: env vars of the API key, named in authentication errors.
    :param known_models: listed when the model is not found.
    :param retryable: overrides the class default (e.g. ``False`` for a 429 "quota exhausted").
    :param base_url: where the request went. With it, a 404 that is not about the model (a bare
        "Not Found") is an :class:`EndpointNotFoundError` that says to check the base URL,
        instead of blaming the model.
    :param endpoint_hints: lines added to that error (e.g. a missing ``/v1`` suffix).
    """
    text = message or f"HTTP {status}"
    lowered = f"{text} {code or ''}".lower()

    def make(cls: type[BackendError], summary: str, **extra: Any) -> BackendError:
        return cls(summary, backend=backend, model=model, status_code=status, provider_message=text, **extra)

    if status in (401, 403) or ("api key" in lowered and status == 400) or code in ("invalid_api_key",):
        env = list(api_key_env)
        hint = f"; check {' or '.join(env)} (in the environment or .env)" if env else ""
        return make(AuthenticationError, f"{backend}: authentication failed: {text}{hint}")
    if status == 404 and base_url and not _about_model(text, code, model):
        lines = [
            f"{backend}: {base_url} answered 404 Not Found ({text}): the API is not at that address; "
            f"check the base_url",
            *(f"  {hint}" for hint in endpoint_hints),
        ]
        return make(EndpointNotFoundError, "\n".join(lines))
    if status == 404 or code in _MODEL_CODES:
        known = list(known_models)
        hint = f"; known models: {', '.join(known)}" if known else ""
        what = f"model {model!r} not found" if model else "not found"
        return make(
            ModelNotFoundError,
            f"{backend}: {what}: {text}{hint}. Check the spelling, your access to it, and for local "
            f"servers that the model is loaded",
        )
    if status == 429:
        wait = parse_retry_after(headers)
        return make(
            RateLimitError,
            f"{backend}: rate limited: {text}. Reduce parallel agents, wait, or raise your API tier",
            retry_after=wait,
            retryable=retryable,
        )
    if status == 413 or any(m in lowered for m in _CONTEXT_MARKERS):
        return make(ContextTooLongError, f"{backend}: the request is too long for the model: {text}")
    if status >= 500 or status == 408 or status == 409:
        return make(
            ProviderServerError,
            f"{backend}: provider error {status}: {text}",
            retry_after=parse_retry_after(headers),
            retryable=retryable,
        )
    return make(InvalidRequestError, f"{backend}: request rejected ({status}): {text}")
