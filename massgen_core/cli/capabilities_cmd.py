"""``massgen capabilities``: the feature-comparison table of the installed backends."""

from __future__ import annotations

from collections.abc import Sequence

from .format import argument_parser, print_json


def main(argv: Sequence[str]) -> int:
    parser = argument_parser(
        prog="massgen capabilities", description="Print the feature-comparison table of installed backends."
    )
    parser.add_argument("--format", choices=["markdown", "json", "kinds"], default="markdown")
    args = parser.parse_args(argv)

    from ..host.capability_table import render_json, render_markdown
    from ..host.registry import get_registry

    registry = get_registry()
    if args.format == "json":
        print_json(render_json(registry))
    elif args.format == "kinds":
        print_json(
            [{"key": k.key, "title": k.title, "description": k.description} for k in registry.kinds.values()]
        )
    else:
        print(render_markdown(registry), end="")
    return 0
