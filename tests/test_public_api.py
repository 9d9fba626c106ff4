"""The public surfaces stay what they claim: everything exported resolves, plugins use only the API."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import massgen_core
import massgen_core.plugin

ROOT = Path(__file__).resolve().parent.parent
ALLOWED_FOR_PLUGINS = ("massgen_core.plugin", "massgen_core.testing")


@pytest.mark.parametrize("module", [massgen_core, massgen_core.plugin], ids=lambda m: m.__name__)
def test_every_exported_name_resolves(module: object) -> None:
    for name in module.__all__:  # type: ignore[attr-defined]
        assert getattr(module, name) is not None, name


def plugin_sources() -> list[Path]:
    return sorted(p for p in ROOT.glob("plugins/*/massgen_*/**/*.py"))


@pytest.mark.parametrize("source", plugin_sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_plugins_import_only_the_public_api(source: Path) -> None:
    tree = ast.parse(source.read_text())
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            if name == "massgen_core" or name.startswith("massgen_core."):
                assert name.startswith(ALLOWED_FOR_PLUGINS), (
                    f"{source.relative_to(ROOT)}:{node.lineno} imports {name}; plugins may import only "
                    f"massgen_core.plugin (and massgen_core.testing in tests)"
                )


def test_the_core_never_imports_a_plugin() -> None:
    for source in sorted((ROOT / "massgen_core").rglob("*.py")):
        tree = ast.parse(source.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom | ast.Import):
                names = (
                    [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                )
                for name in names:
                    top = name.split(".")[0]
                    assert not (top.startswith("massgen_") and top not in ("massgen_core",)), (
                        f"{source.relative_to(ROOT)}:{node.lineno} imports plugin module {name}"
                    )
