"""Running the application under uvicorn, on a socket bound before anything is printed.

The socket is bound here, so the address printed is the one served (``--port 0`` picks a free
port and says which). Ctrl-C or SIGTERM stops accepting requests, gives the running ones
``GRACE_SECONDS`` to finish, then cancels them (their turns are saved as cancelled), and exits
130 or 143 as the other ``massgen`` commands do.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import sys
from collections.abc import Callable

import massgen_core
import uvicorn
from starlette.types import ASGIApp

from .app import ServerState, create_app
from .auth import Keys
from .catalog import Catalog
from .limits import Limits

__all__ = ["GRACE_SECONDS", "bind", "run_app", "serve", "serve_kept"]

GRACE_SECONDS = 10
#: how the signals that stop a server end it, as the other ``massgen`` commands do
EXIT_STATUS: dict[int, int] = {signal.SIGINT: 130, signal.SIGTERM: 143}


def bind(host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    """A listening TCP socket on ``host:port`` (IPv6 when ``host`` is an IPv6 address): clients
    that connect as soon as the address is printed wait in its backlog until uvicorn accepts.
    ``reuse_port``: one of several sockets on the same port, among which Linux spreads the
    connections (``SO_REUSEPORT``)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named, so asyncio sets TCP_NODELAY on each connection: a stream's small chunks
    # then leave at once, not after the client's delayed ACK (~40 ms)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host.strip("[]"), port))
        sock.listen(2048)  # uvicorn's default backlog
    except OSError as exc:
        sock.close()
        from massgen_core import MassgenError

        raise MassgenError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc} (another server on that port? "
            f"pick one with --port, or --port 0 for any free one)"
        ) from None
    return sock


def _run_log(worker: int | None = None) -> None:
    """The server's own lines (one per run) to stderr, beside uvicorn's; a worker's say which."""
    logger = logging.getLogger("massgen_serve")
    if not logger.handlers:
        logger.addHandler(logging.StreamHandler(sys.stderr))
    which = "" if worker is None else f"worker {worker}: "
    for handler in logger.handlers:
        handler.setFormatter(logging.Formatter(f"%(levelname)s:     {which}%(message)s"))
    logger.setLevel(logging.INFO)
    logger.propagate = False


async def serve_kept(server: uvicorn.Server, sockets: list[socket.socket]) -> None:
    """Run ``server`` on ``sockets``; for its whole life, each agent of the teams it serves keeps
    its provider client and connections from one request to the next (a request's first
    provider call skips the TCP and TLS handshakes), closed when it stops."""
    async with massgen_core.keep_clients():
        await server.serve(sockets=sockets)


def _new_loop(loop: str) -> asyncio.AbstractEventLoop:
    """uvloop's event loop for ``auto`` where it is installed, else Python's own."""
    if loop == "auto":
        try:
            import uvloop
        except ImportError:
            pass
        else:
            return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def _serve_socket(app: ASGIApp, sock: socket.socket, loop: str) -> int:
    """Serve ``app`` on the listening ``sock`` until stopped; returns the exit status.

    uvicorn stops on SIGINT and SIGTERM, then sends itself the signal again for the handler it
    found. That handler is ours: it notes the signal, so the exit status says which, and no
    exception unwinds the closing of the kept clients. (One that comes before uvicorn is up
    stops it as soon as it is.)"""
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            log_level="info",
            lifespan="off",
            timeout_graceful_shutdown=GRACE_SECONDS,
            server_header=False,
        )
    )
    stopped_by: list[int] = []

    def stopping(signum: int, _frame: object) -> None:
        stopped_by.append(signum)
        server.should_exit = True

    async def main() -> None:
        for signum in EXIT_STATUS:
            signal.signal(signum, stopping)
        await serve_kept(server, [sock])

    previous = {signum: signal.getsignal(signum) for signum in EXIT_STATUS}
    try:
        with asyncio.Runner(loop_factory=lambda: _new_loop(loop)) as runner:
            runner.run(main())
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return EXIT_STATUS[stopped_by[0]] if stopped_by else 0


def run_app(
    app: ASGIApp,
    *,
    host: str,
    port: int,
    banner: Callable[[str], str],
    loop: str = "auto",
    workers: int = 1,
    worker_started: Callable[[int], None] = lambda index: None,
    worker_replaced: Callable[[int], None] = lambda index: None,
) -> int:
    """Serve ``app`` on ``host:port`` until stopped; prints ``banner(base url)`` once the
    socket listens. ``loop``: the event loop it runs on (``auto``: uvloop where it is
    installed, ``asyncio``: Python's own). With ``workers`` > 1, from that many forked processes (see
    :mod:`.workers`), each of which calls ``worker_started(index)`` first. Returns the exit
    status."""
    sockets = _listen(host, port, workers)
    bound = sockets[0].getsockname()[1]
    _run_log()
    shown = f"[{host.strip('[]')}]" if ":" in host else host
    print(banner(f"http://{shown}:{bound}"), flush=True)
    if workers == 1:
        return _serve_socket(app, sockets[0], loop)

    def worker(index: int) -> int:
        _run_log(worker=index)
        worker_started(index)
        return _serve_socket(app, sockets[index % len(sockets)], loop)

    from .workers import supervise

    try:
        return supervise(workers, worker, stopped_by=EXIT_STATUS, replaced=worker_replaced)
    finally:
        for sock in sockets:
            sock.close()


def _listen(host: str, port: int, workers: int) -> list[socket.socket]:
    """The listening sockets of ``workers`` workers on ``host:port``. On Linux, one per worker on
    the same port: the kernel spreads new connections evenly among them. Elsewhere one socket
    that all share, where whichever worker is first takes every connection waiting (so under a
    burst, one worker may get all of it)."""
    if workers == 1 or not sys.platform.startswith("linux"):
        return [bind(host, port)]
    sockets = [bind(host, port, reuse_port=True)]
    try:
        bound = sockets[0].getsockname()[1]
        sockets += [bind(host, bound, reuse_port=True) for _ in range(workers - 1)]
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def serve(
    catalog: Catalog,
    *,
    host: str,
    port: int,
    keys: Keys,
    limits: Limits,
    progress: bool,
    loop: str = "auto",
    workers: int = 1,
) -> int:
    """Serve ``catalog``'s teams (and the web view of their runs) until stopped, from
    ``workers`` processes."""
    state = ServerState(catalog, keys=keys, limits=limits, progress=progress, workers=workers)
    names = ", ".join(catalog.names)
    processes = f" · {workers} worker processes" if workers > 1 else ""

    def banner(url: str) -> str:
        return (
            f"massgen serve: {len(catalog.models)} model(s) ({names}) on {url}/v1 · runs in a "
            f"browser at {url}/ · keys {'required' if keys else 'not required (loopback only)'}"
            f"{processes} · Ctrl-C stops"
        )

    return run_app(
        create_app(state),
        host=host,
        port=port,
        banner=banner,
        loop=loop,
        workers=workers,
        worker_started=state.admission.take_slot,
        worker_replaced=state.admission.forget,
    )
