"""``massgen serve``: the command's options, and its checks before the port opens.

Safe by default (see :mod:`.listening`): it binds 127.0.0.1, and refuses an address other
machines reach without a key. Every config is validated before the port opens.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence

import massgen_core

from .limits import Limits
from .listening import add_listening_options, keys_for

__all__ = ["build_parser", "main", "parse_size"]

_EXAMPLES = """\
examples:
  massgen serve --config team.yaml                    the team as model "team" on http://127.0.0.1:8000/v1
  massgen serve --config teams/ --port 9000           every config of a folder, one model each
  MASSGEN_SERVE_API_KEY=sk-local massgen serve --config team.yaml --host 0.0.0.0
  massgen serve --config team.yaml --workers 2 --max-concurrent 64   many requests at once

Clients use it as any OpenAI-compatible server: base URL http://HOST:PORT/v1, model = the team's
name, the key as the API key. `extra_body={"massgen": {"progress": true}}` (or --progress for
every request) streams the coordination's steps as reasoning_content; every reply carries a
`massgen` field with the run id, winner and votes. Runs are saved and logged where `massgen`
saves them (.massgen/sessions/<run id>, .massgen/logs/<run id>); http://HOST:PORT/ shows them
live in a browser, with the past runs of .massgen/logs.
"""

_SIZE = re.compile(r"^\s*(\d+)\s*([kmg]?)(i?b)?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """``4194304``, ``512K``, ``4M``, ``1GiB`` as bytes (binary units)."""
    match = _SIZE.match(text)
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size (e.g. 4M, 512K, 1048576)")
    number, unit = int(match.group(1)), match.group(2).lower()
    return number * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit]


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _seconds(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 (no limit) or more")
    return value or None


def build_parser() -> argparse.ArgumentParser:
    defaults = Limits()
    parser = argparse.ArgumentParser(
        prog="massgen serve",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Serve MassGen teams as OpenAI-compatible models: POST /v1/chat/completions "
        "and /v1/responses (streamed or not), GET /v1/models, GET /health.",
        epilog=_EXAMPLES,
    )
    parser.add_argument(
        "--config",
        metavar="PATH",
        action="append",
        required=True,
        help="a team config (served as its `name:`, else its file stem), or a folder of them; repeatable",
    )
    add_listening_options(parser, port=8000)
    parser.add_argument(
        "--max-concurrent",
        type=_positive_int,
        default=defaults.max_concurrent,
        metavar="N",
        help=f"coordinations at once; more get 429 with Retry-After (default {defaults.max_concurrent})",
    )
    parser.add_argument(
        "--max-body-size",
        type=parse_size,
        default=defaults.max_body_bytes,
        metavar="SIZE",
        help="largest request body, e.g. 512K, 16M (default 4M)",
    )
    parser.add_argument(
        "--request-timeout",
        type=_seconds,
        default=defaults.request_timeout,
        metavar="SECONDS",
        help=f"cancel a coordination after this long, answering 504 (default {defaults.request_timeout:g}; 0: none)",
    )
    parser.add_argument(
        "--progress",
        action="store_true",
        help="stream every request's coordination steps as reasoning_content (a request may still "
        'say `"massgen": {"progress": false}`)',
    )
    parser.add_argument(
        "--workers",
        type=_positive_int,
        default=1,
        metavar="N",
        help="serve from N processes, which share the port and --max-concurrent: more "
        "coordinations at once before one CPU core is the limit (default 1; e.g. the number of "
        "cores)",
    )
    parser.add_argument(
        "--loop",
        choices=("auto", "asyncio"),
        default="auto",
        help="the event loop: auto (uvloop, where it is installed) or asyncio (Python's own, should "
        "a library of your team's backends not work on uvloop)",
    )
    parser.add_argument("--debug", action="store_true", help="log details to stderr; show tracebacks")
    return parser


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(argv)
    massgen_core.prepare_command(debug=args.debug)
    if args.workers > 1 and not hasattr(os, "fork"):
        raise massgen_core.MassgenError(
            f"--workers {args.workers} needs a system that can fork processes (Linux, macOS); "
            "leave it out to serve from one process"
        )
    keys = keys_for(args, exposes="run your teams on your providers' keys")
    from .catalog import load_catalog

    catalog = load_catalog(args.config)
    limits = Limits(
        max_concurrent=args.max_concurrent,
        max_body_bytes=args.max_body_size,
        request_timeout=args.request_timeout,
    )
    from .server import serve

    return serve(
        catalog,
        host=args.host,
        port=args.port,
        keys=keys,
        limits=limits,
        progress=args.progress,
        loop=args.loop,
        workers=args.workers,
    )


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
