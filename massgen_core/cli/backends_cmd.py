"""``massgen backends``: backend types from every plugin, with capabilities and setup."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from .format import print_json, print_table


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="massgen backends", description="List installed backend types.")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)

    from ..options import option_fields
    from ..registry import get_registry

    registry = get_registry()
    entries = list(registry.backends.values())
    if args.json:
        data: list[dict[str, Any]] = []
        for e in entries:
            s = e.spec
            data.append(
                {
                    "type": s.type,
                    "name": s.display_name,
                    "provider": s.provider,
                    "plugin": e.plugin,
                    "distribution": e.distribution or "massgen-core",
                    "version": e.version,
                    "listed": s.listed,
                    "capabilities": sorted(registry.capabilities(s.type)),
                    "default_model": s.default_model,
                    "models": [
                        {"name": m.name, "capabilities": sorted(registry.capabilities(s.type, m.name))}
                        for m in s.models
                    ],
                    "env": list(s.api_key_env),
                    "api_key_required": s.api_key_required,
                    "default_base_url": s.default_base_url,
                    "options": sorted(option_fields(s.options)),
                    "description": s.description,
                }
            )
        conflicts = [
            {"type": t, "plugins": [e.plugin for e in claimants]}
            for t, claimants in registry.conflicts.items()
        ]
        print_json({"backends": data, "conflicts": conflicts} if conflicts else data)
        return 0
    rows = [
        [
            e.spec.type,
            e.spec.provider,
            e.plugin if e.distribution is None else e.distribution,
            e.spec.default_model or "",
            ", ".join(e.spec.api_key_env) or "(no key)",
            ", ".join(sorted(registry.capabilities(e.spec.type))),
        ]
        for e in entries
    ]
    print_table(["TYPE", "PROVIDER", "PLUGIN", "DEFAULT MODEL", "API KEY ENV", "CAPABILITIES"], rows)
    for t, claimants in registry.conflicts.items():
        print(f"conflict: backend type {t!r} is declared by {', '.join(e.plugin for e in claimants)}")
    if not entries:
        print("no backends installed: pip install massgen-openai (or another massgen plugin)")
    return 0
