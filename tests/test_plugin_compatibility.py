"""A plugin made for other massgen-core releases is listed as incompatible, with the fix, and is
never imported; everything else keeps working. Its range is read from its metadata (the
``Requires-Dist: massgen-core...`` line pip installs it by)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from massgen_core import PLUGIN_API, __version__
from massgen_core.host.compatibility import admits, core_range
from massgen_core.testing.cli import MakePlugin, run_massgen

ROOT = Path(__file__).resolve().parents[1]
SCRIPTED = str(ROOT / "examples" / "scripted_three_agents.yaml")

#: a plugin that must not be imported: importing it leaves a mark and breaks
OLD = """
import pathlib, os
pathlib.Path(os.environ["IMPORTED_MARK"]).write_text("imported")
raise RuntimeError("an incompatible plugin was imported")
"""
GOOD = """
from massgen_core.plugin import BackendOptions, BackendSpec, hookimpl

@hookimpl
def massgen_backend_types():
    return [BackendSpec(type="fitting", display_name="Fitting", provider="Acme", factory="m:Backend",
                        options=BackendOptions, capabilities={"streaming"}, api_key_required=False)]
"""


def plugins(site: Path, tmp_path: Path, *args: str, **env: str) -> list[dict[str, object]]:
    result = run_massgen(
        "plugins",
        "--json",
        *args,
        env={"IMPORTED_MARK": str(tmp_path / "mark"), "MASSGEN_CACHE_DIR": str(tmp_path / "cache"), **env},
        pythonpath=site,
    )
    assert result.returncode == 0, result.stderr
    listed: list[dict[str, object]] = json.loads(result.stdout)
    return listed


@pytest.fixture
def old_site(make_plugin: MakePlugin) -> Path:
    return make_plugin("massgen-oldone", "oldone", OLD, version="0.9", requires=["massgen-core>=0.0.1,<0.1"])


def test_an_incompatible_plugin_is_listed_with_the_reason_and_the_fix_and_never_imported(
    old_site: Path, tmp_path: Path
) -> None:
    for _cold_then_warm in range(2):  # the entry-point cache keeps the verdict
        by_name = {p["name"]: p for p in plugins(old_site, tmp_path)}
        old = by_name["oldone"]
        assert old["status"] == "incompatible"
        assert old["requires"] == "massgen-core<0.1,>=0.0.1"
        error = str(old["error"])
        assert (
            f"massgen-oldone 0.9 needs massgen-core<0.1,>=0.0.1; this is massgen-core {__version__}" in error
        )
        assert f"plugin API {PLUGIN_API}" in error
        assert (
            "massgen install -U massgen-oldone" in error
            and "massgen install 'massgen-core<0.1,>=0.0.1'" in error
        )
        assert by_name["testplugin"]["status"] == "loaded"
        assert not (tmp_path / "mark").exists()
    assert list((tmp_path / "cache").glob("entry-points-*.json"))

    table = run_massgen("plugins", env={"IMPORTED_MARK": str(tmp_path / "mark")}, pythonpath=old_site)
    assert table.stdout.startswith(f"massgen-core {__version__}, plugin API {PLUGIN_API}\n")
    line = next(line for line in table.stdout.splitlines() if line.startswith("oldone "))
    assert "massgen-oldone" in line and "0.9" in line and "incompatible" in line


def test_a_run_still_works_beside_an_incompatible_plugin(old_site: Path, tmp_path: Path) -> None:
    result = run_massgen(
        "--config",
        SCRIPTED,
        "--no-display",
        "What is the capital of France?",
        env={"IMPORTED_MARK": str(tmp_path / "mark")},
        pythonpath=old_site,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "Paris" in result.stdout
    assert not (tmp_path / "mark").exists()


def test_its_backend_type_says_why_it_is_not_available(old_site: Path, tmp_path: Path) -> None:
    result = run_massgen(
        "--backend",
        "oldone",
        "--model",
        "m",
        "--no-display",
        "question",
        env={"IMPORTED_MARK": str(tmp_path / "mark")},
        pythonpath=old_site,
        cwd=tmp_path,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "backend type 'oldone' is not available" in result.stderr
    assert (
        "needs massgen-core<0.1,>=0.0.1" in result.stderr
        and "massgen install -U massgen-oldone" in result.stderr
    )


def test_strict_mode_makes_an_incompatible_plugin_fatal(old_site: Path, tmp_path: Path) -> None:
    result = run_massgen(
        "plugins",
        env={"IMPORTED_MARK": str(tmp_path / "mark"), "MASSGEN_STRICT_PLUGINS": "1"},
        pythonpath=old_site,
    )
    assert result.returncode != 0
    assert "needs massgen-core<0.1,>=0.0.1" in result.stderr and "Traceback" not in result.stderr


def test_plugins_whose_range_admits_this_core_load(make_plugin: MakePlugin, tmp_path: Path) -> None:
    make_plugin("massgen-fitting", "fitting", GOOD, requires=[f"Massgen_Core>={__version__}"])
    make_plugin(  # a range only under an extra or a false marker does not apply
        "massgen-extra",
        "extra",
        GOOD.replace('"fitting"', '"extra"'),
        requires=["massgen-core<0.1; extra == 'old'", "massgen-core<0.1; python_version < '3'", "rich"],
    )
    site = make_plugin("massgen-nodeclared", "nodeclared", GOOD.replace('"fitting"', '"nodeclared"'))
    by_name = {p["name"]: p for p in plugins(site, tmp_path)}
    assert by_name["fitting"]["status"] == "loaded"
    assert by_name["fitting"]["requires"] == f"massgen-core>={__version__}"
    assert by_name["extra"]["status"] == "loaded" and by_name["extra"]["requires"] is None
    assert by_name["nodeclared"]["status"] == "loaded"


def test_disabling_an_incompatible_plugin_wins(old_site: Path, tmp_path: Path) -> None:
    by_name = {p["name"]: p for p in plugins(old_site, tmp_path, MASSGEN_DISABLE_PLUGINS="oldone")}
    assert by_name["oldone"]["status"] == "disabled"


@pytest.mark.parametrize(
    ("requires", "expected"),
    [
        (["massgen-core>=0.1,<0.2"], "<0.2,>=0.1"),
        (["rich>=13", "massgen_core (>=0.1)"], ">=0.1"),
        (["massgen-core"], ""),
        (["massgen-core-extras>=1", "massgen-corex"], None),
        (["massgen-core<0.1; extra == 'dev'"], None),
        (["not a requirement at all ((", "massgen-core <0.1 ; (("], None),
        (None, None),
    ],
)
def test_the_range_is_read_from_requires_dist(requires: list[str] | None, expected: str | None) -> None:
    assert core_range(requires) == expected


def test_ranges_admit_versions_as_pip_does() -> None:
    assert admits(">=0.1,<0.2", "0.1.7") and not admits(">=0.1,<0.2", "0.2.0")
    assert admits("", "5.0") and admits(">=0.1", "0.2.0.dev1")
    assert admits(f"=={__version__}")


RELEASES = st.lists(st.integers(0, 3), min_size=1, max_size=3).map(lambda parts: ".".join(map(str, parts)))
CLAUSES = st.tuples(st.sampled_from(["==", "!=", "<=", ">=", "<", ">", "~="]), RELEASES).filter(
    lambda c: c[0] != "~=" or "." in c[1]
)


@settings(max_examples=300, deadline=None)
# distinct clauses (packaging keeps a set of them: `==0, ==0.0` would be one, either way round)
@given(st.lists(CLAUSES, max_size=3, unique_by=lambda c: (c[0], c[1].rstrip(".0"))), RELEASES, st.booleans())
def test_the_fast_path_agrees_with_packaging(
    clauses: list[tuple[str, str]], version: str, parenthesised: bool
) -> None:
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet

    spec = ", ".join(op + bound for op, bound in clauses)
    line = f"massgen-core ({spec})" if parenthesised and spec else f"massgen-core {spec}"
    assert core_range([line]) == str(Requirement(line).specifier)
    assert admits(spec.replace(" ", ""), version) == SpecifierSet(spec).contains(version, prereleases=True)


def test_reading_plain_ranges_imports_no_packaging(make_plugin: MakePlugin, tmp_path: Path) -> None:
    site = make_plugin("massgen-fitting", "fitting", GOOD, requires=["massgen-core>=0.1,<0.2"])
    code = (
        "import sys, json\n"
        "from massgen_core.host.plugin_host import get_host\n"
        "host = get_host()\n"
        "print(json.dumps([host.records['fitting'].status, 'packaging' in sys.modules]))\n"
    )
    import subprocess
    import sys

    env = {"PYTHONPATH": str(site), "MASSGEN_PLUGIN_CACHE": "0", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert json.loads(out.stdout) == ["loaded", False]
