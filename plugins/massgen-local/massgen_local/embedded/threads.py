"""How many CPU threads a loaded model computes with.

Measured on a 2-core machine with SmolLM2-135M: 2 threads give about 95 tokens/s on an idle
machine and 1 thread about 70, but with two other busy processes 2 threads fall below 10 tokens/s
(llama.cpp's threads wait for each other at every step, and one of them is always descheduled)
while 1 thread keeps about 25. So a model gets the cores this process may use, less one for
everything else (the event loop, the display, the other processes of the machine), shared among the
models the team runs at the same time (agents on one model take turns, so they add no threads), and
at most :data:`MAX_THREADS` (a small model gains nothing past that). Its waiting threads sleep
instead of spinning (``POLL``), so a busy machine slows it down instead of stalling it.
"""

from __future__ import annotations

import os

__all__ = ["MAX_THREADS", "POLL", "default_threads", "usable_cores"]

MAX_THREADS = 4
#: llama.cpp's busy-wait level for idle worker threads (0: sleep at once; its default, 50, spins)
POLL = 0


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, which containers and ``taskset`` set)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def default_threads(models: int = 1, cores: int | None = None) -> int:
    """Threads for one of ``models`` models loaded by this process, on ``cores`` usable cores."""
    cores = usable_cores() if cores is None else cores
    spare = max(1, cores - 1)
    return max(1, min(MAX_THREADS, spare // max(1, models)))
