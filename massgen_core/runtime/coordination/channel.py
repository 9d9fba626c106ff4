"""A minimal unbounded channel with one consumer: the events of a run flow through it.

It does what ``asyncio.Queue`` does for this case with less work per item (every streamed chunk
passes through it): ``put`` appends and wakes the consumer if it waits; ``drain`` yields items
until :meth:`close`.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from typing import Generic, TypeVar

__all__ = ["Channel"]

T = TypeVar("T")


class Channel(Generic[T]):
    def __init__(self) -> None:
        self._items: deque[T] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._closed = False

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def put(self, item: T) -> None:
        self._items.append(item)
        if self._waiter is not None:
            self._wake()

    def close(self) -> None:
        """No more items: :meth:`drain` ends once the queued ones are out."""
        self._closed = True
        self._wake()

    async def drain(self) -> AsyncIterator[T]:
        items = self._items
        while True:
            while items:
                yield items.popleft()
            if self._closed:
                return
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
