"""The questions of a batch: reading the input file, with every problem found before work starts.

Each non-blank line is one question: a JSON object ``{"id": ..., "question": ..., ...}`` (a line
starting with ``{``; other fields are kept and copied to the output line), or plain text (the
whole line is the question). A question without an ``id`` is numbered by its line number (1 for
the first line of the file). Ids are strings or integers, unique in the file (``1`` and ``"1"`` are
the same id).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from ..plugin.errors import MassgenError

__all__ = [
    "RESERVED_FIELDS",
    "BatchInputError",
    "Question",
    "check_unique",
    "id_key",
    "parse_questions",
    "read_questions",
]

#: the fields ``massgen batch`` writes on each output line; an input line may not use them for its own data
RESERVED_FIELDS = frozenset(
    {
        "id",
        "question",
        "status",
        "final_answer",
        "winner",
        "error",
        "usage",
        "cost",
        "duration",
        "end_reason",
        "session",
        "session_dir",
        "log_dir",
        "engine",
        "worker",
    }
)


class BatchInputError(MassgenError):
    """The questions file (or the output file) cannot be used as it is; the message says where and why."""


@attrs.frozen(kw_only=True)
class Question:
    """One question of a batch.

    :param id: as given in the input (a string or an integer), or the line number.
    :param text: the question.
    :param extra: the input line's other fields, copied to the output line.
    :param line: where it is in the input file (1-based).
    :param agents: the ids of the config's agents that answer it (``massgen eval`` asks each agent
        alone); empty: the whole team.
    """

    id: str | int
    text: str
    extra: Mapping[str, Any] = attrs.field(factory=dict)
    line: int = 0
    agents: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The id as compared for duplicates and resume (``1`` and ``"1"`` are the same)."""
        return id_key(self.id)


def id_key(value: object) -> str:
    """How ids compare: by their text."""
    return str(value)


def _valid_id(value: object) -> bool:
    return (isinstance(value, str) and value.strip() != "") or (
        isinstance(value, int) and not isinstance(value, bool)
    )


def _parse_line(text: str, number: int, where: str) -> Question:
    if not text.startswith("{"):
        return Question(id=number, text=text, line=number)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BatchInputError(
            f"{where}:{number}:{exc.colno}: not valid JSON ({exc.msg}); a line starting with '{{' must be "
            'a JSON object like {"id": "q1", "question": "..."}'
        ) from None
    if not isinstance(data, dict):
        raise BatchInputError(f"{where}:{number}: expected a JSON object")
    question = data.get("question")
    if not isinstance(question, str) or not question.strip():
        got = "missing" if "question" not in data else f"not a non-empty string ({json.dumps(question)})"
        raise BatchInputError(
            f'{where}:{number}: "question" is {got}; each JSON line needs {{"question": "...", ...}}'
        )
    qid = data.get("id", number)
    if not _valid_id(qid):
        raise BatchInputError(
            f'{where}:{number}: "id" must be a non-empty string or an integer, not {json.dumps(qid)}'
        )
    extra = {k: v for k, v in data.items() if k not in ("id", "question")}
    clashing = sorted(k for k in extra if k in RESERVED_FIELDS)
    if clashing:
        raise BatchInputError(
            f"{where}:{number}: field(s) {', '.join(clashing)} are written by massgen batch on each "
            "output line; rename them in the input"
        )
    return Question(id=qid, text=question, extra=extra, line=number)


def check_unique(questions: Iterable[Question], where: str = "<questions>") -> list[Question]:
    """``questions`` as a list; raises :class:`BatchInputError` when an id repeats."""
    found: list[Question] = []
    seen: set[str] = set()
    for question in questions:
        if question.key in seen:
            raise BatchInputError(f"{where}: id {json.dumps(question.id)} is used twice; ids must be unique")
        seen.add(question.key)
        found.append(question)
    return found


def parse_questions(lines: Iterable[str], where: str = "<questions>") -> list[Question]:
    """The questions of ``lines`` (line numbers from 1); raises :class:`BatchInputError` at the
    first bad line, naming ``where:line``, or when an id repeats."""
    questions: list[Question] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(lines, start=1):
        text = raw.strip().lstrip("\ufeff") if number == 1 else raw.strip()
        if not text:
            continue
        question = _parse_line(text, number, where)
        first = seen.setdefault(question.key, number)
        if first != number:
            raise BatchInputError(
                f"{where}:{number}: id {json.dumps(question.id)} is already used on line {first}; "
                "ids must be unique (a line without an id gets its line number)"
            )
        questions.append(question)
    return questions


def read_questions(path: str | Path) -> list[Question]:
    """The questions of the file at ``path`` (see the module docstring)."""
    file = Path(path)
    if not file.exists():
        raise BatchInputError(f"questions file {file} does not exist")
    if file.is_dir():
        raise BatchInputError(f"questions file {file} is a directory; give a .jsonl or text file")
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise BatchInputError(f"questions file {file} is not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise BatchInputError(f"cannot read questions file {file}: {exc.strerror}") from None
    return parse_questions(text.splitlines(), str(file))
