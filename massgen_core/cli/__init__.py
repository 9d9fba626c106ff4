"""The ``massgen`` command.

``massgen [run options] "question"`` runs agents (see :mod:`massgen_core.cli.run`); the words
below are subcommands. Each subcommand lives in its own module, imported only when used, so
``massgen --help`` stays fast.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["SUBCOMMANDS", "main"]

#: subcommand -> (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "plugins": ("massgen_core.cli.plugins_cmd", "list installed plugins, their status and hooks"),
    "backends": ("massgen_core.cli.backends_cmd", "list backend types, their capabilities and env vars"),
    "capabilities": ("massgen_core.cli.capabilities_cmd", "print the feature-comparison table"),
    "validate": ("massgen_core.cli.validate_cmd", "check a config file without running it"),
    "sessions": ("massgen_core.cli.sessions_cmd", "list saved multi-turn sessions"),
    "sandbox": (
        "massgen_core.cli.sandbox_cmd",
        "build the container image for command_line_execution_mode: docker",
    ),
    "batch": ("massgen_core.cli.batch_cmd", "answer every question of a file, one coordination each"),
}


#: subcommands that print only what plugins declare (names, types, env var *names*), never a
#: config, an environment value or a provider's answer: they need no masking of secrets
DECLARATIONS_ONLY = frozenset({"plugins", "backends", "capabilities"})


def subcommand_help() -> str:
    width = max(len(name) for name in SUBCOMMANDS)
    lines = ["subcommands:"]
    lines += [f"  massgen {name.ljust(width)}  {text}" for name, (_, text) in SUBCOMMANDS.items()]
    lines.append("run `massgen SUBCOMMAND --help` for a subcommand's options")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``massgen`` console script; returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    from .errors import guard

    if args and args[0] in SUBCOMMANDS:
        name, rest = SUBCOMMANDS[args[0]][0], args[1:]
    else:
        name, rest = "massgen_core.cli.run", args
    command = lambda: importlib.import_module(name).main(rest)  # noqa: E731
    if args and args[0] in DECLARATIONS_ONLY:
        return guard(command, debug="--debug" in args)
    from ..records.redaction import redacted_output

    with redacted_output():  # no key reaches the terminal, whatever a provider's error echoed
        return guard(command, debug="--debug" in args)


def _quiet_ctrl_c(hook: Callable[[Any], object]) -> Callable[[Any], object]:
    """``hook``, except for a Ctrl-C that lands where Python cannot raise it (a weakref callback,
    a ``__del__``, a garbage collection): that is a second Ctrl-C while the first one is being
    handled, and printing "Exception ignored ... KeyboardInterrupt" would only add a traceback."""

    def quiet(unraisable: Any) -> object:
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            return None
        return hook(unraisable)

    return quiet


def console_main() -> None:
    """The console script (and ``python -m massgen_core``): :func:`main`, then exit.

    Ctrl-C is ignored from here on: the work is done and saved, and a second Ctrl-C during the
    exit would otherwise end in a traceback from an atexit callback, or in a kill by SIGINT.

    The exit skips the interpreter's teardown, which frees every module and class one by one:
    with the provider SDKs loaded that is most of a second of pure CPU after the answer is out.
    Everything a normal exit does for the program still happens first: the atexit callbacks
    (logging's flush and close, thread pools, temporary directories, Ray's shutdown ...) and the
    flush of stdout and stderr."""
    import atexit
    import contextlib
    import os
    import signal

    sys.unraisablehook = _quiet_ctrl_c(sys.unraisablehook)
    status = main()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing left to lose
            stream.flush()
    os._exit(status)
