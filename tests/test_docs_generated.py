"""Generated documentation stays true: the feature table in README.md and docs/ matches the code.

The table is rendered from the first-party plugins in ``plugins/`` (and nothing else that
happens to be installed). Run with ``MASSGEN_UPDATE_DOCS=1`` to rewrite the files.
"""

from __future__ import annotations

import os
import tomllib
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import pytest

from massgen_core.host.capability_table import DOC_BEGIN, DOC_END, render_markdown, replace_generated
from massgen_core.host.plugin_host import PluginHost
from massgen_core.host.registry import Registry

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", ROOT / "docs" / "capabilities.md"]


def first_party_distributions() -> list[str]:
    names = []
    for pyproject in sorted(ROOT.glob("plugins/*/pyproject.toml")):
        names.append(tomllib.loads(pyproject.read_text())["project"]["name"])
    return names


def render_first_party_table() -> str:
    dists = first_party_distributions()
    missing = []
    for name in dists:
        try:
            distribution(name)
        except PackageNotFoundError:
            missing.append(name)
    if missing:
        pytest.skip(f"first-party plugins not installed here: {', '.join(missing)} (run `nox -s tests`)")
    return render_markdown(Registry(PluginHost(only=dists)))


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_generated_feature_table_is_current(doc: Path) -> None:
    table = render_first_party_table()
    text = doc.read_text()
    assert DOC_BEGIN in text and DOC_END in text, f"{doc} lost its generated-table markers"
    expected = replace_generated(text, table)
    if os.environ.get("MASSGEN_UPDATE_DOCS") == "1":
        doc.write_text(expected)
        return
    assert text == expected, (
        f"{doc.relative_to(ROOT)} is out of date: run `MASSGEN_UPDATE_DOCS=1 pytest tests/test_docs_generated.py`"
    )
