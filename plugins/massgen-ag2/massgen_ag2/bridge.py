"""The AG2 thread: AG2 runs on an event loop of its own, MassGen's tools on the caller's.

AG2 calls code executors synchronously from inside its event loop (and its sync reply
functions may block). Running AG2 on a dedicated thread keeps MassGen's loop (other agents,
the display, MCP sessions) free, and lets a synchronous AG2 ``CodeExecutor`` wait for a tool
that runs on MassGen's loop (:meth:`MainLoop.wait`). Everything the AG2 side asks of the
MassGen side goes through :class:`MainLoop`, which can cancel it all at once.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["Ag2Thread", "MainLoop", "RunCancelled"]

T = TypeVar("T")


class RunCancelled(BaseException):
    """The MassGen side stopped this run; AG2 code that reaches a bridge point unwinds with it.

    A ``BaseException``, like ``asyncio.CancelledError``: AG2 turns ordinary exceptions of tools
    into messages for the model and carries on, which must not happen here.
    """


class Ag2Thread:
    """A daemon thread running an event loop for AG2 (started on first use)."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run ``coroutine`` on the AG2 loop."""
        if self._loop is None:
            ready = threading.Event()
            loop = asyncio.new_event_loop()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()
                # model calls AG2 runs in the loop's thread pool: let them end before the loop
                loop.run_until_complete(loop.shutdown_default_executor())
                loop.close()

            self._thread = threading.Thread(target=run, name=self._name, daemon=True)
            self._thread.start()
            ready.wait()
            self._loop = loop
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    def stop(self, timeout: float = 3.0) -> None:
        """Cancel what still runs on the loop, let it unwind, stop the loop and wait for the thread
        (and the model calls in its thread pool) for up to ``timeout`` seconds."""
        loop, thread = self._loop, self._thread
        self._loop = self._thread = None
        if loop is None or thread is None:
            return

        async def shutdown() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.wait(tasks, timeout=timeout)
            loop.stop()

        asyncio.run_coroutine_threadsafe(shutdown(), loop)
        thread.join(timeout)


class MainLoop:
    """Calls from the AG2 thread into MassGen's loop, cancelled together when the run stops."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.cancelled = False
        self._pending: set[concurrent.futures.Future[Any]] = set()
        self._lock = threading.Lock()

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        if self.cancelled:
            coroutine.close()
            raise RunCancelled("the run was stopped")
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._forget)
        return future

    async def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Await ``coroutine`` (run on MassGen's loop) from the AG2 loop."""
        future = self.submit(coroutine)
        try:
            return await asyncio.wrap_future(future)
        except (concurrent.futures.CancelledError, asyncio.CancelledError):
            raise RunCancelled("the run was stopped") from None

    def wait(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on MassGen's loop and block the calling (AG2) thread for its result."""
        future = self.submit(coroutine)
        try:
            return future.result()
        except concurrent.futures.CancelledError:
            raise RunCancelled("the run was stopped") from None

    def post(self, callback: Any, *args: Any) -> None:
        """Call ``callback(*args)`` soon on MassGen's loop (thread-safe, never blocks)."""
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(callback, *args)

    def cancel(self) -> None:
        """Stop every pending call (their tasks on MassGen's loop are cancelled)."""
        self.cancelled = True
        with self._lock:
            pending = list(self._pending)
        for future in pending:
            future.cancel()

    def _forget(self, future: concurrent.futures.Future[Any]) -> None:
        with self._lock:
            self._pending.discard(future)
