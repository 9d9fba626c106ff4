"""``massgen plugins``: installed plugins, their status, hooks and errors."""

from __future__ import annotations

from collections.abc import Sequence

from .format import argument_parser, print_json, print_table


def main(argv: Sequence[str]) -> int:
    parser = argument_parser(
        prog="massgen plugins",
        description="List plugins (entry-point group 'massgen') with their status, hooks and errors.",
        epilog="Status: builtin or loaded (all is well), error (it loaded, but a declaration was "
        "rejected: see the error; the rest of what it declares works), failed (it could not be imported "
        "or registered), incompatible (made for other massgen-core releases than this one: not imported; the "
        "error says what to install), disabled, skipped. The massgen_tools hook depends on the agent, so it is called "
        "only when a run builds its agents: a failure there is a warning at run time (stderr and the "
        "run log), not listed here. "
        "MASSGEN_LOAD_PLUGINS=a,b loads only those; MASSGEN_DISABLE_PLUGINS=a,b skips those; "
        "MASSGEN_STRICT_PLUGINS=1 makes any plugin failure fatal.",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)

    from ..host.commands import installed_commands
    from ..host.plugin_host import get_host
    from ..host.registry import get_registry
    from . import SUBCOMMANDS

    host = get_host()
    get_registry(host)  # calling the declaration hooks records plugins whose hooks misbehave
    installed_commands(SUBCOMMANDS)  # and refreshes the commands `massgen --help` lists
    records = sorted(host.records.values(), key=lambda r: (r.status != "builtin", r.name))
    if args.json:
        print_json([r.as_dict() for r in records])
        return 0
    rows = [
        [
            r.name,
            r.distribution or "massgen-core",
            r.version or "",
            r.status,
            "; ".join(r.errors) if r.errors else ", ".join(r.hooks),
        ]
        for r in records
    ]
    from ..version import PLUGIN_API, __version__

    print(f"massgen-core {__version__}, plugin API {PLUGIN_API}")
    print_table(["NAME", "DISTRIBUTION", "VERSION", "STATUS", "HOOKS / ERROR"], rows)
    return 0
