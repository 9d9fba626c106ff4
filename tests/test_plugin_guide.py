"""Every code block of docs/plugins.md is executed here, as a plugin author would use it: the
plugins as synthetic installed distributions, run through the real ``massgen`` command."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from importlib.util import find_spec
from pathlib import Path

import pytest

from massgen_core.testing.cli import run_massgen, write_distribution

ROOT = Path(__file__).resolve().parent.parent
GUIDE = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
_FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)


def blocks() -> dict[str, tuple[str, str]]:
    """``{name: (language, source)}``; a block's name is its first line (``# name``)."""
    found: dict[str, tuple[str, str]] = {}
    for language, source in _FENCE.findall(GUIDE):
        first = source.splitlines()[0]
        name = first[2:].strip() if first.startswith("# ") else f"<{language} block>"
        assert name not in found, f"two blocks named {name}"
        found[name] = (language, source)
    return found


BLOCKS = blocks()


def source(name: str) -> str:
    return BLOCKS[name][1]


def test_every_block_is_executed_by_a_test() -> None:
    assert set(BLOCKS) == {
        "massgen_echo.py",
        "<toml block>",
        "team.yaml",
        "massgen_acme_options.py",
        "massgen_wordcount.py",
        "massgen_acme.py",
        "test_acme_conformance.py",
        "scripted.yaml",
        "massgen_tally.py",
        "massgen_anyorder.py",
    }


def test_the_pyproject_declares_the_entry_point() -> None:
    project = tomllib.loads(source("<toml block>"))["project"]
    assert project["entry-points"]["massgen"] == {"echo": "massgen_echo"}


@pytest.fixture
def echo_site(tmp_path: Path) -> Path:
    return write_distribution(tmp_path / "site", "massgen-echo", "echo", source("massgen_echo.py"))


def test_the_echo_backend_answers_alone(echo_site: Path, tmp_path: Path) -> None:
    result = run_massgen(
        "--backend", "echo", "--no-display", "hello there", pythonpath=echo_site, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ">> I heard 2 words."
    listed = run_massgen("backends", "echo", "--json", pythonpath=echo_site)
    assert listed.returncode == 0, listed.stderr
    assert "prefix" in json.dumps(json.loads(listed.stdout))


def test_the_echo_team_coordinates(echo_site: Path, tmp_path: Path) -> None:
    (tmp_path / "team.yaml").write_text(source("team.yaml"))
    result = run_massgen("--config", "team.yaml", "--no-display", "hello", pythonpath=echo_site, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith("!! I heard ")  # the first answer won: loud presents
    typo = source("team.yaml").replace("prefix:", "prefx:", 1)
    (tmp_path / "typo.yaml").write_text(typo)
    checked = run_massgen("validate", "typo.yaml", pythonpath=echo_site, cwd=tmp_path)
    assert checked.returncode == 2 and "typo.yaml:4:" in checked.stderr and "prefix" in checked.stderr


def test_the_command_plugin_runs_a_team(echo_site: Path, tmp_path: Path) -> None:
    (echo_site / "massgen_tally.py").write_text(source("massgen_tally.py"))
    info = echo_site / "massgen_tally-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: massgen-tally\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[massgen]\ntally = massgen_tally\n")
    (tmp_path / "team.yaml").write_text(source("team.yaml"))
    env = {"MASSGEN_CACHE_DIR": str(tmp_path / "cache")}
    listed = run_massgen("--help", pythonpath=echo_site, env=env)
    assert "massgen tally" in listed.stdout and "by how many votes (massgen-tally)" in listed.stdout
    result = run_massgen("tally", "team.yaml", "hello", pythonpath=echo_site, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("loud won with 2 vote(s): !! I heard "), result.stdout
    wrong = run_massgen("tally", "team.yaml", pythonpath=echo_site, cwd=tmp_path, env=env)
    assert (wrong.returncode, wrong.stderr) == (1, "error: usage: massgen tally CONFIG QUESTION\n")


def test_the_options_example_validates(tmp_path: Path) -> None:
    from massgen_core.plugin import InvalidValue
    from massgen_core.testing.backends import option_requirements

    namespace: dict[str, object] = {}
    exec(compile(source("massgen_acme_options.py"), "massgen_acme_options.py", "exec"), namespace)
    options = namespace["AcmeOptions"]
    assert options(beams=4).beams == 4  # type: ignore[operator,attr-defined]
    for beams, message in ((3, "even"), (0, "at least 2")):
        with pytest.raises(InvalidValue, match=message):
            options(beams=beams)  # type: ignore[operator]
    assert option_requirements(options)["enable_web_search"] == "web_search"  # type: ignore[arg-type]
    assert "org_token" not in repr(options(org_token="s3cret-token"))  # type: ignore[operator]


def test_the_tool_plugin_is_called_by_an_agent(tmp_path: Path) -> None:
    site = write_distribution(
        tmp_path / "site", "massgen-wordcount", "wordcount", source("massgen_wordcount.py")
    )
    (tmp_path / "scripted.yaml").write_text(source("scripted.yaml"))
    result = run_massgen("--config", "scripted.yaml", "--no-display", "count", pythonpath=site, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "There are four words."
    (log,) = (tmp_path / ".massgen" / "logs").glob("*/events.jsonl")
    outputs = [
        e["output"] for e in map(json.loads, log.read_text().splitlines()) if e["kind"] == "tool_result"
    ]
    assert outputs == ["4"]


@pytest.mark.skipif(find_spec("massgen_openai") is None, reason="needs massgen-openai (the reuse API)")
def test_a_backend_built_on_another_plugin_passes_the_conformance_kit(tmp_path: Path) -> None:
    site = write_distribution(tmp_path / "site", "massgen-acme", "acme", source("massgen_acme.py"))
    listed = run_massgen("backends", "acme", "--json", pythonpath=site)
    assert listed.returncode == 0, listed.stderr
    (tmp_path / "test_acme_conformance.py").write_text(source("test_acme_conformance.py"))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_acme_conformance.py"],
        cwd=tmp_path,
        env={**__import__("os").environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert re.search(r"\b1[0-9] passed\b", result.stdout), result.stdout[-500:]


def test_the_scorer_plugin_scores_an_eval(tmp_path: Path) -> None:
    site = write_distribution(
        tmp_path / "site", "massgen-anyorder", "anyorder", source("massgen_anyorder.py")
    )
    (tmp_path / "team.yaml").write_text(
        "agents:\n  - id: a\n    backend: {type: scripted, then: coordinate, answer: 'Blue red'}\n"
        "ui: {display_type: silent}\n"
    )
    lines = [
        {"id": "colours", "question": "Name two colours.", "answer": "red, blue", "scorer": "anyorder"},
        {"id": "other", "question": "Name two colours.", "answer": "red, green", "scorer": "anyorder"},
    ]
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = run_massgen(
        "eval",
        "--config",
        "team.yaml",
        "d.jsonl",
        "-o",
        "r.jsonl",
        "--compare",
        "single",
        pythonpath=site,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    scored = {json.loads(x)["id"]: json.loads(x) for x in (tmp_path / "r.jsonl").read_text().splitlines()}
    assert (scored["colours"]["correct"], scored["other"]["correct"]) == (True, False)
    assert scored["colours"]["extracted"] == "blue red"
    without = run_massgen("eval", "--config", "team.yaml", "d.jsonl", cwd=tmp_path)
    assert "unknown scorer 'anyorder'" in without.stderr
