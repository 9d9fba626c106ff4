"""The results file: one JSON line per finished question, appended and flushed at once.

``--resume`` reads the ids already there and appends. A last line cut short (the process was
killed while writing it) is dropped before appending; any other unreadable line is an error
naming it, so nothing already written is lost or overwritten.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from .questions import BatchInputError, id_key

__all__ = ["ResultsFile", "check_output_path", "finished_statuses", "resume_skips"]


def check_output_path(path: Path, *, resume: bool, questions_file: Path | None = None) -> None:
    """Raise :class:`BatchInputError` unless results can be written to ``path``."""
    if path.is_dir():
        raise BatchInputError(
            f"output {path} is a directory; give a file path such as {path / 'results.jsonl'}"
        )
    parent = path.parent
    if not parent.exists():
        raise BatchInputError(f"output folder {parent} does not exist; create it first (mkdir -p {parent})")
    if not parent.is_dir():
        raise BatchInputError(f"output folder {parent} is not a directory")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise BatchInputError(f"output {path} is not writable")
    if questions_file is not None and path.exists() and path.resolve() == questions_file.resolve():
        raise BatchInputError(f"output {path} is the questions file; write the results elsewhere")
    if not resume and path.exists() and path.stat().st_size > 0:
        raise BatchInputError(
            f"output {path} already has results: pass --resume to skip the questions it has and append, "
            "or choose another file"
        )


def _lines(path: Path) -> tuple[list[str], bool]:
    """The file's lines and whether the last one is complete (ends with a newline)."""
    if not path.exists():
        return [], True
    text = path.read_text(encoding="utf-8")
    return text.splitlines(), text == "" or text.endswith("\n")


def finished_statuses(path: Path, *, key: str = "id") -> dict[str, str]:
    """The status of each id's latest line in the results file at ``path`` (``completed`` or
    ``failed``); empty when there is no file yet. ``key``: the field holding the id."""
    lines, complete = _lines(path)
    status: dict[str, str] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            if number == len(lines) and not complete:
                continue  # cut short by a kill: dropped when appending
            raise BatchInputError(
                f"{path}:{number}: not a JSON line; fix or remove it before --resume"
            ) from None
        if not isinstance(record, dict) or key not in record:
            raise BatchInputError(
                f'{path}:{number}: not a result line (no "{key}"); fix or remove it before --resume'
            )
        status[id_key(record[key])] = str(record.get("status", ""))
    return status


def resume_skips(statuses: Mapping[str, str], *, retry_failed: bool = False) -> set[str]:
    """The ids ``--resume`` skips: every id with a line (with ``retry_failed``: only completed ones)."""
    return {k for k, v in statuses.items() if v == "completed" or not retry_failed}


class ResultsFile:
    """Appends result lines to ``path``, each written whole and flushed to disk at once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.dropped_partial_line = False
        self._file: IO[str] | None = None

    def open(self) -> None:
        _, complete = _lines(self.path)
        if not complete:  # a line cut short by a kill: keep everything before it
            data = self.path.read_bytes()
            with self.path.open("r+b") as f:
                f.truncate(data.rfind(b"\n") + 1)
            self.dropped_partial_line = True
        self._file = self.path.open("a", encoding="utf-8")

    def write(self, record: Mapping[str, Any]) -> None:
        if self._file is None:
            self.open()
        assert self._file is not None
        self._file.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
