"""``massgen view [LOG_DIR]``: the runs of a log folder in a browser, past ones and those going on.

A run another ``massgen`` process is writing shows live (its log is followed as it grows). The
same safety rules as ``massgen serve`` (see :mod:`.listening`): 127.0.0.1 by default, a key for
any other address. Nothing is run here: it only reads the log folder.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import massgen_core

from .listening import add_listening_options, keys_for

__all__ = ["build_parser", "main"]

DEFAULT_PORT = 8001

_EXAMPLES = f"""\
examples:
  massgen view                                  the runs of ./.massgen/logs on http://127.0.0.1:{DEFAULT_PORT}/
  massgen view ~/project/.massgen/logs --port 0 another folder, on any free port
  massgen view .massgen/logs/20261206-101500-1a2b3c4d   that run's page

`massgen --config team.yaml --web "question"` starts it for a run and prints the run's page.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="massgen view",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Browse MassGen runs in a browser: every run of a log folder, newest first; "
        "each run's answers, votes, winner and final answer, live while it runs.",
        epilog=_EXAMPLES,
    )
    parser.add_argument(
        "log_dir",
        nargs="?",
        type=Path,
        default=massgen_core.DEFAULT_LOG_ROOT,
        metavar="LOG_DIR",
        help=f"a log folder, or one run's folder in it (default {massgen_core.DEFAULT_LOG_ROOT})",
    )
    add_listening_options(parser, port=DEFAULT_PORT)
    parser.add_argument("--debug", action="store_true", help="log details to stderr; show tracebacks")
    return parser


def log_root(path: Path) -> tuple[Path, str | None]:
    """The log folder to serve, and the run to point at when ``path`` is one run's folder."""
    if (path / "events.jsonl").is_file():
        return path.parent, path.name
    if not path.is_dir():
        raise massgen_core.MassgenError(
            f"no log folder at {path}: massgen writes its runs' logs to {massgen_core.DEFAULT_LOG_ROOT} "
            f"in the folder it runs in; run `massgen view` there, or give the folder: massgen view PATH"
        )
    return path, None


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(argv)
    massgen_core.prepare_command(debug=args.debug)
    keys = keys_for(args, exposes="read every question and answer of your runs")
    root, run_id = log_root(args.log_dir)
    from starlette.applications import Starlette
    from starlette.middleware import Middleware

    from .server import run_app
    from .web.app import WebState, web_routes
    from .web.security import Access, SecurityHeaders

    web = WebState(root=root, access=Access(keys))
    app = Starlette(routes=web_routes(web), middleware=[Middleware(SecurityHeaders)])

    def banner(url: str) -> str:
        page = f"{url}/runs/{run_id}" if run_id else f"{url}/"
        return (
            f"massgen view: the runs of {root} on {page} · keys "
            f"{'required' if keys else 'not required (loopback only)'} · Ctrl-C stops"
        )

    return run_app(app, host=args.host, port=args.port, banner=banner)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
