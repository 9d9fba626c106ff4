"""The core's layout keeps its promises (checked on the source):

- no import cycles among ``massgen_core``'s modules, counting ``TYPE_CHECKING`` and
  function-local imports: so no function-local import merely dodges a cycle (moving any of them
  to the top of its module could not create one);
- the contract (``massgen_core.plugin``) stands on its own: its modules import nothing else of the
  core (its ``__init__`` only re-exports);
- the folders are the architecture: the contract, the plugin host, config, the run-time, tools,
  records, display, the CLI and the test kit.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "massgen_core"


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = modules()


def imports_of(name: str) -> Iterator[str]:
    """The core modules ``name`` imports, wherever the import statement is. ``from pkg import
    sub`` names the submodule only (the package is its parent, already being imported)."""
    path = MODULES[name]
    here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name in MODULES)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = here[: len(here) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES]
            yield from subs
            if base in MODULES and len(subs) < len(node.names):
                yield base


GRAPH = {name: {t for t in imports_of(name) if t != name} for name in MODULES}


def cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(GRAPH[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for name in sorted(GRAPH):
        if name not in index:
            visit(name)
    return found


def test_no_import_cycles() -> None:
    assert cycles() == []


def test_the_checker_finds_a_cycle() -> None:
    GRAPH["massgen_core.plugin.specs"].add("massgen_core.plugin.backend")
    GRAPH["massgen_core.plugin.backend"].add("massgen_core.plugin.specs")
    try:
        assert ["massgen_core.plugin.backend", "massgen_core.plugin.specs"] in cycles()
    finally:
        GRAPH["massgen_core.plugin.specs"] = set(imports_of("massgen_core.plugin.specs"))
        GRAPH["massgen_core.plugin.backend"] = set(imports_of("massgen_core.plugin.backend"))


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith("massgen_core.plugin.")))
def test_the_contract_stands_on_its_own(name: str) -> None:
    outside = sorted(t for t in GRAPH[name] if not t.startswith("massgen_core.plugin"))
    assert outside == [], f"{name} imports the rest of the core: {outside}"


def test_the_folders_are_the_architecture() -> None:
    top = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists())
    assert top == [
        "batch",
        "cli",
        "config",
        "display",
        "eval",
        "host",
        "plugin",
        "records",
        "runtime",
        "testing",
        "tools",
    ]
    loose = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert loose == ["__init__.py", "__main__.py", "events.py", "lazy.py", "version.py"]
