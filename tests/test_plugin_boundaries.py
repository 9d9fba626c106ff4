"""The boundaries of the plugin contract, checked on the source:

- a plugin's code imports from the core only ``massgen_core.plugin``, the user-level API
  ``massgen_core`` itself and its events, ``massgen_core.events`` (a command runs teams); its
  tests also ``massgen_core.testing``;
- a plugin that builds on another goes through that plugin's declared reuse API (its ``api``
  module), never its internals;
- the core never imports a plugin.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_DIRS = sorted(p.parent for p in ROOT.glob("plugins/*/pyproject.toml"))
PLUGIN_PACKAGES = {pkg.name for d in PLUGIN_DIRS for pkg in d.glob("massgen_*") if pkg.is_dir()}


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """Every absolute module an import statement of ``path`` names (``from x import y`` counts
    ``x`` and ``x.y``, so importing a submodule by name is seen)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def violations(path: Path, own: str, *, test: bool) -> list[str]:
    found = []
    for line, module in imported_modules(path):
        top, _, rest = module.partition(".")
        where = f"{path.relative_to(ROOT)}:{line}: {module}"
        if top == "massgen_core":
            allowed = rest.split(".")[0] in ("", "plugin", "events") or _top_level_api(rest)
            if test:
                allowed = allowed or rest.split(".")[0] == "testing"
            if not allowed:
                found.append(where)
        elif top in PLUGIN_PACKAGES and top != own and rest.split(".")[0] != "api":
            found.append(where + f" (import {top}.api, the reuse API, instead)")
    return found


def _top_level_api(rest: str) -> bool:
    """``from massgen_core import run, load_config, ...``: the user-level API."""
    import massgen_core

    return "." not in rest and rest in massgen_core.__all__


def test_every_plugin_directory_was_found() -> None:
    assert {"massgen_openai", "massgen_local"} <= PLUGIN_PACKAGES


@pytest.mark.parametrize("plugin_dir", PLUGIN_DIRS, ids=lambda p: p.name)
def test_a_plugin_imports_only_the_public_api(plugin_dir: Path) -> None:
    problems = []
    for package in plugin_dir.glob("massgen_*"):
        for path in package.rglob("*.py"):
            problems += violations(path, package.name, test=False)
    own = next((p.name for p in plugin_dir.glob("massgen_*") if p.is_dir()), "")
    for path in (plugin_dir / "tests").rglob("*.py"):
        problems += violations(path, own, test=True)
    assert not problems, "imports outside the plugin contract:\n" + "\n".join(problems)


def test_the_core_never_imports_a_plugin() -> None:
    problems = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for path in (ROOT / "massgen_core").rglob("*.py")
        for line, module in imported_modules(path)
        if module.partition(".")[0] in PLUGIN_PACKAGES
    ]
    assert not problems, "\n".join(problems)


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    sample = ROOT / "plugins" / "_sample.py"
    try:
        sample.write_text(
            "from massgen_core.host.registry import get_registry\nfrom massgen_openai.presets import X\n"
            "from massgen_core.plugin import hookimpl\nfrom massgen_openai.api import ChatPreset\n"
        )
        found = violations(sample, "massgen_local", test=False)
    finally:
        sample.unlink()
    # massgen_core.host.registry (and .get_registry), massgen_openai.presets (and .X); not the other two
    assert [f.split(": ")[1].split(" ")[0] for f in found] == [
        "massgen_core.host.registry",
        "massgen_core.host.registry.get_registry",
        "massgen_openai.presets",
        "massgen_openai.presets.X",
    ]
