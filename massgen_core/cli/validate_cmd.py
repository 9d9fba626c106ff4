"""``massgen validate FILE``: check a config without running it.

The file is checked as a run checks it: syntax, types, names, options, capabilities. What
depends on this machine rather than on the file (an environment variable not set, a context
path or upload file missing here, an MCP server program not installed, no Docker daemon, a
missing API key) is listed as ``warning:`` with the fix, and the file is still valid (exit 0);
``--strict`` makes those errors, as a run does. For a MassGen config it also lists the MassGen
keys read differently from how they are written: ``translated:`` (and how) and ``warning:``
(ignored, and why); see :mod:`massgen_core.config.compat`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import EXIT_USAGE
from .format import argument_parser, print_json

if TYPE_CHECKING:
    from ..config.model import RunConfig
    from ..plugin.errors import ConfigIssue


def main(argv: Sequence[str]) -> int:
    parser = argument_parser(prog="massgen validate", description="Check a config file without running it.")
    parser.add_argument("file", help="the YAML config")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument(
        "--strict",
        action="store_true",
        help="what this machine lacks for the config (unset variables, missing files and programs, "
        "no Docker daemon, no API key) are errors, as for a run, not warnings",
    )
    args = parser.parse_args(argv)

    from ..config.interpolate import load_dotenv_file
    from ..config.loader import load_config
    from ..plugin.errors import ConfigError

    load_dotenv_file(None)
    try:  # a path, never YAML text: a missing file says so
        config = load_config(Path(args.file), machine="error" if args.strict else "warning")
    except ConfigError as exc:
        if args.json:
            print_json({"valid": False, "issues": _listed(exc.issues), "machine": _listed(exc.machine)})
            return EXIT_USAGE
        if not exc.machine:
            raise  # reported as every command reports an invalid config
        print(f"error: invalid configuration:\n{exc}", file=sys.stderr)
        for issue in exc.machine:  # and, besides, what this machine lacks
            print(f"warning: {issue}", file=sys.stderr)
        return EXIT_USAGE
    agents = [{"id": a.id, "type": a.backend.type, "model": a.backend.options.model} for a in config.agents]
    notes = [note for a in config.agents for note in a.backend.notes]
    keys = _missing_keys(config)
    if args.strict and keys:
        if args.json:
            print_json({"valid": False, "issues": [{"message": k} for k in keys], "machine": []})
        else:
            for key in keys:
                print(f"error: {key}", file=sys.stderr)
        return EXIT_USAGE
    warnings = [*(str(i) for i in config.machine), *keys]
    if args.json:
        compat = {  # MassGen keys read differently from how they are written
            kind: _listed(c.issue for c in config.compat if c.kind == kind)
            for kind in ("translated", "ignored")
        }
        print_json(
            {
                "valid": True,
                "issues": [],
                "notes": _listed(notes),
                "machine": _listed(config.machine),  # what this machine lacks, at file:line:column
                "warnings": warnings,  # the same and missing API keys, as lines
                "agents": agents,
                **compat,
            }
        )
        return 0
    desc = ", ".join(f"{a['id']} ({a['type']}{'/' + a['model'] if a['model'] else ''})" for a in agents)
    print(f"{args.file}: valid: {len(agents)} agent(s): {desc}")
    for note in notes:  # valid, but applied differently from how it is written
        print(f"note: {note}")
    for change in config.compat:  # MassGen keys: translated (and how), or ignored (and why)
        print(f"{'translated' if change.kind == 'translated' else 'warning'}: {change}")
    for warning in warnings:  # valid, but a run fails until the machine changes
        print(f"warning: {warning}")
    if warnings:
        print(
            f"{len(warnings)} warning(s) about this machine, not the file: a run stops until they are "
            "fixed (--strict makes them errors)"
        )
    return 0


def _listed(issues: Iterable[ConfigIssue]) -> list[dict[str, Any]]:
    return [
        {"file": i.file, "line": i.line, "column": i.column, "path": i.path, "message": i.message}
        for i in issues
    ]


def _missing_keys(config: RunConfig) -> list[str]:
    """What makes a valid config fail on this machine as it is now: a missing API key."""
    from ..host.registry import get_registry

    registry = get_registry()
    out = []
    for agent in config.agents:
        if why := registry.missing_key(agent.backend.type, agent.backend.options):
            out.append(f"agent {agent.id!r} will fail until it has a key: {why}")
    return out
