"""The arms of an eval, as batch questions, and the batch's lines as scored eval lines.

Each dataset question becomes one batch question per agent (``single``: that agent alone, see
:attr:`~massgen_core.batch.questions.Question.agents`) and one for the whole team (``team``); they
run together on a batch engine, question by question, so an eval cut short still has paired
answers. ``majority`` runs nothing of its own: it votes on the single agents' answers (the
most common extracted answer wins; a tie goes to the agent first in the config).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from ..batch.questions import Question
from .dataset import EvalItem
from .scorers import Scorer

__all__ = ["ARMS", "Task", "majority_answer", "parse_arms", "scored_line", "tasks"]

ARMS = ("single", "majority", "team")


def parse_arms(text: str) -> tuple[str, ...]:
    """``--compare single,majority,team`` as arm names (in that order); raises ``ValueError``."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in ARMS]
    if unknown or not names:
        raise ValueError(f"unknown arm(s) {', '.join(unknown) or '(none)'}; choose from {','.join(ARMS)}")
    return tuple(a for a in ARMS if a in names)


@attrs.frozen(kw_only=True)
class Task:
    """One batch question of an eval: ``item`` answered by ``agent`` alone, or by the team (``None``)."""

    item: EvalItem
    agent: str | None

    @property
    def arm(self) -> str:
        return "team" if self.agent is None else "single"

    @property
    def key(self) -> str:
        """The batch question's id: ``<id>@team`` or ``<id>@single:<agent>``."""
        return f"{self.item.key}@{self.arm if self.agent is None else f'single:{self.agent}'}"

    def question(self) -> Question:
        return Question(
            id=self.key, text=self.item.prompt, agents=() if self.agent is None else (self.agent,)
        )


def tasks(items: Sequence[EvalItem], agents: Sequence[str], arms: Sequence[str]) -> list[Task]:
    """The batch questions of ``arms`` (``majority`` needs the single answers), question by question."""
    singles = "single" in arms or "majority" in arms
    found: list[Task] = []
    for item in items:
        if singles:
            found += [Task(item=item, agent=agent) for agent in agents]
        if "team" in arms:
            found.append(Task(item=item, agent=None))
    return found


def scored_line(task: Task, line: Mapping[str, Any], scorer: Scorer) -> dict[str, Any]:
    """The eval's line for ``task`` from its batch ``line``: the batch fields, the question's own
    id, its arm and agent, the expected answer, the answer given (as extracted) and whether it is right."""
    answer = line.get("final_answer") if line.get("status") == "completed" else None
    text = answer if isinstance(answer, str) else None
    item = task.item
    return {
        **line,
        "id": item.id,
        "task": task.key,
        "arm": task.arm,
        "agent": task.agent,
        "expected": item.expected,
        "scorer": item.scorer,
        "extracted": scorer.extract(text, item.fields) if text is not None else None,
        "correct": text is not None and bool(scorer.score(text, item.expected, item.fields)),
    }


def majority_answer(answers: Sequence[tuple[str, str | None]]) -> tuple[str, str] | None:
    """``(agent, extracted)`` of the majority among ``(agent, extracted)`` single answers (in the
    config's agent order; ``None`` for an agent that failed): the most common extracted answer, a
    tie going to the earliest agent; ``None`` when no agent answered."""
    given = [(agent, value) for agent, value in answers if value is not None]
    if not given:
        return None
    counts = Counter(value for _, value in given)
    top = max(counts.values())
    return next((agent, value) for agent, value in given if counts[value] == top)
