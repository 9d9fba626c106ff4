"""Hostile or broken configs end in a positioned config error, quickly: never a traceback, never
"this is a bug", never minutes of parsing."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from massgen_core.config import load_config, load_config_text
from massgen_core.config.yaml_source import MAX_BYTES, MAX_DEPTH, MAX_NODES
from massgen_core.plugin.errors import ConfigError, ConfigIssue
from massgen_core.testing.cli import run_massgen

AGENT = "agents:\n  - id: a\n    backend: {type: scripted}\n"


def issue_of(text: str, **kwargs: Any) -> ConfigIssue:
    with pytest.raises(ConfigError) as info:
        load_config_text(text, filename="c.yaml", **kwargs)
    (issue,) = info.value.issues
    return issue


def where(issue: ConfigIssue) -> tuple[int | None, int | None]:
    return issue.line, issue.column


def test_each_broken_config_of_the_report_gets_a_positioned_error_from_validate(tmp_path: Path) -> None:
    cases = {
        "long_path.yaml": (
            f'{AGENT}orchestrator:\n  context_paths:\n    - path: "{"x" * 5000}"\n',
            "long_path.yaml:6:13: orchestrator.context_paths[0].path: context path cannot be used",
        ),
        "quote.yaml": (
            "agents:\n  - id: a\n    backend:\n      type: scripted\n      mcp_servers:\n"
            "        - name: s\n          command: 'python -c \"print(1)'\n",
            "quote.yaml:7:20: agents[0].backend.mcp_servers[0].command: cannot split the command line "
            "(No closing quotation)",
        ),
        "regex.yaml": (
            "agents:\n  - id: a\n    backend:\n      type: scripted\n      enable_mcp_command_line: true\n"
            "      command_line_allowed_commands: ['ls\\b', 'ls(']\n",
            "regex.yaml:6:47: agents[0].backend.command_line_allowed_commands[1]: invalid regular expression 'ls('",
        ),
    }
    for name, (text, expected) in cases.items():
        (tmp_path / name).write_text(text)
        proc = run_massgen("validate", name, cwd=tmp_path)
        assert proc.returncode == 2, (name, proc.stdout)
        assert expected in proc.stderr, proc.stderr
        assert "this is a bug" not in proc.stderr and "Traceback" not in proc.stderr


def test_paths_the_system_cannot_hold_are_config_errors() -> None:
    long_name = "d" * 300
    cwd = issue_of(f"agents:\n  - id: a\n    backend: {{type: scripted, cwd: {long_name}}}\n")
    assert cwd.path == "agents[0].backend.cwd" and "longer than 255 bytes" in cwd.message
    assert where(cwd) == (3, 36)
    storage = issue_of(f"{AGENT}orchestrator:\n  snapshot_storage: /tmp/{long_name}\n")
    assert storage.path == "orchestrator.snapshot_storage" and where(storage) == (5, 21)
    protected = issue_of(
        f'{AGENT}orchestrator:\n  context_paths:\n    - path: .\n      protected_paths: ["a\\0b"]\n'
    )
    assert protected.path == "orchestrator.context_paths[0].protected_paths[0]"
    assert "NUL" in protected.message and where(protected) == (7, 25)


def test_a_bad_blocked_pattern_is_reported_by_validate_not_at_run_time() -> None:
    issue = issue_of(
        "agents:\n  - id: a\n    backend:\n      type: scripted\n      enable_mcp_command_line: true\n"
        "      command_line_blocked_commands:\n        - '[unclosed'\n"
    )
    assert issue.path == "agents[0].backend.command_line_blocked_commands[0]" and where(issue) == (7, 11)


def test_a_huge_config_is_refused_at_once_with_its_position(tmp_path: Path) -> None:
    """The report: a 1.5 MB config with 100 000 keys took 45 s, then said "the config is empty"."""
    big = tmp_path / "big.yaml"
    big.write_text(AGENT + "ui:\n  x:\n" + "".join(f"    k{i}: {i}\n" for i in range(100_000)))
    assert big.stat().st_size > 1_500_000
    started = time.monotonic()
    with pytest.raises(ConfigError) as info:
        load_config(big)
    assert time.monotonic() - started < 5
    (issue,) = info.value.issues
    assert f"larger than {MAX_BYTES // 1024} KiB" in issue.message and "empty" not in issue.message
    assert issue.file == str(big) and issue.line is not None and issue.line > 50_000


def test_too_many_values_are_refused_while_parsing() -> None:
    text = AGENT + "ui:\n  x:\n" + "".join(f"    k{i}: {i}\n" for i in range(MAX_NODES))
    assert len(text) < MAX_BYTES
    started = time.monotonic()
    issue = issue_of(text)
    assert time.monotonic() - started < 5
    assert f"more than {MAX_NODES} values" in issue.message and "empty" not in issue.message
    assert issue.line is not None and MAX_NODES // 2 - 10 < issue.line < MAX_NODES // 2 + 10


@pytest.mark.parametrize(
    "nested",
    [
        "agents: " + "[" * 10_000 + "]" * 10_000 + "\n",
        "agents:\n" + "".join(" " * (2 * i + 2) + "-\n" for i in range(200)),
        "agents: " + "{a: " * 5_000 + "1" + "}" * 5_000 + "\n",
    ],
    ids=["flow lists", "block lists", "flow mappings"],
)
def test_deep_nesting_is_refused_while_parsing(nested: str) -> None:
    started = time.monotonic()
    issue = issue_of(nested)
    assert time.monotonic() - started < 5
    assert f"nested more than {MAX_DEPTH} levels deep" in issue.message
    assert issue.line is not None and issue.column is not None


def test_a_python_mapping_that_contains_itself_or_nests_too_deep_is_a_config_error() -> None:
    loop: dict[str, Any] = {"type": "scripted"}
    loop["replies"] = [loop]
    with pytest.raises(ConfigError, match="nested more than"):
        load_config({"agent": {"backend": loop}})
    deep: Any = "leaf"
    for _ in range(5_000):
        deep = [deep]
    with pytest.raises(ConfigError, match=r"agent\.backend\.replies.*nested more than"):
        load_config({"agent": {"backend": {"type": "scripted", "replies": deep}}})
