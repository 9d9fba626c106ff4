"""What one server takes on: concurrent coordinations, body size, time per request.

* **Concurrency.** At most ``max_concurrent`` coordinations run at once in the whole server; a
  request over it is answered at once with 429 and ``Retry-After`` (the median duration of the
  last runs, at least 1 s), which the openai SDK and most clients honour. Waiting in a queue
  instead would hold connections open with nothing to show. With ``--workers``, each worker
  counts its own runs in memory all of them share, and admits a run when the sum is under the
  limit. No lock: a worker killed while holding one would stop them all. So two workers
  admitting in the same microsecond may pass the limit by one.
* **Body size.** A request body over ``max_body_bytes`` is refused with 413, before it is read
  in full (``Content-Length``) or as soon as it grows past the limit (chunked bodies).
* **Time.** A coordination still running ``request_timeout`` seconds after it started is
  cancelled (its provider requests with it) and answered with 504.
"""

from __future__ import annotations

import collections
import ctypes
import math
import multiprocessing
import statistics
from collections.abc import AsyncIterator, MutableSequence
from typing import cast

import attrs

from .wire import ApiError, body_too_large, too_many_requests

__all__ = ["Admission", "Limits", "read_body"]


@attrs.frozen(kw_only=True)
class Limits:
    max_concurrent: int = 16
    max_body_bytes: int = 4 * 1024 * 1024
    request_timeout: float | None = 600.0


class Admission:
    """Counts the coordinations running, against the limit (see the module docstring): one
    count per worker, ``workers`` of them, in shared memory when there are several."""

    def __init__(self, limit: int, *, workers: int = 1) -> None:
        self.limit = limit
        self._counts: MutableSequence[int] = [0]
        if workers > 1:  # a ctypes array: indexed, assigned and iterated as a list of ints is
            self._counts = cast("MutableSequence[int]", multiprocessing.RawArray(ctypes.c_int, workers))
        self._slot = 0
        self._durations: collections.deque[float] = collections.deque(maxlen=32)

    @property
    def running(self) -> int:
        """The coordinations running in the whole server."""
        return sum(self._counts)

    def take_slot(self, index: int) -> None:
        """In worker ``index``: count this worker's runs in its own place."""
        self._slot = index

    def forget(self, index: int) -> None:
        """Worker ``index`` is gone, and its runs with it."""
        self._counts[index] = 0

    def enter(self) -> None:
        """Take a place, or raise the 429 that says when to retry."""
        if self.running >= self.limit:
            raise too_many_requests(self.retry_after(), self.limit)
        self._counts[self._slot] += 1

    def leave(self, duration: float) -> None:
        self._counts[self._slot] -= 1
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
