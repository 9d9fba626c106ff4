"""What one server takes on: concurrent coordinations, body size, time per request.

* **Concurrency.** At most ``max_concurrent`` coordinations run at once; a request over it is
  answered at once with 429 and ``Retry-After`` (the median duration of the last runs, at least
  1 s), which the openai SDK and most clients honour. Waiting in a queue instead would hold
  connections open with nothing to show.
* **Body size.** A request body over ``max_body_bytes`` is refused with 413, before it is read
  in full (``Content-Length``) or as soon as it grows past the limit (chunked bodies).
* **Time.** A coordination still running ``request_timeout`` seconds after it started is
  cancelled (its provider requests with it) and answered with 504.
"""

from __future__ import annotations

import collections
import math
import statistics
from collections.abc import AsyncIterator

import attrs

from .wire import ApiError, body_too_large, too_many_requests

__all__ = ["Admission", "Limits", "read_body"]


@attrs.frozen(kw_only=True)
class Limits:
    max_concurrent: int = 16
    max_body_bytes: int = 4 * 1024 * 1024
    request_timeout: float | None = 600.0


class Admission:
    """Counts the coordinations running (a single event loop: no lock needed)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.running = 0
        self._durations: collections.deque[float] = collections.deque(maxlen=32)

    def enter(self) -> None:
        """Take a place, or raise the 429 that says when to retry."""
        if self.running >= self.limit:
            raise too_many_requests(self.retry_after(), self.limit)
        self.running += 1

    def leave(self, duration: float) -> None:
        self.running -= 1
        self._durations.append(duration)

    def retry_after(self) -> int:
        if not self._durations:
            return 1
        return max(1, math.ceil(statistics.median(self._durations)))


async def read_body(content_length: str | None, chunks: AsyncIterator[bytes], limit: int) -> bytes:
    """The request body, refused with 413 as soon as it is known to exceed ``limit`` bytes."""
    if content_length is not None:
        try:
            declared = int(content_length)
        except ValueError:
            raise ApiError(400, "the Content-Length header is not a number") from None
        if declared > limit:
            raise body_too_large(limit)
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise body_too_large(limit)
    return bytes(body)
