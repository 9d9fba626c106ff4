"""``massgen backends``: backend types from every plugin, with capabilities and setup."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .format import print_json, print_table

if TYPE_CHECKING:
    from ..registry import Registry


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="massgen backends", description="List installed backend types.")
    parser.add_argument("type", nargs="?", help="show one backend type in detail: its models and options")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)

    from ..registry import get_registry

    registry = get_registry()
    if args.type:
        return show_backend(registry, args.type)
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


def show_backend(registry: Registry, backend_type: str) -> int:
    """``massgen backends TYPE``: one type's setup, models and options."""
    import attrs

    from ..options import option_fields, option_help, required_capability

    entry = registry.entry(backend_type)
    spec = entry.spec
    print(f"{spec.type}: {spec.display_name} ({spec.provider}), from {entry.distribution or entry.plugin}")
    if spec.description:
        print(f"  {spec.description}")
    print(f"  default model: {spec.default_model or '(none: set model)'}")
    print(f"  API key: {', '.join(spec.api_key_env) or '(none needed)'}")
    if spec.default_base_url:
        print(
            f"  base URL: {spec.default_base_url}"
            + (f" (or {', '.join(spec.base_url_env)})" if spec.base_url_env else "")
        )
    print(f"  capabilities: {', '.join(sorted(registry.capabilities(spec.type)))}")
    if spec.models:
        print("\nmodels:")
        base = registry.capabilities(spec.type)
        rows = []
        for m in spec.models:
            caps = registry.capabilities(spec.type, m.name)
            diff = [f"+{k}" for k in sorted(caps - base)] + [f"-{k}" for k in sorted(base - caps)]
            rows.append([m.name, " ".join(diff)])
        print_table(["MODEL", "DIFFERS FROM THE BACKEND"], rows)
    print("\noptions:")
    rows = []
    for name, field in sorted(option_fields(spec.options_class).items()):
        default = field.default
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            default = "(computed)"
        needs = required_capability(field)
        rows.append(
            [
                name,
                "" if default is None else repr(default),
                (f"[needs {needs}] " if needs else "") + option_help(field),
            ]
        )
    print_table(["OPTION", "DEFAULT", "MEANING"], rows)
    return 0
