"""``massgen validate FILE``: check a config without running it.

Everything the loader checks: syntax, types, options, capabilities, and what the config names on
this machine (context paths exist, MCP server programs are installed and allowed). For a MassGen
config it also lists, by default, the MassGen keys read differently from how they are written:
``translated:`` (and how) and ``warning:`` (ignored, and why); see :mod:`massgen_core.config.compat`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import EXIT_USAGE
from .format import argument_parser, print_json

if TYPE_CHECKING:
    from ..config.model import RunConfig


def main(argv: Sequence[str]) -> int:
    parser = argument_parser(prog="massgen validate", description="Check a config file without running it.")
    parser.add_argument("file", help="the YAML config")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)

    from ..config.interpolate import load_dotenv_file
    from ..config.loader import load_config
    from ..plugin.errors import ConfigError

    load_dotenv_file(None)
    try:
        config = load_config(Path(args.file))  # a path, never YAML text: a missing file says so
    except ConfigError as exc:
        if args.json:
            print_json(
                {
                    "valid": False,
                    "issues": [
                        {
                            "file": i.file,
                            "line": i.line,
                            "column": i.column,
                            "path": i.path,
                            "message": i.message,
                        }
                        for i in exc.issues
                    ],
                }
            )
            return EXIT_USAGE
        raise
    agents = [{"id": a.id, "type": a.backend.type, "model": a.backend.options.model} for a in config.agents]
    notes = [note for a in config.agents for note in a.backend.notes]
    warnings = _certain_failures(config)
    if args.json:
        listed = [
            {"file": n.file, "line": n.line, "column": n.column, "path": n.path, "message": n.message}
            for n in notes
        ]
        compat = {  # MassGen keys read differently from how they are written
            kind: [
                {"file": i.file, "line": i.line, "column": i.column, "path": i.path, "message": i.message}
                for i in (c.issue for c in config.compat if c.kind == kind)
            ]
            for kind in ("translated", "ignored")
        }
        print_json(
            {"valid": True, "issues": [], "notes": listed, "warnings": warnings, "agents": agents, **compat}
        )
    else:
        desc = ", ".join(f"{a['id']} ({a['type']}{'/' + a['model'] if a['model'] else ''})" for a in agents)
        print(f"{args.file}: valid: {len(agents)} agent(s): {desc}")
        for note in notes:  # valid, but applied differently from how it is written
            print(f"note: {note}")
        for change in config.compat:  # MassGen keys: translated (and how), or ignored (and why)
            print(f"{'translated' if change.kind == 'translated' else 'warning'}: {change}")
        for warning in warnings:  # valid, but the run will fail until the machine changes
            print(f"warning: {warning}")
    return 0


def _certain_failures(config: RunConfig) -> list[str]:
    """What makes a valid config fail on this machine as it is now: a missing API key."""
    from ..host.registry import get_registry

    registry = get_registry()
    out = []
    for agent in config.agents:
        if why := registry.missing_key(agent.backend.type, agent.backend.options):
            out.append(f"agent {agent.id!r} will fail until it has a key: {why}")
    return out
