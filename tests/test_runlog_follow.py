"""A run's log can be followed as it is written, tells how a run without a result ended, and its
records give the agents' statuses by the same rules the terminal display follows."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from massgen_core.display.board import Board
from massgen_core.events import EVERY_AGENT, RunFinished, event_record, status_changes
from massgen_core.runtime.api import coordinate
from massgen_core.runtime.coordination import CoordinationError


def team(*agents: dict[str, Any]) -> dict[str, Any]:
    return {"agents": list(agents), "ui": {"display_type": "silent"}}


def coordinating(agent_id: str, answer: str) -> dict[str, Any]:
    return {"id": agent_id, "backend": {"type": "scripted", "then": "coordinate", "answer": answer}}


def lines(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (log / "events.jsonl").read_text().splitlines()]


def test_each_record_is_in_the_file_when_its_event_is_seen(tmp_path: Path) -> None:
    async def follow() -> list[tuple[str, str]]:
        seen = []
        async for event in coordinate(
            team(coordinating("a", "x"), coordinating("b", "yy")), "Q?", log_dir=tmp_path
        ):
            written = (tmp_path / "events.jsonl").read_text().splitlines()  # as another process reads it
            seen.append((event_record(event)["kind"], json.loads(written[-1])["kind"]))
        return seen

    assert all(kind == last for kind, last in asyncio.run(follow()))
    assert lines(tmp_path)[-1]["kind"] == "run_finished"


def test_a_run_without_a_result_ends_its_log_saying_how(tmp_path: Path) -> None:
    broken = {
        "id": "a",
        "backend": {
            "type": "scripted",
            "replies": [{"error": {"kind": "authentication", "message": "bad key"}}],
        },
    }
    with pytest.raises(CoordinationError):
        asyncio.run(_drain(coordinate(team(broken), "Q?", log_dir=tmp_path / "failed")))
    last = lines(tmp_path / "failed")[-1]
    assert last["kind"] == "run_stopped" and last["status"] == "failed" and "bad key" in last["error"]

    async def cancel_after_first_event() -> None:
        async for _ in coordinate(team(coordinating("a", "x")), "Q?", log_dir=tmp_path / "cancelled"):
            break

    asyncio.run(cancel_after_first_event())
    last = lines(tmp_path / "cancelled")[-1]
    assert last == {"kind": "run_stopped", "status": "cancelled", "error": None, "t": last["t"]}
    done = tmp_path / "done"
    asyncio.run(_drain(coordinate(team(coordinating("a", "x")), "Q?", log_dir=done)))
    assert [r["kind"] for r in lines(done)].count("run_stopped") == 0


async def _drain(events: Any) -> None:
    async for _ in events:
        pass


def test_records_give_the_statuses_the_board_shows_at_every_step() -> None:
    """The web view folds the records by status_changes; the terminal display's Board folds the
    events: after every event they agree."""
    agents = (
        coordinating("a", "short"),
        coordinating("b", "the longest answer"),
        {
            "id": "c",
            "backend": {"type": "scripted", "replies": [{"error": {"kind": "timeout", "message": "slow"}}]},
        },
    )

    async def compare() -> int:
        board = Board()
        statuses: dict[str, str] = {}
        steps = 0
        async for event in coordinate(team(*agents), "Q?"):
            board.apply(event)
            record = json.loads(json.dumps(event_record(event), default=str))  # as the log has it
            if record["kind"] == "run_started":
                statuses = {a["agent_id"]: "waiting" for a in record["agents"]}
            for agent_id, status in status_changes(record):
                for target in statuses if agent_id == EVERY_AGENT else [agent_id]:
                    if agent_id != EVERY_AGENT or statuses[target] != "failed":
                        statuses[target] = status
            assert statuses == {a: v.status for a, v in board.agents.items()}, record["kind"]
            steps += 1
            if isinstance(event, RunFinished):
                assert set(statuses.values()) == {"done", "failed"}
        return steps

    assert asyncio.run(compare()) > 10
