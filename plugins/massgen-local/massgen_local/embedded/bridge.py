"""Run blocking generation in a thread and consume what it emits as an async iterator.

Closing the iterator (the consumer is cancelled, or stops early) sets the ``stop`` event the worker
checks at every token, so generation ends at once instead of running on in the background.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from typing import Generic, TypeVar

__all__ = ["Work", "stream_from_thread"]

T = TypeVar("T")
Work = Callable[[Callable[[T], None], threading.Event], None]
"""``work(emit, stop)``: blocking; calls ``emit`` with each item; returns early once ``stop`` is set."""


class _End:
    pass


class _Failed(Generic[T]):
    def __init__(self, error: BaseException) -> None:
        self.error = error


async def stream_from_thread(work: Work[T], *, name: str = "massgen-local-worker") -> AsyncIterator[T]:
    """Items ``work`` emits from its own thread, in order; its exception is raised here."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[T | _End | _Failed[T]] = asyncio.Queue()
    stop = threading.Event()

    def put(item: T | _End | _Failed[T]) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the event loop is gone: nobody listens any more
            stop.set()

    def target() -> None:
        try:
            work(put, stop)
        except BaseException as exc:
            put(_Failed(exc))
        else:
            put(_End())

    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    try:
        while True:
            item = await queue.get()
            if isinstance(item, _End):
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stop.set()
