"""The workflow tools ``new_answer(content)`` and ``vote(agent_id, reason)``, and checking a call.

The names and arguments are MassGen's, so its configs and prompts keep working. ``vote`` is
offered only when there are answers to vote for (its ``agent_id`` enum lists their labels);
``new_answer`` only while the agent is under its answer limit. :func:`decide` turns the calls
of one assistant turn into a decision, or into error results the model is shown so it can fix
the call.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import attrs

from ...plugin.backend import ToolDefinition
from ...plugin.messages import ToolCallPart, ToolResultPart
from .degenerate import echoes_instructions
from .markup import strip_markup
from .state import AnswerView

__all__ = ["NEW_ANSWER", "VOTE", "Answered", "Voted", "decide", "workflow_tools"]

#: what a small model copies from the prompt instead of answering: "(no answers available yet)"
_PLACEHOLDER = re.compile(r"\W*no\s+answers?(?:\s+available)?(?:\s+yet)?\W*", re.IGNORECASE)

NEW_ANSWER = "new_answer"
VOTE = "vote"


@attrs.frozen
class Answered:
    """The agent gives a new answer."""

    content: str


@attrs.frozen
class Voted:
    """The agent votes for the answer with label ``label``."""

    label: str
    reason: str


def workflow_tools(view: AnswerView, *, may_answer: bool) -> tuple[ToolDefinition, ...]:
    """The workflow tools one turn is offered."""
    tools: list[ToolDefinition] = []
    if may_answer:
        tools.append(
            ToolDefinition(
                name=NEW_ANSWER,
                description="Provide an improved answer to the ORIGINAL MESSAGE.",
                parameters={
                    "type": "object",
                    "properties": {
                        "content": {
                            "type": "string",
                            "description": "Your complete answer (say how you used any tools).",
                        }
                    },
                    "required": ["content"],
                },
            )
        )
    if view.answers:
        tools.append(
            ToolDefinition(
                name=VOTE,
                description="Vote for the best agent to present the final answer.",
                parameters={
                    "type": "object",
                    "properties": {
                        "agent_id": {
                            "type": "string",
                            "enum": list(view.labels),
                            "description": "The label of the best answer.",  # no example: small models copy it
                        },
                        "reason": {"type": "string", "description": "Why this answer is the best."},
                    },
                    "required": ["agent_id", "reason"],
                },
            )
        )
    return tuple(tools)


def _errors(calls: Sequence[ToolCallPart], message: str) -> list[ToolResultPart]:
    return [ToolResultPart(call_id=c.id, name=c.name, content=message, is_error=True) for c in calls]


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def decide(
    calls: Sequence[ToolCallPart], view: AnswerView, *, may_answer: bool, fallback_text: str = ""
) -> Answered | Voted | list[ToolResultPart]:
    """The decision the workflow ``calls`` make, or the error results to send back."""
    answers = [c for c in calls if c.name == NEW_ANSWER]
    votes = [c for c in calls if c.name == VOTE]
    if answers and votes:
        return _errors(calls, "Call either new_answer or vote, not both.")
    if len(votes) > 1 or len(answers) > 1:
        return _errors(calls, "Call new_answer or vote exactly once.")
    if votes:
        call = votes[0]
        if not view.answers:
            return _errors(calls, "There are no answers to vote for yet: use new_answer.")
        label = _text(call.arguments.get("agent_id"))
        target = view.by_label(label)
        if target is None:
            valid = ", ".join(view.labels)
            return _errors(calls, f"Invalid agent_id {label!r}. Valid agents: {valid}.")
        return Voted(label=target.label, reason=_text(call.arguments.get("reason")))
    if answers:
        if not may_answer:
            return _errors(calls, "You have reached your answer limit: vote for the best answer instead.")
        content = _text(answers[0].arguments.get("content")) or fallback_text.strip()
        if not content:
            return _errors(calls, "new_answer needs the answer in its content argument.")
        if _PLACEHOLDER.fullmatch(content) or not strip_markup(content):
            return _errors(
                calls,
                "new_answer needs your own complete answer to the ORIGINAL MESSAGE, "
                "not a placeholder or the prompt's tags.",
            )
        if echoes_instructions(content):
            return _errors(
                calls,
                "new_answer needs your own answer to the ORIGINAL MESSAGE, not the prompt's "
                "instructions repeated.",
            )
        same = next((a for a in view.answers if a.content.strip() == content), None)
        if same is not None:
            return _errors(calls, f"This answer is identical to {same.label}'s: vote for it instead.")
        return Answered(content=content)
    return _errors(calls, "Use new_answer or vote.")
