"""The ``massgen`` command.

``massgen [run options] "question"`` runs agents (see :mod:`massgen_core.cli.run`); the words
below are subcommands. Each subcommand lives in its own module, imported only when used, so
``massgen --help`` stays fast. Plugins add subcommands through the ``massgen_commands`` hook
(:mod:`massgen_core.host.commands`); a built-in name always means the built-in command.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["SUBCOMMANDS", "main"]

#: subcommand -> (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "plugins": ("massgen_core.cli.plugins_cmd", "list installed plugins, their versions, status and hooks"),
    "install": ("massgen_core.cli.install_cmd", "install plugins into the environment that runs massgen"),
    "uninstall": ("massgen_core.cli.uninstall_cmd", "remove plugins from the environment that runs massgen"),
    "backends": ("massgen_core.cli.backends_cmd", "list backend types, their capabilities and env vars"),
    "capabilities": ("massgen_core.cli.capabilities_cmd", "print the feature-comparison table"),
    "validate": ("massgen_core.cli.validate_cmd", "check a config file without running it"),
    "sessions": ("massgen_core.cli.sessions_cmd", "list saved multi-turn sessions"),
    "sandbox": (
        "massgen_core.cli.sandbox_cmd",
        "build the container image for command_line_execution_mode: docker",
    ),
    "batch": ("massgen_core.cli.batch_cmd", "answer every question of a file, one coordination each"),
    "eval": ("massgen_core.cli.eval_cmd", "score the team against each of its agents alone, on a dataset"),
}


#: subcommands that print only what plugins declare (names, types, env var *names*), never a
#: config, an environment value or a provider's answer: they need no masking of secrets
DECLARATIONS_ONLY = frozenset({"plugins", "backends", "capabilities"})


def subcommand_help() -> str:
    from ..host.commands import listed_commands

    rows = [(name, text) for name, (_, text) in SUBCOMMANDS.items()]
    rows += [(name, f"{text} ({dist})") for name, text, dist in listed_commands(SUBCOMMANDS)]
    width = max(len(name) for name, _ in rows)
    lines = ["subcommands:"]
    lines += [f"  massgen {name.ljust(width)}  {text}" for name, text in rows]
    lines.append("run `massgen SUBCOMMAND --help` for a subcommand's options")
    return "\n".join(lines)


def _plugin_command(word: str) -> Callable[[Sequence[str]], int] | None:
    """The ``main`` of the plugin command named ``word``, else ``None`` (``word`` is a question).

    :raises MassgenError: ``word`` names a command that cannot run: two plugins declare it, or
        its plugin is not installed or its module does not load.
    """
    from ..host.commands import KNOWN_COMMANDS, NAME, installed_commands

    if not NAME.match(word):
        return None
    from ..plugin.errors import MassgenError

    found = installed_commands(SUBCOMMANDS)
    if word in found.conflicts:
        plugins = " and ".join(found.conflicts[word])
        raise MassgenError(
            f"`massgen {word}` is declared by the plugins {plugins}: keep one (uninstall the other, "
            f"or MASSGEN_DISABLE_PLUGINS=NAME); `massgen plugins` lists them"
        )
    command = found.commands.get(word)
    if command is None:
        dist = KNOWN_COMMANDS.get(word)
        if dist is None:
            return None
        from ..host.registry import install_command

        raise MassgenError(
            f"`massgen {word}` comes from the {dist} plugin, which is not installed (or not loaded: "
            f"`massgen plugins` shows it): {install_command(dist)}"
        )
    try:
        return command.spec.load_main()
    except Exception as exc:
        from ..host.registry import install_command

        dist = command.distribution or command.plugin
        raise MassgenError(
            f"`massgen {word}` (plugin {command.plugin}) could not be loaded: {type(exc).__name__}: "
            f"{exc}; reinstall it: {install_command(dist, upgrade=True)}"
        ) from exc


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``massgen`` console script; returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    from .errors import guard

    debug = "--debug" in args
    if args and args[0] in SUBCOMMANDS:
        name, rest = SUBCOMMANDS[args[0]][0], args[1:]
        command = lambda: importlib.import_module(name).main(rest)  # noqa: E731
    else:
        word = args[0] if args else ""

        def command() -> int:
            plugin_main = _plugin_command(word)
            if plugin_main is not None:
                return plugin_main(args[1:])
            status: int = importlib.import_module("massgen_core.cli.run").main(args)
            return status

    if args and args[0] in DECLARATIONS_ONLY:
        return guard(command, debug=debug)
    from ..records.redaction import redacted_output

    with redacted_output():  # no key reaches the terminal, whatever a provider's error echoed
        return guard(command, debug=debug)


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
