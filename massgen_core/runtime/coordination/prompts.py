"""What the agents are told, all of it composed here: the system message (the configured one,
then what the agent's toolbox says about its files and commands), coordination turns, reminders,
planning mode and the final presentation.

The user message keeps MassGen's tags (``<ORIGINAL MESSAGE>``, ``<CURRENT ANSWERS from the
agents>``, ``<agentK> … <end of agentK>``) so its prompts and configs stay familiar. Earlier turns
of a multi-turn session come before it as ordinary user/assistant messages.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...plugin.messages import Message, Part, TextPart
from .state import AnswerView, Vote

__all__ = [
    "DEFAULT_PLANNING_INSTRUCTION",
    "INSTRUCTIONS",
    "REMINDER",
    "agent_system_message",
    "coordination_messages",
    "history_messages",
    "planning_refusal",
    "presentation_messages",
    "single_agent_messages",
]

DEFAULT_PLANNING_INSTRUCTION = (
    "During coordination, describe what you would do without actually doing it: tools with side "
    "effects are not run now. The agent chosen to present the final answer will carry out the actions."
)

REMINDER = (
    "Finish your work above by calling the `vote` or `new_answer` tool. Make sure you actually call the tool."
)

_EVALUATION = """\
You are one of several AI agents working together on the ORIGINAL MESSAGE below. You see the \
CURRENT ANSWERS of the agents, anonymised as agent1, agent2, and so on.
Decide whether the best current answer fully addresses the ORIGINAL MESSAGE.
- If it does, call `vote` with that answer's agent_id and your reason.
- If not, work out a better answer (combine and improve the current ones as needed) and call \
`new_answer` with the complete answer.
Always finish by calling exactly one of these tools."""

_NO_ANSWERS = "There are no answers yet: give your answer with `new_answer`."
_LIMIT_REACHED = "You have given as many answers as allowed: call `vote` for the best answer."

_PRESENTATION = """\
You were chosen to present the final answer. Write the final answer to the ORIGINAL MESSAGE for \
the user: the best answer, improved with anything valuable from the others. Answer the user \
directly; do not mention the agents, the votes or this process."""

#: the presentation's last words: plain enough for a small local model to follow
_WRITE_IT = (
    "Now write the final answer to the ORIGINAL MESSAGE for the user: your answer, improved with "
    "anything valuable from the others. If it is already complete and correct, give it again as it "
    "is. Write only the answer itself: no tags, no mention of agents, answers or votes."
)

_CARRY_OUT = """Planning mode is over: the actions that were only described during coordination now run. Carry out the actions the final answer needs with your tools, then present the answer."""

_OWN_ANSWER = "Your own answer is {label}; the agents chose it. Here it is again:"

#: Every instruction the prompts give in their own words (``{label}`` stands for a label): an
#: answer that repeats them is echoing the prompt (:mod:`.degenerate`).
INSTRUCTIONS: tuple[str, ...] = (
    DEFAULT_PLANNING_INSTRUCTION,
    REMINDER,
    _EVALUATION,
    _NO_ANSWERS,
    _LIMIT_REACHED,
    _PRESENTATION,
    _WRITE_IT,
    _CARRY_OUT,
    _OWN_ANSWER,
)


def planning_refusal(tool_name: str) -> str:
    """What the model is told when planning mode holds back a side-effect tool."""
    return (
        f"planning mode: `{tool_name}` has side effects and is not run during coordination. "
        "Describe what you would do with it instead; the agent that presents the final answer will run it."
    )


def _join(*sections: str | None) -> str:
    return "\n\n".join(s for s in sections if s)


def agent_system_message(configured: str | None, toolbox_instructions: str | None) -> str | None:
    """The agent's system message: the configured one, then what its toolbox tells the model now
    (:meth:`~massgen_core.tools.toolbox.AgentToolbox.instructions`)."""
    return _join(configured, toolbox_instructions) or None


def history_messages(history: Sequence[tuple[str, str]]) -> list[Message]:
    """Earlier turns of a session (question, final answer) as conversation messages."""
    out: list[Message] = []
    for question, answer in history:
        out += [Message.user(question), Message.assistant(answer)]
    return out


def _user(text: str, attachments: Sequence[Part]) -> Message:
    """The question's user message: its text, then the files given with it (``upload_files``,
    ``massgen -a``), so every turn of the run shows them to the model."""
    return Message(role="user", parts=(TextPart(text=text), *attachments))


def _original(question: str) -> str:
    return f"<ORIGINAL MESSAGE>\n{question}\n<END OF ORIGINAL MESSAGE>"


def _answers_block(view: AnswerView) -> str:
    if not view.answers:
        body = "(no answers available yet)"
    else:
        body = "\n".join(f"<{a.label}>\n{a.content}\n<end of {a.label}>" for a in view.answers)
    return f"<CURRENT ANSWERS from the agents>\n{body}\n<END OF CURRENT ANSWERS>"


def coordination_messages(
    question: str,
    view: AnswerView,
    *,
    history: Sequence[tuple[str, str]] = (),
    system_message: str | None = None,
    may_answer: bool = True,
    planning_instruction: str | None = None,
    attachments: Sequence[Part] = (),
) -> list[Message]:
    """The messages of one coordination turn."""
    status = _NO_ANSWERS if not view.answers else (None if may_answer else _LIMIT_REACHED)
    system = _join(
        _EVALUATION,
        status,
        f"## Your instructions\n{system_message}" if system_message else None,
        f"## Planning mode\n{planning_instruction}" if planning_instruction else None,
    )
    user = _join(_original(question), _answers_block(view))
    return [Message.system(system), *history_messages(history), _user(user, attachments)]


def presentation_messages(
    question: str,
    view: AnswerView,
    *,
    presenter_label: str,
    votes: Sequence[Vote],
    labels: dict[str, str],
    history: Sequence[tuple[str, str]] = (),
    system_message: str | None = None,
    planning: bool = False,
    attachments: Sequence[Part] = (),
) -> list[Message]:
    """The messages of the winner's final presentation (``planning``: coordination was planning only)."""
    received = [v for v in votes if labels.get(v.target) == presenter_label]
    if received:
        reasons = "\n".join(
            f"- {labels.get(v.voter, v.voter)}: {v.reason or '(no reason given)'}" for v in received
        )
        results = (
            f"VOTING RESULTS: your answer ({presenter_label}) received {len(received)} vote(s):\n{reasons}"
        )
    else:
        results = f"VOTING RESULTS: your answer ({presenter_label}) was selected without votes."
    own = view.by_label(presenter_label)
    user = _join(
        _original(question),
        _answers_block(view),
        results,
        _OWN_ANSWER.format(label=presenter_label),
        own.content if own else None,
        _WRITE_IT,
    )
    system = _join(system_message, _PRESENTATION, _CARRY_OUT if planning else None)
    return [Message.system(system), *history_messages(history), _user(user, attachments)]


def single_agent_messages(
    question: str,
    *,
    history: Sequence[tuple[str, str]] = (),
    system_message: str | None = None,
    attachments: Sequence[Part] = (),
) -> list[Message]:
    """The messages of a single agent answering directly."""
    system = [Message.system(system_message)] if system_message else []
    return [*system, *history_messages(history), _user(question, attachments)]
