"""The HTTP request handler: parses a request, asks the owning server for a reply, writes it out."""

from __future__ import annotations

import contextlib
import json
import select
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

from .gemini import GeminiRenderer
from .openai_files import FileStore
from .recording import RecordedRequest, ReplyTiming, WireFormat
from .rendering import ErrorResponse, WireRenderer, api_key_of
from .routing import (
    Route,
    is_model_list,
    model_entry,
    model_in_path,
    model_list_body,
    renderer_for,
    route_post,
)
from .script import Disconnect, Fault, HttpError, Malformed, Reply, Scripted, Stall, StreamError
from .sse import EventRole, compact_json, estimate_tokens

# the HTTP status a StreamError becomes on a non-streaming request
NON_STREAM_ERROR_STATUS = {
    WireFormat.OPENAI_CHAT: 500,
    WireFormat.OPENAI_RESPONSES: 500,
    WireFormat.ANTHROPIC_MESSAGES: 529,
    WireFormat.GEMINI: 503,
}
POLL_SECONDS = 0.05


class Owner(Protocol):
    """What a handler needs from the server that owns it (the :class:`FakeProviderServer`)."""

    models: tuple[str, ...]
    api_key: str | None
    files: FileStore
    _stopping: threading.Event
    _handler_errors: list[BaseException]

    def _next_reply(self, request: RecordedRequest) -> Scripted: ...

    def _record(self, request: RecordedRequest) -> None: ...

    def _timed(self, timing: ReplyTiming) -> None: ...

    def _track(self, connection: socket.socket, thread: threading.Thread) -> None: ...

    def _untrack(self, connection: socket.socket) -> None: ...


class Aborted(Exception):
    """Raised inside a handler to drop the connection (abrupt close, stall ended by stop/client)."""

    def __init__(self, reset: bool = False) -> None:
        super().__init__("connection aborted")
        self.reset = reset


class LoopbackHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 256
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], owner: Owner) -> None:
        self.owner = owner
        super().__init__(address, FakeProviderHandler)


class FakeProviderHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "fake-provider"
    sys_version = ""
    server: LoopbackHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log."""

    def handle(self) -> None:
        # OSError/ValueError: the connection was dropped, on purpose or by the client
        with contextlib.suppress(OSError, ValueError):
            super().handle()

    def setup(self) -> None:
        super().setup()
        self.server.owner._track(self.connection, threading.current_thread())

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            # closed before it is untracked, for wait_idle (socketserver's own close after is a no-op)
            self.server.shutdown_request(self.connection)
            self.server.owner._untrack(self.connection)

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    # -- plumbing --------------------------------------------------------------------------------

    @property
    def owner(self) -> Owner:
        return self.server.owner

    def _dispatch(self) -> None:
        self._arrived = time.monotonic()  # replies are timed from here, whatever the server's own load
        try:
            self._handle()
        except Aborted as aborted:
            self.close_connection = True
            self._drop_connection(aborted.reset)
        except OSError:  # the client went away
            self.close_connection = True

    def _drop_connection(self, reset: bool) -> None:
        try:
            if reset:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.rfile.close()
                self.wfile.close()
                self.connection.close()
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _read_body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            body = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(body)
                body += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def _wait(self, seconds: float) -> None:
        if seconds > 0 and self.owner._stopping.wait(seconds):
            raise Aborted()

    def _wait_after_arrival(self, seconds: float) -> None:
        """Wait until ``seconds`` after the request arrived: the time the server spent reading and
        answering it (longer when it serves many requests at once) is part of the delay."""
        self._wait(self._arrived + seconds - time.monotonic())

    def _stall(self, seconds: float | None) -> None:
        """Send nothing for ``seconds`` (None: until the client leaves or the server stops)."""
        deadline = None if seconds is None else time.monotonic() + seconds
        while True:
            if self.owner._stopping.is_set():
                raise Aborted()
            remaining = POLL_SECONDS if deadline is None else min(POLL_SECONDS, deadline - time.monotonic())
            if remaining <= 0:
                return
            readable, _, _ = select.select([self.connection], [], [], remaining)
            if readable:
                try:
                    if not self.connection.recv(1, socket.MSG_PEEK):
                        raise Aborted()  # client closed its end
                except (BlockingIOError, InterruptedError):
                    pass
                self._wait(remaining)

    def _send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        payload = compact_json(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _send_error_response(self, response: ErrorResponse) -> None:
        self._send_json(response.status, response.body, dict(response.headers))

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(_chunk(data))

    # -- requests --------------------------------------------------------------------------------

    def _handle(self) -> None:
        url = urlsplit(self.path)
        raw_body = self._read_body()
        try:
            body = json.loads(raw_body) if raw_body else None
        except ValueError:
            body = None
        headers = {name.lower(): value for name, value in self.headers.items()}
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        route = route_post(url.path) if self.command == "POST" else None
        recorded = RecordedRequest(
            method=self.command,
            path=url.path,
            query=query,
            headers=headers,
            body=body,
            raw_body=raw_body,
            wire_format=route.wire_format if route else None,
            model=_model_of(route, body),
            stream=_is_streaming(route, body),
            client_port=self.client_address[1],
        )
        self.owner._record(recorded)
        if route is not None:
            self._answer_model_call(route, recorded)
        elif self.command == "GET" and url.path.rstrip("/") == "/health":
            self._send_json(200, {"status": "ok"})
        elif self.command == "GET" and is_model_list(url.path):
            self._send_json(200, model_list_body(recorded, self.owner.models))
        elif self.command == "GET" and (model := model_in_path(url.path)) is not None:
            entry = model_entry(recorded, model) if model in self.owner.models else None
            if entry is None:
                renderer = renderer_for(WireFormat.OPENAI_CHAT, Reply(model=model), recorded)
                self._send_error_response(renderer.error(HttpError(404)))
            else:
                self._send_json(200, entry)
        elif self.command == "POST" and url.path.rstrip("/") == "/v1/messages/count_tokens":
            self._send_json(200, {"input_tokens": estimate_tokens(raw_body.decode("utf-8", "replace"))})
        elif (files := self.owner.files.answer(self.command, url.path, headers, raw_body, body)) is not None:
            self._send_json(*files)
        else:
            message = f"Unknown request URL: {self.command} {url.path}."
            error = {
                "message": message,
                "type": "invalid_request_error",
                "param": None,
                "code": "unknown_url",
            }
            self._send_json(404, {"error": error})

    def _answer_model_call(self, route: Route, request: RecordedRequest) -> None:
        scripted = self._reply_to_model_call(route, request)
        planned = scripted.delay + (scripted.stream_time if isinstance(scripted, Reply) else 0.0)
        self.owner._timed(
            ReplyTiming(
                model=request.model,
                arrived=self._arrived,
                due=self._arrived + planned,
                finished=time.monotonic(),
            )
        )

    def _reply_to_model_call(self, route: Route, request: RecordedRequest) -> Scripted:
        """Answer a model call; returns what was scripted for it."""
        expected_key = self.owner.api_key
        if expected_key is not None and api_key_of(request) != expected_key:
            scripted: Scripted = HttpError.bad_api_key()
        else:
            try:
                scripted = self.owner._next_reply(request)
            except Exception as error:  # a broken responder: answer 500, report it to the test
                self.owner._handler_errors.append(error)
                scripted = HttpError(500, message=f"fake provider responder failed: {error!r}")
        reply = scripted if isinstance(scripted, Reply) else Reply()
        renderer = renderer_for(route.wire_format, reply, request)
        if isinstance(scripted, HttpError):
            self._wait_after_arrival(scripted.delay)
            self._send_error_response(renderer.error(scripted))
            return scripted
        if not request.stream or (
            route.wire_format is WireFormat.GEMINI and request.query.get("alt") != "sse"
        ):
            self._wait_after_arrival(reply.delay)
            self._answer_whole(reply, renderer, route)
        elif reply.fault is None and reply.chunk_delay <= 0 and reply.stream_time <= 0:
            body = b"".join(_chunk(renderer.encode(event)) for event in renderer.stream())
            self._wait_after_arrival(reply.delay)
            self._send_stream_headers(renderer)
            self.wfile.write(body + _LAST_CHUNK)  # the whole reply at once, as one write
        else:
            self._wait_after_arrival(reply.delay)
            self._stream(reply, renderer)
        return scripted

    def _answer_whole(self, reply: Reply, renderer: WireRenderer, route: Route) -> None:
        fault = reply.fault
        if isinstance(fault, Disconnect):
            raise Aborted(fault.reset)
        if isinstance(fault, Stall):
            self._stall(fault.seconds)
            if fault.seconds is None:
                raise Aborted()
        if isinstance(fault, Malformed):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(fault.data)))
            self.end_headers()
            self.wfile.write(fault.data)
            return
        if isinstance(fault, StreamError):
            status = fault.status or NON_STREAM_ERROR_STATUS[route.wire_format]
            self._send_error_response(
                renderer.error(HttpError(status, message=fault.message, body=fault.body))
            )
            return
        if route.gemini_stream and isinstance(renderer, GeminiRenderer):  # streamGenerateContent without SSE
            self._send_json(200, renderer.stream_as_array(), renderer.headers())
            return
        self._send_json(200, renderer.body(), renderer.headers())

    def _send_stream_headers(self, renderer: WireRenderer) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        for name, value in renderer.headers().items():
            self.send_header(name, value)
        self.end_headers()

    def _stream(self, reply: Reply, renderer: WireRenderer) -> None:
        """Stream event by event: each delta ``chunk_delay`` after the previous event and paced over
        ``stream_time``; the fault (if any) where it is due."""
        self._send_stream_headers(renderer)
        fault, fired, deltas = reply.fault, False, 0
        events = list(renderer.stream())
        pace = reply.stream_time / max(1, sum(e.role is EventRole.DELTA for e in events))
        for event in events:
            due = event.role is EventRole.FINAL or (event.role is EventRole.DELTA and deltas >= _after(fault))
            if fault is not None and not fired and due:
                fired = True
                if self._apply_fault(fault, renderer):
                    return
            if event.role is EventRole.DELTA:
                self._wait(reply.chunk_delay)
                deltas += 1
                if pace:
                    self._wait_after_arrival(reply.delay + pace * deltas)
            self._write_chunk(renderer.encode(event))
        if fault is not None and not fired and self._apply_fault(fault, renderer):
            return
        self.wfile.write(_LAST_CHUNK)

    def _apply_fault(self, fault: Fault, renderer: WireRenderer) -> bool:
        """Carry out ``fault``; True when the stream is over (an error was sent)."""
        if isinstance(fault, Disconnect):
            raise Aborted(fault.reset)
        if isinstance(fault, Stall):
            self._stall(fault.seconds)
            if fault.seconds is None:
                raise Aborted()
            return False
        if isinstance(fault, Malformed):
            self._write_chunk(fault.data)
            self.wfile.write(_LAST_CHUNK)
            return True
        for event in renderer.stream_error(fault):
            self._write_chunk(renderer.encode(event))
        self.wfile.write(_LAST_CHUNK)
        return True


_LAST_CHUNK = b"0\r\n\r\n"


def _chunk(data: bytes) -> bytes:
    """``data`` as one chunk of a chunked transfer encoding."""
    return b"%X\r\n%s\r\n" % (len(data), data)


def _after(fault: Fault | None) -> int:
    return fault.after if fault is not None else 0


def _model_of(route: Route | None, body: Any) -> str | None:
    if route is not None and route.gemini_model is not None:
        return route.gemini_model
    model = body.get("model") if isinstance(body, dict) else None
    return model if isinstance(model, str) else None


def _is_streaming(route: Route | None, body: Any) -> bool:
    if route is None:
        return False
    if route.wire_format is WireFormat.GEMINI:
        return route.gemini_stream
    return isinstance(body, dict) and body.get("stream") is True
