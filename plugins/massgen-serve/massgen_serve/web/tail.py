"""Following a run's log as it is written: the one source of the web view, live or past.

A run's ``events.jsonl`` (see :mod:`massgen_core.events`) has one record per line, written
whole as the event happens, and ends with ``run_finished`` or ``run_stopped``. :func:`follow`
reads it from a given record on and yields the new records in batches until one of those
ends it; a past run is one batch (or a few, for a long log), a live one a batch per wakeup.

A run this process serves is followed as it goes: its coordination pokes :class:`LiveRuns`
after each event (the log line is written by then), so a follower wakes at once. A run another
process writes (``massgen --config ...`` while ``massgen view`` watches) is polled every
``POLL_SECONDS``. A log that has not grown for ``STALE_SECONDS`` without its last record is
a run whose process was killed: following it stops.

Each record goes to the browser as the log has it (secrets already masked), with the statuses
it gives (``status``: the core's :func:`~massgen_core.events.status_changes`, so the page
follows the terminal display's rules instead of a copy of them), and without what no view
shows: the providers' opaque replay state of tool calls, and the whole message a reply's
``done`` repeats.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from massgen_core.events import status_changes

__all__ = ["END_KINDS", "POLL_SECONDS", "STALE_SECONDS", "LiveRuns", "follow", "for_view"]

END_KINDS = frozenset({"run_finished", "run_stopped"})
POLL_SECONDS = 0.2
STALE_SECONDS = 300.0
#: a batch gathers what arrives within this long of its first record (a 100-agent run streams
#: thousands of chunks a second: one message per frame, not per chunk)
BATCH_SECONDS = 0.02
_READ = 1 << 20  # bytes read at once: a long past log goes in several batches


class LiveRuns:
    """The runs this process is running, and a wakeup for each one's followers."""

    def __init__(self) -> None:
        self._runs: dict[str, asyncio.Event] = {}

    def __contains__(self, run_id: object) -> bool:
        return run_id in self._runs

    def started(self, run_id: str) -> None:
        self._runs[run_id] = asyncio.Event()

    def poke(self, run_id: str) -> None:
        """New records are in the log: wake whoever follows it."""
        event = self._runs.get(run_id)
        if event is not None and not event.is_set():
            event.set()

    def finished(self, run_id: str) -> None:
        event = self._runs.pop(run_id, None)
        if event is not None:
            event.set()

    def wakeup(self, run_id: str) -> asyncio.Event | None:
        """Set when the run next writes; taken before reading, so no write is missed."""
        event = self._runs.get(run_id)
        if event is not None and event.is_set():
            event = self._runs[run_id] = asyncio.Event()
        return event


def for_view(record: dict[str, Any]) -> dict[str, Any]:
    """A log record as the page gets it (see the module docstring)."""
    call = record.get("call")
    if isinstance(call, dict) and "provider_state" in call:
        record["call"] = {k: v for k, v in call.items() if k != "provider_state"}
    if record.get("kind") == "done":  # its message is what was streamed, already shown
        record.pop("message", None)
        record.pop("state", None)
    changes = status_changes(record)
    if changes:
        record["status"] = changes
    return record


def _records(lines: list[bytes]) -> list[dict[str, Any]]:
    records = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:  # not a record (a line cut short by a full disk, say): skip it
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


async def follow(
    path: Path, *, start: int = 0, live: LiveRuns, run_id: str
) -> AsyncIterator[list[dict[str, Any]]]:
    """The records of the log at ``path`` from the ``start``-th on, in batches (see the module
    docstring); ends after the run's last record, or when the log went stale."""
    seen = 0
    partial = b""
    grown = sent = time.monotonic()
    with path.open("rb") as file:
        while True:
            wakeup = live.wakeup(run_id)
            chunk = file.read(_READ)
            if chunk:
                grown = time.monotonic()
                lines = (partial + chunk).split(b"\n")
                partial = lines.pop()
                records = _records(lines)
                batch = [for_view(r) for r in records[max(0, start - seen) :]]
                seen += len(records)
                if batch:
                    yield batch
                    sent = time.monotonic()
                if records and records[-1].get("kind") in END_KINDS:
                    return
                if len(chunk) == _READ:
                    continue  # more is there already
            elif wakeup is None and time.monotonic() - grown > STALE_SECONDS:
                return
            if wakeup is None:
                await asyncio.sleep(POLL_SECONDS)
                continue
            try:
                await asyncio.wait_for(wakeup.wait(), STALE_SECONDS)
            except TimeoutError:
                return
            if (pause := BATCH_SECONDS - (time.monotonic() - sent)) > 0:
                await asyncio.sleep(pause)  # at most one batch per BATCH_SECONDS
