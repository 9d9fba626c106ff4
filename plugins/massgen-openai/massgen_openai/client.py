"""Building SDK clients the way every backend here needs them (imports ``openai``).

No SDK retries (``max_retries=0``: the core's resilience loop is the only one), the core's
connect timeout on the HTTP client, and a base URL always passed explicitly so the SDK never
falls back to its own environment variables.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx2
import openai
from massgen_core.plugin import ClientLease, Timeouts, http_timeout, lease_client, shared_ssl_context

__all__ = ["SDK_ERRORS", "as_dict", "lease_sdk_client", "open_event_stream", "openai_client"]

#: Exceptions the SDK (and its HTTP client) raise, mapped by :func:`massgen_openai.errors.map_sdk_error`.
SDK_ERRORS: tuple[type[BaseException], ...] = (openai.OpenAIError, httpx2.HTTPError)


def openai_client(
    *,
    api_key: str,
    base_url: str | None,
    timeouts: Timeouts,
    headers: Mapping[str, str] | None = None,
) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        api_key=api_key,
        base_url=base_url,
        max_retries=0,
        timeout=http_timeout(timeouts),
        default_headers=dict(headers) if headers else None,
        http_client=openai.DefaultAsyncHttpxClient(
            verify=shared_ssl_context(), timeout=http_timeout(timeouts)
        ),
    )


def lease_sdk_client(backend: Any, make_client: Callable[[], Any], *built_from: object) -> ClientLease[Any]:
    """``backend``'s SDK client, leased (see :func:`massgen_core.plugin.lease_client`): built by
    ``make_client`` from the context, the options' headers and ``built_from``."""
    headers = getattr(backend.options, "extra_headers", None) or {}
    return lease_client(
        backend.context, make_client, _close, type(backend).__qualname__, headers, *built_from
    )


async def _close(client: Any) -> None:
    await client.close()


def as_dict(obj: Any) -> dict[str, Any]:
    """An SDK model (or a mapping) as a plain dict of what the server sent, extra fields included."""
    if type(obj) is dict:
        return obj
    if isinstance(obj, Mapping):
        return dict(obj)
    result: dict[str, Any] = obj.to_dict(warnings=False)
    return result


async def open_event_stream(
    client: openai.AsyncOpenAI, path: str, params: Mapping[str, Any]
) -> openai.AsyncStream[object]:
    """POST ``params`` to ``path`` with ``stream: true``; the stream yields each event as a plain dict.

    This is the SDK's generic ``client.post`` (its documented way to make custom requests): the
    SDK still builds the URL (Azure deployments included), authenticates, decodes the server-sent
    events and raises its typed errors, including for an ``error`` inside an HTTP 200 stream. What
    it skips is the request transformation and the typed response models (``responses.create``
    and ``chat.completions.create`` walk every request and construct a model per event, about
    10 ms of CPU per request with long prompts, the largest cost of a 20-agent coordination).
    The body the backends build is already wire JSON, and the stream converters read dicts.
    ``extra_body`` entries are merged into the body's top level, as ``create(extra_body=...)`` does.
    """
    body = dict(params)
    extra = body.pop("extra_body", None)
    options: Any = {"extra_json": dict(extra)} if extra else {}  # the SDK's RequestOptions
    return await client.post(
        path, body=body, cast_to=object, options=options, stream=True, stream_cls=openai.AsyncStream[object]
    )
