"""The process's one HTTP stack: httpx2, as the provider SDKs use it.

Loading the system's CA certificates costs tens of milliseconds per HTTP client; backends pass
:func:`shared_ssl_context` to the clients they build so it is done once per process.
"""

from __future__ import annotations

import functools
import ssl

__all__ = ["shared_ssl_context"]


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    """One TLS context (httpx2's defaults: certificate verification on) shared by every client."""
    import httpx2

    return httpx2.create_ssl_context()
