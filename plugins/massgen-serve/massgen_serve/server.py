"""Running the application under uvicorn, on a socket bound before anything is printed.

The socket is bound here, so the address printed is the one served (``--port 0`` picks a free
port and says which). Ctrl-C or SIGTERM stops accepting requests, gives the running ones
``GRACE_SECONDS`` to finish, then cancels them (their turns are saved as cancelled), and exits
130 or 143 as the other ``massgen`` commands do.
"""

from __future__ import annotations

import logging
import signal
import socket
import sys
from collections.abc import Callable

import uvicorn
from starlette.types import ASGIApp

from .app import ServerState, create_app
from .auth import Keys
from .catalog import Catalog
from .limits import Limits

__all__ = ["GRACE_SECONDS", "bind", "run_app", "serve"]

GRACE_SECONDS = 10
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143


class _Terminated(BaseException):
    """SIGTERM, raised again by uvicorn once it has shut down."""


def _on_sigterm(_signum: int, _frame: object) -> None:
    raise _Terminated


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (IPv6 when ``host`` is an IPv6 address): clients
    that connect as soon as the address is printed wait in its backlog until uvicorn accepts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named, so asyncio sets TCP_NODELAY on each connection: a stream's small chunks
    # then leave at once, not after the client's delayed ACK (~40 ms)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
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


def _run_log() -> None:
    """The server's own lines (one per run) to stderr, beside uvicorn's."""
    logger = logging.getLogger("massgen_serve")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def run_app(app: ASGIApp, *, host: str, port: int, banner: Callable[[str], str]) -> int:
    """Serve ``app`` on ``host:port`` until stopped; prints ``banner(base url)`` once the
    socket listens. Returns the exit status."""
    sock = bind(host, port)
    bound = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        log_level="info",
        lifespan="off",
        timeout_graceful_shutdown=GRACE_SECONDS,
        server_header=False,
    )
    _run_log()
    shown = f"[{host.strip('[]')}]" if ":" in host else host
    print(banner(f"http://{shown}:{bound}"), flush=True)
    previous = signal.signal(signal.SIGTERM, _on_sigterm)  # uvicorn raises it again when it is done
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except _Terminated:
        return EXIT_TERMINATED
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


def serve(catalog: Catalog, *, host: str, port: int, keys: Keys, limits: Limits, progress: bool) -> int:
    """Serve ``catalog``'s teams (and the web view of their runs) until stopped."""
    state = ServerState(catalog, keys=keys, limits=limits, progress=progress)
    names = ", ".join(catalog.names)

    def banner(url: str) -> str:
        return (
            f"massgen serve: {len(catalog.models)} model(s) ({names}) on {url}/v1 · runs in a "
            f"browser at {url}/ · keys {'required' if keys else 'not required (loopback only)'} "
            f"· Ctrl-C stops"
        )

    return run_app(create_app(state), host=host, port=port, banner=banner)
