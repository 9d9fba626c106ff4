"""How the CLI reports failures: a clear message and an exit status, never a traceback."""

from __future__ import annotations

import sys
from collections.abc import Callable

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM


def guard(command: Callable[[], int], *, debug: bool = False) -> int:
    """Run ``command``; turn MassGen errors and Ctrl-C into messages and exit codes."""
    try:
        return command()
    except BrokenPipeError:  # e.g. `massgen backends --json | head`
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        from ..plugin.errors import ConfigError, MassgenError

        if debug:
            raise
        if isinstance(exc, ConfigError):
            print(f"error: invalid configuration:\n{exc}", file=sys.stderr)
            return EXIT_USAGE
        if isinstance(exc, MassgenError):
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_ERROR
        print(
            f"error: unexpected {type(exc).__name__}: {exc}\n"
            "this is a bug in massgen or a plugin; run again with --debug for the traceback",
            file=sys.stderr,
        )
        return EXIT_ERROR
