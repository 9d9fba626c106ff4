"""The runs of a log folder (``.massgen/logs/<run id>/``), as the runs page lists them.

A run's row comes from its folder: the question and the team from the first record of
``events.jsonl`` (``run_started``), the winner, duration and cost from ``result.json`` once it
finished. Its status:

* ``finished``: it has its result;
* ``failed`` or ``cancelled``: its log ends with ``run_stopped`` saying so;
* ``running``: this process runs it, or its log grew in the last ``STALE_SECONDS``;
* ``incomplete``: none of these (its process was killed).

A run's id starts with the time it started (``YYYYmmdd-HHMMSS-xxxxxxxx``), so the newest come
first when sorted by id (to the second: runs started in the same second are in id order).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Container
from pathlib import Path
from typing import Any

import attrs

from .tail import STALE_SECONDS

__all__ = ["RunRow", "events_path", "read_row", "run_rows"]

_RUN_ID = re.compile(r"^\d{8}-\d{6}-[0-9a-f]+$")
_TAIL = 4096  # bytes read from a log's end to find a run_stopped record


def events_path(root: Path, run_id: str) -> Path | None:
    """``root/run_id/events.jsonl`` when ``run_id`` is a run id and that log exists."""
    if not _RUN_ID.match(run_id):
        return None
    path = root / run_id / "events.jsonl"
    return path if path.is_file() else None


@attrs.frozen(kw_only=True)
class RunRow:
    run_id: str
    started: str  # "YYYY-mm-dd HH:MM:SS", local time, from the run id
    question: str
    team: list[str]  # "agent id (model)" for each agent
    status: str
    winner: str | None = None
    duration: float | None = None
    cost: float | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


def _first_record(path: Path) -> dict[str, Any] | None:
    with path.open("rb") as file:
        line = file.readline()
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record if isinstance(record, dict) and record.get("kind") == "run_started" else None


def _last_record(path: Path, size: int) -> dict[str, Any] | None:
    with path.open("rb") as file:
        file.seek(max(0, size - _TAIL))
        lines = file.read().rstrip(b"\n").rsplit(b"\n", 1)
    try:
        record = json.loads(lines[-1])
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def _result(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / "result.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def read_row(root: Path, run_id: str, *, live: Container[str] = ()) -> RunRow | None:
    """The row of the run ``run_id`` in ``root``; ``None`` if it is not a run's folder."""
    path = events_path(root, run_id)
    if path is None:
        return None
    try:
        first = _first_record(path)
        stat = path.stat()
    except OSError:
        return None
    if first is None:
        return None
    date, clock = run_id.split("-")[:2]
    started = f"{date[:4]}-{date[4:6]}-{date[6:]} {clock[:2]}:{clock[2:4]}:{clock[4:]}"
    team = [
        f"{a.get('agent_id')} ({a['model']})" if a.get("model") else str(a.get("agent_id"))
        for a in first.get("agents", ())
        if isinstance(a, dict)
    ]
    row = RunRow(
        run_id=run_id, started=started, question=str(first.get("question", "")), team=team, status="running"
    )
    result = _result(path.parent)
    if result is not None:
        return attrs.evolve(
            row,
            status="finished",
            winner=result.get("winner"),
            duration=result.get("duration"),
            cost=result.get("cost"),
        )
    last = _last_record(path, stat.st_size)
    if last is not None and last.get("kind") == "run_stopped":
        return attrs.evolve(
            row, status=str(last.get("status")), duration=last.get("t"), error=last.get("error")
        )
    fresh = run_id in live or time.time() - stat.st_mtime < STALE_SECONDS
    return row if fresh else attrs.evolve(row, status="incomplete")


def run_rows(root: Path, *, live: Container[str] = ()) -> list[RunRow]:
    """Every run of ``root``, newest first."""
    try:
        names = sorted((e.name for e in os.scandir(root) if e.is_dir()), reverse=True)
    except OSError:
        return []
    return [row for name in names if (row := read_row(root, name, live=live)) is not None]
