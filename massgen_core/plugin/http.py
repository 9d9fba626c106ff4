"""The process's one HTTP stack: httpx2, as the provider SDKs use it.

Loading the system's CA certificates costs tens of milliseconds per HTTP client; backends pass
:func:`shared_ssl_context` to the clients they build so it is done once per process, and
:func:`http_timeout` so the core's connect timeout reaches the socket.
"""

from __future__ import annotations

import functools
import ssl
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx2

    from .specs import Timeouts

__all__ = ["http_timeout", "shared_ssl_context"]


def http_timeout(timeouts: Timeouts) -> httpx2.Timeout:
    """The ``httpx2.Timeout`` for a backend's HTTP client: the core's connect timeout; reads are
    bounded by the core's first-event, idle and total timeouts (``total`` is kept as a backstop, so
    a forgotten connection cannot hang forever)."""
    import httpx2

    return httpx2.Timeout(timeouts.total, connect=timeouts.connect)


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    """One TLS context (httpx2's defaults: certificate verification on) shared by every client."""
    import httpx2

    return httpx2.create_ssl_context()
