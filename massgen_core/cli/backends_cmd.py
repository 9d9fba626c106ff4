"""``massgen backends``: backend types from every plugin, with capabilities and setup."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .errors import EXIT_USAGE
from .format import argument_parser, print_json, print_table

if TYPE_CHECKING:
    import attrs

    from ..host.registry import BackendEntry, Registry


def main(argv: Sequence[str]) -> int:
    parser = argument_parser(prog="massgen backends", description="List installed backend types.")
    parser.add_argument("type", nargs="?", help="show one backend type in detail: its models and options")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)

    from ..host.registry import get_registry

    registry = get_registry()
    if args.type:
        if args.type not in registry.backends and args.type not in registry.conflicts:
            # not a config problem: no "invalid configuration" framing
            print(f"error: {registry.unknown_type_message(args.type)}", file=sys.stderr)
            return EXIT_USAGE
        if args.json:
            print_json(backend_details(registry, registry.entry(args.type)))
            return 0
        return show_backend(registry, args.type)
    entries = list(registry.backends.values())
    if args.json:
        data = [backend_summary(registry, e) for e in entries]
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
        from ..host.registry import install_command

        print(f"no backends installed: {install_command('massgen-openai')}, or another massgen plugin")
    return 0


def backend_summary(registry: Registry, entry: BackendEntry) -> dict[str, Any]:
    """One backend type as ``massgen backends --json`` lists it."""
    s = entry.spec
    return {
        "type": s.type,
        "name": s.display_name,
        "provider": s.provider,
        "plugin": entry.plugin,
        "distribution": entry.distribution or "massgen-core",
        "version": entry.version,
        "listed": s.listed,
        "capabilities": sorted(registry.capabilities(s.type)),
        "default_model": s.default_model,
        "models": [
            {"name": m.name, "capabilities": sorted(registry.capabilities(s.type, m.name))} for m in s.models
        ],
        "env": list(s.api_key_env),
        "api_key_required": s.api_key_required,
        "default_base_url": s.default_base_url,
        "description": s.description,
    }


def backend_details(registry: Registry, entry: BackendEntry) -> dict[str, Any]:
    """``massgen backends TYPE --json``: the summary plus model details and every option."""
    from ..plugin.options import option_fields

    spec = entry.spec
    data = backend_summary(registry, entry)
    data["base_url_env"] = list(spec.base_url_env)
    data["model_patterns"] = list(spec.model_patterns)
    data["models"] = [
        {
            "name": m.name,
            "capabilities": sorted(registry.capabilities(spec.type, m.name)),
            "context_window": m.context_window,
            "input_price": m.input_price,
            "output_price": m.output_price,
            "cached_input_price": m.cached_input_price,
        }
        for m in spec.models
    ]
    data["options"] = [
        _option_details(name, field) for name, field in sorted(option_fields(spec.options_class).items())
    ]
    return data


def _option_details(name: str, field: attrs.Attribute[Any]) -> dict[str, Any]:
    import json

    import attrs

    from ..plugin.options import is_secret, option_help, required_capability

    default: Any = field.default
    required = default is attrs.NOTHING
    if required:
        default = None
    elif isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        default = None if default.takes_self else default.factory()
    try:
        json.dumps(default)
    except (TypeError, ValueError):
        default = repr(default)
    return {
        "name": name,
        "type": _type_name(field.type),
        "default": default,
        "required": required,
        "help": option_help(field),
        "requires": required_capability(field),
        "secret": is_secret(field),
    }


def _type_name(annotation: Any) -> str | None:
    """An option's annotation as written (a string under ``from __future__ import annotations``)."""
    if annotation is None or isinstance(annotation, str):
        return annotation
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def show_backend(registry: Registry, backend_type: str) -> int:
    """``massgen backends TYPE``: one type's setup, models and options."""
    import attrs

    from ..plugin.options import option_fields, option_help, required_capability

    entry = registry.entry(backend_type)
    spec = entry.spec
    title = spec.display_name
    if spec.provider and spec.provider.lower() not in title.lower():  # not "OpenAI (OpenAI)"
        title += f" · {spec.provider}"
    print(f"{spec.type}: {title}, from {entry.distribution or entry.plugin}")
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
