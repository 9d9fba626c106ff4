"""Paths built from user input stay under their root: agent ids, session ids, run ids, storage dirs."""

from __future__ import annotations

from pathlib import Path

import pytest

from massgen_core.config import load_config_text
from massgen_core.plugin.errors import ConfigError, MassgenError
from massgen_core.records.runlog import RunLog
from massgen_core.records.sessions import SessionStore
from massgen_core.testing.cli import run_massgen
from massgen_core.tools.workspace import RunWorkspaces
from massgen_core.tools.workspace.paths import PathEscapeError, contained

VICTIM_CONFIG = """\
agents:
  - id: "../../../victim"
    backend: {type: scripted}
orchestrator:
  context_paths:
    - path: "."
"""


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """``tmp/victim/keep.txt``: where ``.massgen/views/../../../victim`` points from ``tmp/run``."""
    folder = tmp_path / "victim"
    folder.mkdir()
    (folder / "keep.txt").write_text("precious\n")
    return folder


def test_an_agent_id_that_climbs_out_is_reported_at_its_position_and_nothing_is_touched(
    tmp_path: Path, victim: Path
) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "team.yaml").write_text(VICTIM_CONFIG)
    checked = run_massgen("validate", "team.yaml", cwd=run)
    assert checked.returncode == 2, checked.stdout
    assert "team.yaml:2:9: agents[0].id: agent id '../../../victim' is not allowed" in checked.stderr
    assert "letters, digits, '_', '-' and '.', starting with a letter, digit or '_'" in checked.stderr
    ran = run_massgen("--config", "team.yaml", "--no-display", "question", cwd=run)
    assert ran.returncode == 2 and "team.yaml:2:9" in ran.stderr and "Traceback" not in ran.stderr
    assert (victim / "keep.txt").read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run", "victim"]  # no state file beside it
    assert not (run / ".massgen").exists()


@pytest.mark.parametrize(
    ("agent_id", "ok"),
    [
        ("researcher", True),
        ("gpt-5-nano-2", True),
        ("agent_a.v2", True),
        ("a" * 64, True),
        ("a" * 65, False),
        (".hidden", False),
        ("..", False),
        ("a/b", False),
        ("a b", False),
        ("naïve", False),
        ("-x", False),
    ],
)
def test_agent_ids_follow_the_documented_character_set(agent_id: str, ok: bool) -> None:
    text = f"agents:\n  - id: {agent_id!r}\n    backend: {{type: scripted}}\n"
    if ok:
        assert load_config_text(text).agent_ids == (agent_id,)
    else:
        with pytest.raises(ConfigError) as info:
            load_config_text(text)
        (issue,) = info.value.issues
        assert (issue.line, issue.column, issue.path) == (2, 9, "agents[0].id")


def test_a_run_built_in_python_refuses_an_id_that_climbs_out(tmp_path: Path, victim: Path) -> None:
    with pytest.raises(ConfigError, match=r"agent id '\.\./\.\./victim' is not allowed"):
        RunWorkspaces(tmp_path / "run" / ".massgen", ["../../victim"])
    assert (victim / "keep.txt").exists()


def test_session_and_run_ids_cannot_leave_their_folders(tmp_path: Path, victim: Path) -> None:
    store = SessionStore(tmp_path / "sessions")
    store.create()
    (victim / "session.json").write_text("{}")  # looks like a session, one level up
    for bad in ("..", "../victim", "/etc", ""):
        with pytest.raises(MassgenError, match="no session"):
            store.open(bad)
    with pytest.raises(PathEscapeError, match=r"run id '\.\./victim'"):
        RunLog.create(tmp_path / "logs", "../victim")
    assert sorted(p.name for p in victim.iterdir()) == ["keep.txt", "session.json"]


def test_a_symlinked_name_that_leads_outside_is_refused(tmp_path: Path, victim: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "a").symlink_to(victim)
    with pytest.raises(PathEscapeError, match="would lead outside"):
        contained(root, "a", what="agent id")
    assert contained(root, "b") == root.resolve() / "b"


def test_a_storage_directory_holding_other_files_is_refused_before_anything_is_deleted(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    (home / "a").mkdir(parents=True)
    (home / "a" / "thesis.tex").write_text("years of work\n")
    (home / "notes.txt").write_text("mine\n")
    text = (
        "agents:\n  - id: a\n    backend: {type: scripted, enable_mcp_command_line: true}\n"
        f"orchestrator:\n  snapshot_storage: {home}\n"
    )
    with pytest.raises(ConfigError) as info:
        load_config_text(text, filename="t.yaml")
    (issue,) = info.value.issues
    assert (issue.line, issue.path) == (5, "orchestrator.snapshot_storage")
    assert "already holds files MassGen did not put there (notes.txt)" in issue.message
    config = load_config_text(text.replace(str(home), str(tmp_path / "fresh")))
    with pytest.raises(ConfigError, match="snapshot_storage"):
        RunWorkspaces(tmp_path / ".massgen", ["a"], snapshot_root=home)
    assert (home / "a" / "thesis.tex").read_text() == "years of work\n"
    workspaces = RunWorkspaces.from_config(config, root=tmp_path / ".massgen")
    assert workspaces.snapshot_root == (tmp_path / "fresh").resolve()
    assert (tmp_path / "fresh" / ".massgen-storage").is_file()
