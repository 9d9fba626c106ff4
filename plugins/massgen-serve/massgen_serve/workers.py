"""Serving from several processes (``--workers N``): one socket, N copies of the server.

One event loop does all of its runs' own work: building their provider requests, reading the
replies' streams, writing their logs. Under a burst every run reaches each round at the same
moment, so that work queues up on the one loop, and a core sits idle. Workers spread it:

* The parent does everything that can fail first: it loads and checks the configs, binds the
  socket, builds the application, prints the address. Then it forks N workers. Each serves the
  same listening socket (the kernel hands a new connection to one of them) with its own event
  loop and its own copy of the application.
* What must agree across workers lives outside them: the count of coordinations running (one
  count per worker in shared memory, so ``--max-concurrent`` is the whole server's limit, see
  :class:`~.limits.Admission`); the secret that signs the web view's session cookies (made
  before the fork, see :class:`~.web.security.Access`); the runs, whose logs every worker's web
  view follows (a run another worker serves is followed as a CLI run is, from its log).
* Ctrl-C or SIGTERM reaches the parent, which passes each signal on to every worker: each stops
  as a single server does (it stops accepting, gives its running requests the grace period,
  then cancels them), and the parent exits 130 or 143 once all have. Workers run in a process
  group of their own, so a terminal's Ctrl-C reaches them once, through the parent; on Linux a
  worker is also sent SIGTERM if the parent is killed outright.
* A worker that dies otherwise is replaced (its running requests are lost; the log says so),
  unless it died within ``QUICK_DEATH_SECONDS`` of starting: then the server stops, as a
  worker that cannot start would die again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable, Mapping

__all__ = ["QUICK_DEATH_SECONDS", "supervise"]

LOG = logging.getLogger("massgen_serve")
QUICK_DEATH_SECONDS = 2.0
_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """Ask Linux to send this process SIGTERM when ``parent`` dies (and exit if it already did)."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):  # a libc without prctl
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:
        os._exit(1)


def _start(index: int, serve: Callable[[int], int], signals: Iterable[int]) -> int:
    """Fork worker ``index`` (``signals`` are blocked meanwhile, so neither side handles one
    halfway); in the child, ``serve(index)``, then exit with its status."""
    parent = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        os.setpgid(0, 0)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, signals)
        _die_with_parent(parent)
        code = serve(index)
    except KeyboardInterrupt:  # Ctrl-C before its server was up
        code = 130
    except BaseException:
        LOG.exception("worker %d failed", index)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)  # not the parent's exit handlers: they are the parent's to run


def _ended(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"


def supervise(
    count: int,
    serve: Callable[[int], int],
    *,
    stopped_by: Mapping[int, int],
    replaced: Callable[[int], None] = lambda index: None,
) -> int:
    """Run ``serve(index)`` in ``count`` forked workers until they have all stopped (see the
    module docstring). ``stopped_by`` maps each stopping signal to the exit status it gives
    (SIGINT: 130...); ``replaced(index)`` is called before a dead worker's replacement starts.
    Returns the first stopping signal's status, or 1 when a worker could not start."""
    stop: list[int] = []  # the stopping signals received
    workers: dict[int, tuple[int, float]] = {}  # pid -> (its index, when it started)

    def send(signum: int) -> None:
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    def forward(signum: int, _frame: object) -> None:
        stop.append(signum)
        send(signum)

    def start(index: int) -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, stopped_by)
        try:
            workers[_start(index, serve, stopped_by)] = (index, time.monotonic())
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, stopped_by)

    previous = {signum: signal.signal(signum, forward) for signum in stopped_by}
    failed = False
    try:
        for index in range(count):
            start(index)
        while workers:
            pid, status = os.wait()
            if pid not in workers:
                continue
            index, started = workers.pop(pid)
            if stop or failed:
                continue
            if time.monotonic() - started < QUICK_DEATH_SECONDS:
                LOG.error("worker %d stopped as it started (%s): stopping the server", index, _ended(status))
                failed = True
                send(signal.SIGTERM)
                continue
            LOG.error(
                "worker %d stopped (%s), and its running requests with it: starting another",
                index,
                _ended(status),
            )
            replaced(index)
            start(index)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return stopped_by[stop[0]] if stop else 1
