"""Starts the Claude Code CLI in a session of its own and records its process id (stdlib only).

Run as ``python -I -S launch.py PIDFILE -- PROGRAM ARGS...``: it becomes the leader of a new
session (so the backend can stop the CLI and everything it started, Bash commands included, as
one process group), writes its pid to ``PIDFILE`` and executes ``PROGRAM`` in its place.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str]) -> None:
    if len(argv) < 4 or argv[2] != "--":
        sys.stderr.write("usage: launch.py PIDFILE -- PROGRAM [ARGS...]\n")
        raise SystemExit(2)
    pidfile, program = argv[1], argv[3:]
    os.setsid()
    with open(pidfile, "w", encoding="ascii") as handle:
        handle.write(str(os.getpid()))
    try:
        os.execv(program[0], program)
    except OSError as exc:
        sys.stderr.write(f"cannot start the Claude Code CLI {program[0]}: {exc.strerror}\n")
        raise SystemExit(127) from None


if __name__ == "__main__":
    main(sys.argv)
