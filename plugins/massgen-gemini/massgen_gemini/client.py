"""Building the google-genai client the way MassGen needs it (imports ``google.genai`` and ``httpx2``).

The SDK runs on the shared httpx2 stack (the core's SSL context, the core's connect timeout),
its own retries are off (``retry_options=None``: the core's resilience loop is the only one),
and the base URL and API version are always passed explicitly, so the SDK never falls back to
its own environment variables.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx2
from google import genai
from google.genai import errors, types
from massgen_core.plugin import Timeouts, http_timeout, shared_ssl_context

__all__ = ["SDK_ERRORS", "VERSION_SUFFIXES", "ClientDefaultTimeout", "gemini_client", "split_api_version"]

#: Exceptions the SDK (and its HTTP client) raise, mapped by :func:`massgen_gemini.errors.map_sdk_error`.
SDK_ERRORS: tuple[type[BaseException], ...] = (errors.APIError, httpx2.HTTPError)

#: API versions a ``base_url`` may end with by mistake (the SDK appends the version itself).
VERSION_SUFFIXES = ("v1", "v1beta", "v1alpha")
DEFAULT_API_VERSION = "v1beta"


class ClientDefaultTimeout(httpx2.AsyncClient):
    """An ``AsyncClient`` whose own timeout applies to every request.

    google-genai passes ``timeout=None`` per request when ``HttpOptions.timeout`` is unset, which
    httpx reads as "no timeout at all": the core's connect timeout would be lost.
    """

    def build_request(self, *args: Any, **kwargs: Any) -> httpx2.Request:
        if kwargs.get("timeout", httpx2.USE_CLIENT_DEFAULT) is None:
            kwargs["timeout"] = httpx2.USE_CLIENT_DEFAULT
        return super().build_request(*args, **kwargs)


def split_api_version(base_url: str, api_version: str | None, env: Mapping[str, str]) -> tuple[str, str]:
    """``(base URL without a version suffix, API version)``.

    The version is the option's, else the one ``base_url`` ends with, else
    ``GOOGLE_GENAI_API_VERSION``, else ``v1beta`` (the version Google's REST docs use).
    """
    root, _, last = base_url.rstrip("/").rpartition("/")
    from_url = last if last in VERSION_SUFFIXES and root else None
    if from_url is not None:
        base_url = root
    version = api_version or from_url or env.get("GOOGLE_GENAI_API_VERSION") or DEFAULT_API_VERSION
    return base_url, version


def gemini_client(
    *,
    api_key: str,
    base_url: str,
    api_version: str,
    timeouts: Timeouts,
    headers: Mapping[str, str] | None = None,
) -> tuple[genai.Client, httpx2.AsyncClient]:
    """The SDK client and the HTTP client under it (closed by the caller: the SDK leaves a
    client it was given open)."""
    http = ClientDefaultTimeout(verify=shared_ssl_context(), timeout=http_timeout(timeouts))
    options = types.HttpOptions(
        base_url=base_url,
        api_version=api_version,
        headers=dict(headers) if headers else None,
        httpx_async_client=http,
        retry_options=None,
    )
    return genai.Client(vertexai=False, api_key=api_key, http_options=options), http
