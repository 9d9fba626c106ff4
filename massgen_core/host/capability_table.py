"""The feature-comparison table, generated from what installed plugins declare.

Rows come from capability kinds that name a ``row`` (kinds sharing a row share a cell); columns
are the listed backend types. ``massgen capabilities --format markdown`` prints it, and the copy
in ``docs/capabilities.md`` is checked against it by a test.
"""

from __future__ import annotations

from typing import Any

from ..plugin.capabilities import CapabilityKind
from .registry import BackendEntry, Registry, install_command

__all__ = ["DOC_BEGIN", "DOC_END", "backend_features", "render_json", "render_markdown", "table_rows"]

DOC_BEGIN = "<!-- BEGIN GENERATED: massgen capabilities --format markdown -->"
DOC_END = "<!-- END GENERATED -->"
YES, NO = "✅", "❌"


def backend_features(registry: Registry, entry: BackendEntry) -> frozenset[str]:
    """Kinds the backend has on at least one model."""
    return registry.any_model_capabilities(entry.spec.type)


def table_rows(registry: Registry) -> list[tuple[str, tuple[CapabilityKind, ...]]]:
    """``(row title, kinds in that row)`` in declaration order."""
    rows: dict[str, list[CapabilityKind]] = {}
    for kind in registry.kinds.values():
        if kind.row:
            rows.setdefault(kind.row, []).append(kind)
    return [(title, tuple(kinds)) for title, kinds in rows.items()]


def _cell(kinds: tuple[CapabilityKind, ...], features: frozenset[str]) -> str:
    present = [k for k in kinds if k.key in features]
    if not present:
        return NO
    if len(kinds) == 1:
        return YES
    if len(present) == len(kinds) and kinds[0].combined_label:
        return f"{YES} {kinds[0].combined_label}"
    label = present[0].label
    return f"{YES} {label}" if label else YES


def _columns(registry: Registry) -> list[BackendEntry]:
    return [e for e in registry.backends.values() if e.spec.listed]


def render_markdown(registry: Registry) -> str:
    """The table as GitHub-flavoured Markdown."""
    columns = _columns(registry)
    if not columns:
        return f"(no listed backends are installed: {install_command('massgen-openai')}, or another massgen plugin)\n"
    header = "| Feature | " + " | ".join(e.spec.display_name for e in columns) + " |"
    rule = "|---|" + "---|" * len(columns)
    lines = [header, rule]
    for title, kinds in table_rows(registry):
        cells = [_cell(kinds, backend_features(registry, e)) for e in columns]
        lines.append(f"| **{title}** | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def render_json(registry: Registry) -> dict[str, Any]:
    """The table as data: rows of cells per backend type."""
    columns = _columns(registry)
    return {
        "backends": [{"type": e.spec.type, "name": e.spec.display_name} for e in columns],
        "rows": [
            {
                "feature": title,
                "cells": {e.spec.type: _cell(kinds, backend_features(registry, e)) for e in columns},
            }
            for title, kinds in table_rows(registry)
        ],
    }


def replace_generated(text: str, table: str) -> str:
    """``text`` with the part between the generated-table markers replaced by ``table``."""
    start = text.index(DOC_BEGIN) + len(DOC_BEGIN)
    end = text.index(DOC_END)
    return text[:start] + "\n" + table + text[end:]
