"""The anthropic SDK client, built the way every request of this plugin needs it (imports ``anthropic``).

No SDK retries (``max_retries=0``: the core's resilience loop is the only one), the core's
connect timeout on the shared httpx2 stack, a base URL always passed explicitly so the SDK never
falls back to its own environment variables or profiles, and the request sent through the SDK's
generic ``post`` so its events arrive as plain dicts (see :func:`open_message_stream`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import anthropic
import httpx2
from massgen_core.plugin import Timeouts, http_timeout, shared_ssl_context

__all__ = ["SDK_ERRORS", "anthropic_client", "open_message_stream"]

#: exceptions the SDK (and its HTTP client) raise, mapped by :func:`massgen_claude.errors.map_sdk_error`
SDK_ERRORS: tuple[type[BaseException], ...] = (anthropic.AnthropicError, httpx2.HTTPError)


def anthropic_client(
    *, api_key: str, base_url: str | None, timeouts: Timeouts, headers: Mapping[str, str] | None = None
) -> anthropic.AsyncAnthropic:
    timeout = http_timeout(timeouts)
    return anthropic.AsyncAnthropic(
        api_key=api_key,
        base_url=base_url or "https://api.anthropic.com",
        max_retries=0,
        timeout=timeout,
        default_headers=dict(headers) if headers else None,
        http_client=anthropic.DefaultAsyncHttpxClient(verify=shared_ssl_context(), timeout=timeout),
    )


async def open_message_stream(
    client: anthropic.AsyncAnthropic, params: Mapping[str, Any], *, betas: Sequence[str] = ()
) -> anthropic.AsyncStream[object]:
    """POST ``params`` to ``/v1/messages`` (``stream: true``); the stream yields each event as a dict.

    This is the SDK's generic ``post`` (its documented way to make custom requests): the SDK
    still builds the URL, authenticates, decodes the server-sent events and raises its typed
    errors, including for an ``error`` event inside an HTTP 200 stream. What it skips is walking
    the request through its parameter types and building a typed model per event; the body
    built here is already wire JSON and the converter reads dicts. ``betas`` go in the
    ``anthropic-beta`` header, as ``client.beta.messages.create(betas=...)`` sends them.
    """
    options: Any = {"headers": {"anthropic-beta": ",".join(betas)}} if betas else {}
    return await client.post(
        "/v1/messages",
        body=dict(params),
        cast_to=object,
        options=options,
        stream=True,
        stream_cls=anthropic.AsyncStream[object],
    )
