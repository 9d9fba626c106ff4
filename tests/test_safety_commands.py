"""What a command run by ``execute_command`` cannot do, through the CLI: read MassGen's API keys
from ``/proc``, or write outside the workspace through a hard link already in it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from massgen_core.testing.cli import run_massgen
from massgen_core.tools.sandbox import available as landlock_available
from massgen_core.tools.sandbox.hardlinks import escaping_links

pytestmark = pytest.mark.skipif(
    not landlock_available(), reason="Landlock is not available (execute_command)"
)

KEY = "sk-proc-environ-6b1f0e9d3c2a"
TOOL = "mcp__command_line__execute_command"


def config(command: str, **backend: str) -> str:
    extra = "".join(f"    {k}: {v}\n" for k, v in backend.items())
    return (
        "agent:\n  id: prober\n  backend:\n    type: scripted\n    enable_mcp_command_line: true\n"
        f"{extra}    replies:\n"
        f"      - tool_calls: [{{name: {TOOL}, arguments: {{command: {json.dumps(command)}}}}}]\n"
        "      - done\n"
    )


def tool_results(cwd: Path) -> list[str]:
    (events,) = (cwd / ".massgen" / "logs").glob("*/events.jsonl")
    records = [json.loads(line) for line in events.read_text().splitlines()]
    return [r["output"] for r in records if r["kind"] == "tool_result"]


PROBE = r"""
massgen=$(awk '/^PPid:/ {print $2}' /proc/$PPID/status)
tr '\0' ' ' < /proc/$massgen/cmdline > massgen_cmdline.txt
{ cat /proc/$PPID/environ; cat /proc/$massgen/environ; cat /proc/$massgen/mem; } > parents.txt 2> parents.err
for f in /proc/[0-9]*/environ; do cat "$f" 2>/dev/null; echo; done > all.txt
cat /proc/self/environ > self.txt
"""


def test_a_command_cannot_read_the_keys_in_massgens_environment(tmp_path: Path) -> None:
    (tmp_path / "team.yaml").write_text(config(PROBE))
    run = run_massgen("--config", "team.yaml", "--no-display", "q", env={"OPENAI_API_KEY": KEY}, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    workspace = tmp_path / ".massgen" / "workspaces" / "prober"
    assert "massgen_core" in (workspace / "massgen_cmdline.txt").read_text()  # it found MassGen's process
    assert "PATH=" in (workspace / "self.txt").read_text()  # and can read /proc where it may
    assert "Permission denied" in (workspace / "parents.err").read_text()
    for name in ("parents.txt", "all.txt", "self.txt"):
        assert KEY not in (workspace / name).read_text(), name
    assert "OPENAI_API_KEY" not in (workspace / "all.txt").read_text()


def test_commands_run_without_root_powers(tmp_path: Path) -> None:
    (tmp_path / "team.yaml").write_text(
        config("grep -E '^Cap(Eff|Prm|Bnd)' /proc/self/status > caps.txt; id -u > uid.txt")
    )
    run = run_massgen("--config", "team.yaml", "--no-display", "q", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    workspace = tmp_path / ".massgen" / "workspaces" / "prober"
    caps = (workspace / "caps.txt").read_text().split()
    assert caps[1::2] == ["0000000000000000"] * 3, caps
    assert (workspace / "uid.txt").read_text().strip() == str(os.getuid())  # same user, no capabilities


def test_a_hard_link_in_the_workspace_cannot_write_outside(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    workspace = tmp_path / "ws"
    outside.mkdir()
    workspace.mkdir()
    (outside / "target.txt").write_text("original\n")
    os.link(outside / "target.txt", workspace / "link.txt")
    (tmp_path / "team.yaml").write_text(config("echo x >> link.txt; echo ran > ran.txt", cwd="ws"))
    run = run_massgen("--config", "team.yaml", "--no-display", "q", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert (outside / "target.txt").read_text() == "original\n"
    assert not (workspace / "ran.txt").exists()
    (result,) = tool_results(tmp_path)
    assert (
        f"{workspace / 'link.txt'} is a hard link to a file that also lies outside where you may write"
        in result
    )
    assert "delete_path" in result
    # once the link is gone (the file tools may delete it), commands run again
    (workspace / "link.txt").unlink()
    again = run_massgen("--config", "team.yaml", "--no-display", "q", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert (workspace / "ran.txt").read_text() == "ran\n" and (
        outside / "target.txt"
    ).read_text() == "original\n"


def test_only_links_with_names_outside_the_writable_paths_count(tmp_path: Path) -> None:
    writable, other, protected = tmp_path / "w", tmp_path / "o", tmp_path / "w" / "keep"
    for folder in (writable / "sub", other, protected):
        folder.mkdir(parents=True)
    (writable / "a.txt").write_text("a")
    os.link(writable / "a.txt", writable / "sub" / "a2.txt")  # both names writable: harmless
    (other / "b.txt").write_text("b")
    os.link(other / "b.txt", writable / "b.txt")
    (protected / "c.txt").write_text("c")
    os.link(protected / "c.txt", writable / "sub" / "c.txt")  # writing it would change a protected file
    assert escaping_links([str(writable)], [str(protected)]) == [
        str(writable / "b.txt"),
        str(writable / "sub" / "c.txt"),
    ]
    assert escaping_links([str(writable), str(other)], [str(protected)]) == [str(writable / "sub" / "c.txt")]
