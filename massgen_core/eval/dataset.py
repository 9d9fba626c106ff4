"""An eval's dataset: questions with their expected answers, checked before anything runs.

A JSONL file, one question per line (read as ``massgen batch`` reads questions:
:func:`~massgen_core.batch.questions.read_questions`), each with ``answer``:

- ``{"id": "q1", "question": "...", "answer": "Paris"}``; without ``id`` the line number is the id;
- ``{"question": "...", "answer": "... reasoning ...\\n#### 72"}``: GSM8K's convention, the
  expected answer is what follows ``####`` (scored ``numeric`` by default);
- ``{"question": "...", "choices": ["...", "..."], "answer": "B"}``: multiple choice; ``answer``
  is the letter, the index (``1``) or the text of the right choice; the choices are added to the
  question as ``A. ...`` lines with an instruction to answer with the letter;
- ``"scorer"`` (a scorer's name) and its fields (``tolerance``, ``relative_tolerance``) per line.

The shipped datasets (:data:`SHIPPED`) are named instead of a path: ``massgen eval ... basic``.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from ..batch.questions import BatchInputError, Question, read_questions
from .scorers import AUTO, Scorer, auto_scorer

__all__ = ["SHIPPED", "DatasetError", "EvalItem", "dataset_path", "read_dataset"]

_DATA = Path(__file__).resolve().parent / "data"
#: name -> what it holds, for the datasets shipped with massgen-core
SHIPPED = {"basic": "30 offline questions: arithmetic, capitals, unit conversions (massgen eval's demo)"}
_GSM8K = re.compile(r"####\s*(.+?)\s*$", re.S)


class DatasetError(BatchInputError):
    """The dataset cannot be used as it is; the message says where and why."""


@attrs.frozen(kw_only=True)
class EvalItem:
    """One question of the dataset.

    :param prompt: what the agents are asked (with the choices, for a multiple-choice line).
    :param expected: the right answer, as the scorer compares it (a letter for choices).
    :param scorer: the scorer's name (``auto`` resolved).
    :param fields: the line's fields besides ``id`` and ``question`` (``answer`` is ``expected``),
        given to the scorer.
    """

    id: str | int
    prompt: str
    expected: str
    scorer: str
    fields: Mapping[str, Any] = attrs.field(factory=dict)
    line: int = 0

    @property
    def key(self) -> str:
        return str(self.id)


def dataset_path(name: str) -> Path:
    """The file ``name`` names: a path, else a shipped dataset's name."""
    path = Path(name)
    if not path.exists() and name in SHIPPED:
        return _DATA / f"{name}.jsonl"
    if not path.exists():
        shipped = ", ".join(SHIPPED)
        raise DatasetError(
            f"dataset {name} does not exist; give a .jsonl file, or a shipped dataset: {shipped}"
        )
    return path


def _choice_expected(answer: object, choices: Sequence[str], where: str) -> str:
    letters = string.ascii_uppercase[: len(choices)]
    if isinstance(answer, int) and not isinstance(answer, bool) and 0 <= answer < len(choices):
        return letters[answer]
    if isinstance(answer, str) and answer.strip().upper() in letters and len(answer.strip()) == 1:
        return answer.strip().upper()
    if isinstance(answer, str) and answer in choices:
        return letters[choices.index(answer)]
    raise DatasetError(
        f'{where}: "answer" {json.dumps(answer)} is none of the choices; give its letter '
        f"({', '.join(letters)}), its index (from 0) or its text"
    )


def _item(question: Question, where: str, default_scorer: str, scorers: Mapping[str, Scorer]) -> EvalItem:
    fields = dict(question.extra)
    if "answer" not in fields:
        raise DatasetError(
            f'{where}: no "answer"; each line needs {{"question": "...", "answer": "..."}} '
            '(or "choices" with the right one as "answer")'
        )
    answer = fields["answer"]
    prompt = question.text
    choices = fields.get("choices")
    if choices is not None:
        if (
            not isinstance(choices, list)
            or not 2 <= len(choices) <= 26
            or not all(isinstance(c, str) for c in choices)
        ):
            raise DatasetError(f'{where}: "choices" must be a list of 2 to 26 strings')
        expected = _choice_expected(answer, choices, where)
        lines = "\n".join(
            f"{letter}. {text}" for letter, text in zip(string.ascii_uppercase, choices, strict=False)
        )
        prompt = f"{prompt}\n\n{lines}\n\nAnswer with the letter of the correct choice."
    elif isinstance(answer, str) and (marked := _GSM8K.search(answer)) and "####" in answer:
        expected = marked.group(1)
        fields.setdefault("scorer", "numeric" if default_scorer == AUTO else default_scorer)
    elif isinstance(answer, str | int | float) and not isinstance(answer, bool):
        expected = str(answer)
    else:
        raise DatasetError(f'{where}: "answer" must be a string or a number, not {json.dumps(answer)}')
    if not expected.strip():
        raise DatasetError(f'{where}: "answer" is empty')
    fields["answer"] = expected
    scorer = fields.get("scorer", default_scorer)
    if not isinstance(scorer, str):
        raise DatasetError(f'{where}: "scorer" must be a scorer name, not {json.dumps(scorer)}')
    if scorer == AUTO:
        scorer = auto_scorer(expected, fields)
    if scorer not in scorers:
        known = ", ".join([AUTO, *scorers])
        raise DatasetError(f"{where}: unknown scorer {scorer!r}; choose one of: {known}")
    if scorer == "regex":
        try:
            re.compile(expected)
        except re.error as exc:
            raise DatasetError(f'{where}: "answer" is not a valid regular expression: {exc}') from None
    for key in ("tolerance", "relative_tolerance"):
        value = fields.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float) or value < 0):
            raise DatasetError(f'{where}: "{key}" must be a number of at least 0, not {json.dumps(value)}')
    return EvalItem(
        id=question.id, prompt=prompt, expected=expected, scorer=scorer, fields=fields, line=question.line
    )


def read_dataset(path: Path, scorers: Mapping[str, Scorer], *, scorer: str = AUTO) -> list[EvalItem]:
    """The questions of the dataset at ``path`` (see the module docstring); ``scorer``: the
    dataset's scorer, for the lines that name none. Raises :class:`DatasetError` at the first
    problem, naming ``file:line``."""
    if scorer != AUTO and scorer not in scorers:
        known = ", ".join([AUTO, *scorers])
        raise DatasetError(f"unknown scorer {scorer!r}; choose one of: {known}")
    questions = read_questions(path)
    if not questions:
        raise DatasetError(f"dataset {path} has no questions (one JSON line each)")
    return [_item(q, f"{path}:{q.line}", scorer, scorers) for q in questions]
