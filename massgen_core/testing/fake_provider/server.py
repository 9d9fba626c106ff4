"""The fake provider server: lifecycle, addresses, reply queue/responder and request log."""

from __future__ import annotations

import collections
import contextlib
import socket
import threading
import time
from collections.abc import Callable, Sequence
from types import TracebackType

from .handler import POLL_SECONDS, LoopbackHTTPServer
from .openai_files import FileStore
from .recording import RecordedRequest, ReplyTiming, WireFormat
from .script import Reply, Scripted

Responder = Callable[[RecordedRequest], Scripted | None]
"""Answers a request; returning None falls back to the default (echo) reply."""

DEFAULT_MODELS = ("gpt-4o", "gpt-5", "claude-test", "gemini-test")


def echo_reply(request: RecordedRequest, *, latency: float = 0.0) -> Reply:
    """The default reply: ``Echo: <last user text>``, with ``latency`` before headers and each chunk."""
    text = request.last_user_text
    return Reply(
        f"Echo: {text}" if text else "Hello from the fake provider.", delay=latency, chunk_delay=latency
    )


class FakeProviderServer:
    """A loopback server speaking the OpenAI, Anthropic and Gemini wire formats.

    ``with FakeProviderServer() as server:`` starts it on 127.0.0.1 with an ephemeral port. Each model
    call takes the next scripted reply from the FIFO queue (:meth:`enqueue`), else asks ``responder``,
    else answers with :func:`echo_reply`. ``api_key``: when set, requests with another key get the
    provider's invalid-key error. ``models``: the ids served by the model-list endpoints.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        models: Sequence[str] = DEFAULT_MODELS,
        responder: Responder | None = None,
        api_key: str | None = None,
        default_latency: float = 0.0,
    ) -> None:
        self.host = host
        self.port = port
        self.models: tuple[str, ...] = tuple(models)
        self.responder = responder
        self.api_key = api_key
        self.default_latency = default_latency
        #: files and vector stores uploaded through OpenAI's Files / Vector Stores APIs
        self.files = FileStore()
        self._queue: collections.deque[Scripted] = collections.deque()
        self._requests: list[RecordedRequest] = []
        self._timings: list[ReplyTiming] = []
        self._handler_errors: list[BaseException] = []
        self._lock = threading.Lock()
        self._request_arrived = threading.Condition(self._lock)
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._idle = threading.Condition(self._lock)  # notified when a connection is closed
        self._stopping = threading.Event()
        self._httpd: LoopbackHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> FakeProviderServer:
        if self._httpd is not None:
            raise RuntimeError("the fake provider server is already started")
        self._httpd = LoopbackHTTPServer((self.host, self.port), self)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": POLL_SECONDS},
            name=f"fake-provider:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def wait_idle(self, timeout: float = 2.0) -> bool:
        """Wait until the server holds no connection: a client's close reaches the server's side
        of the connection a moment later, in its handler thread. ``False`` if some are still
        open after ``timeout`` seconds (for leak checks that count the process's sockets)."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._connections, timeout)

    def stop(self, timeout: float = 2.0) -> None:
        """Stop serving; open streams (stalled ones too) are dropped. Never blocks beyond ``timeout``."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping.set()
        httpd.shutdown()
        with self._lock:
            connections = dict(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        httpd.server_close()
        deadline = time.monotonic() + timeout
        for thread in [self._thread, *connections.values()]:
            if thread is not None and thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))

    def __enter__(self) -> FakeProviderServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- addresses -------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``"""
        return f"http://{self.host}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        """For ``openai.OpenAI(base_url=...)``: ends with ``/v1``."""
        return f"{self.url}/v1"

    @property
    def anthropic_base_url(self) -> str:
        """For ``anthropic.Anthropic(base_url=...)``: no ``/v1`` (the SDK appends ``/v1/messages``)."""
        return self.url

    @property
    def gemini_base_url(self) -> str:
        """For ``types.HttpOptions(base_url=...)``; set ``api_version`` (``v1beta`` or ``v1``) too."""
        return self.url

    # -- scripting -------------------------------------------------------------------------------

    def enqueue(self, *replies: Scripted) -> None:
        """Queue replies (or HTTP errors) for the next model calls, first in first out."""
        with self._lock:
            self._queue.extend(replies)

    @property
    def pending(self) -> int:
        """How many queued replies have not been served yet."""
        with self._lock:
            return len(self._queue)

    def _next_reply(self, request: RecordedRequest) -> Scripted:
        with self._lock:
            queued = self._queue.popleft() if self._queue else None
        if queued is not None:
            return queued
        if self.responder is not None:
            answer = self.responder(request)
            if answer is not None:
                return answer
        return echo_reply(request, latency=self.default_latency)

    # -- recording -------------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in arrival order (a copy)."""
        with self._lock:
            return list(self._requests)

    def model_calls(self, wire_format: WireFormat | None = None) -> list[RecordedRequest]:
        """The recorded model calls (chat, responses, messages, generateContent), optionally of one format."""
        return [
            request
            for request in self.requests
            if request.wire_format is not None and wire_format in (None, request.wire_format)
        ]

    @property
    def last_request(self) -> RecordedRequest:
        with self._lock:
            if not self._requests:
                raise LookupError("the fake provider has received no request")
            return self._requests[-1]

    @property
    def handler_errors(self) -> list[BaseException]:
        """Exceptions raised by the responder (each was answered with a 500)."""
        return list(self._handler_errors)

    def clear(self) -> None:
        """Forget recorded requests and queued replies."""
        with self._lock:
            self._requests.clear()
            self._queue.clear()
            self._handler_errors.clear()

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> list[RecordedRequest]:
        """Block until at least ``count`` requests arrived; raise TimeoutError otherwise."""
        with self._request_arrived:
            if not self._request_arrived.wait_for(lambda: len(self._requests) >= count, timeout):
                raise TimeoutError(f"expected {count} requests, got {len(self._requests)}")
            return list(self._requests)

    @property
    def reply_timings(self) -> list[ReplyTiming]:
        """When each model call answered so far arrived, was due and finished (a copy): the
        server's own lateness, for benchmarks that must tell it apart from the client's."""
        with self._lock:
            return list(self._timings)

    def _timed(self, timing: ReplyTiming) -> None:
        with self._lock:
            self._timings.append(timing)

    def _record(self, request: RecordedRequest) -> None:
        with self._request_arrived:
            self._requests.append(request)
            self._request_arrived.notify_all()

    def _track(self, connection: socket.socket, thread: threading.Thread) -> None:
        with self._lock:
            self._connections[connection] = thread

    def _untrack(self, connection: socket.socket) -> None:
        with self._idle:
            self._connections.pop(connection, None)
            self._idle.notify_all()
