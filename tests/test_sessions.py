"""Sessions on disk: create, list, open, save turns, history, and `massgen sessions`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from massgen_core.cli.sessions_cmd import main as sessions_main
from massgen_core.plugin.errors import MassgenError
from massgen_core.records.sessions import SessionStore


def test_turns_are_saved_in_order_and_only_completed_ones_are_history(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    assert store.list() == [] and store.latest() is None
    session = store.create()
    session.save_turn("q1", status="cancelled")
    session.save_turn("q2", status="failed", error="every agent failed")
    assert session.history() == []
    assert [(t.number, t.status) for t in session.turns()] == [(1, "cancelled"), (2, "failed")]
    assert json.loads((session.path / "turn_2" / "turn.json").read_text())["error"] == "every agent failed"
    assert store.latest().id == session.id  # type: ignore[union-attr]


def test_open_unknown_session_says_what_exists(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    known = store.create()
    with pytest.raises(MassgenError, match=known.id):
        store.open("nope")
    with pytest.raises(MassgenError):
        store.open("../escape")


def test_a_damaged_turn_file_is_skipped(tmp_path: Path) -> None:
    session = SessionStore(tmp_path).create()
    session.save_turn("q1", status="cancelled")
    (session.path / "turn_2").mkdir()
    (session.path / "turn_2" / "turn.json").write_text("{not json")
    assert [t.number for t in session.turns()] == [1]
    assert session.save_turn("q3", status="cancelled").number == 3


def test_sessions_command_lists_and_shows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert sessions_main(["--dir", str(tmp_path)]) == 0
    assert "no sessions" in capsys.readouterr().out
    session = SessionStore(tmp_path).create()
    session.save_turn("What is the capital of France?", status="cancelled")
    assert sessions_main(["--dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert session.id in out and "What is the capital of France?" in out
    assert sessions_main(["--dir", str(tmp_path), session.id]) == 0
    assert "cancelled" in capsys.readouterr().out
    assert sessions_main(["--dir", str(tmp_path), "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["id"] == session.id and listed["turns"] == 1
