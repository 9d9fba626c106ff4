"""Confining what the processes MassGen starts may write (Linux Landlock).

:func:`sandboxed_command` wraps a program so that it starts confined: it may write only beneath
the writable paths and never to protected ones (see :mod:`.landlock`). :func:`available` says
whether this machine can do it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from . import landlock

__all__ = [
    "LAUNCHER",
    "MIN_ABI",
    "available",
    "hide_process_memory",
    "sandbox_available",
    "sandboxed_command",
    "unavailable_reason",
]

#: The launcher script; run with ``python -I -S`` it starts in milliseconds.
LAUNCHER = Path(landlock.__file__)


#: ABI 3 (Linux 6.2) is the first that restricts truncate(2); before it a confined process could
#: still empty a protected file.
MIN_ABI = 3


@cache
def available() -> bool:
    """Whether processes can be confined here (Linux >= 6.2 with Landlock enabled)."""
    return landlock.abi_version() >= MIN_ABI


#: :func:`available` under the name :mod:`massgen_core.plugin` exports it as
sandbox_available = available


def unavailable_reason() -> str:
    return (
        "Landlock is not available on this machine (it needs Linux >= 6.2 with the Landlock LSM "
        "enabled), so MassGen cannot confine what commands write"
    )


def hide_process_memory() -> bool:
    """Make this process's ``/proc/<pid>/environ``, ``mem`` and ``fd`` unreadable to other
    processes of the same (non-root) user: ``prctl(PR_SET_DUMPABLE, 0)``. Root keeps access
    through ``CAP_SYS_PTRACE``, which commands are started without (see ``drop_capabilities``).
    Also stops core dumps of this process. Returns whether it was done (Linux only)."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    pr_set_dumpable = 4
    return int(ctypes.CDLL(None, use_errno=True).prctl(pr_set_dumpable, 0, 0, 0, 0)) == 0


def sandboxed_command(
    program: Sequence[str],
    *,
    writable: Sequence[str | Path],
    protected: Sequence[str | Path] = (),
    drop_capabilities: bool = False,
) -> list[str]:
    """``program`` prefixed with the launcher that confines it before ``exec``.

    :param drop_capabilities: the program also runs without any capability (as root: cannot
        read other processes' environment or memory, nor override file permissions).
    """
    command = [sys.executable, "-I", "-S", str(LAUNCHER)]
    if drop_capabilities:
        command.append("--no-capabilities")
    for path in writable:
        command += ["--writable", str(path)]
    for path in protected:
        command += ["--protected", str(path)]
    return [*command, "--", *program]
