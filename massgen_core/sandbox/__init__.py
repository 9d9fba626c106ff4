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

__all__ = ["LAUNCHER", "MIN_ABI", "available", "sandbox_available", "sandboxed_command", "unavailable_reason"]

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


def sandboxed_command(
    program: Sequence[str], *, writable: Sequence[str | Path], protected: Sequence[str | Path] = ()
) -> list[str]:
    """``program`` prefixed with the launcher that confines it before ``exec``."""
    command = [sys.executable, "-I", "-S", str(LAUNCHER)]
    for path in writable:
        command += ["--writable", str(path)]
    for path in protected:
        command += ["--protected", str(path)]
    return [*command, "--", *program]
