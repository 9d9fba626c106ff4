"""One agent turn: stream it, and for coordination turns, get a valid ``new_answer`` or ``vote``.

A coordination turn runs the agent loop with the workflow tools offered as external tools. When
the model stops without calling one, it is reminded; when its call is invalid (a vote for an
unknown label, an answer identical to an existing one, ...), it is told why through the tool
result. After ``max_reminders`` such retries it is out of the run. A backend failure ends the
turn at once (the core's retry policy has already retried what can be retried).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs

from ...plugin.backend import ToolDefinition
from ...plugin.messages import Message, ToolResultPart
from ...tools.toolset import Tool
from ..agent import Agent, TurnComplete
from .events import AgentNotice, AgentOutput, CoordinationEvent, Phase
from .prompts import REMINDER, planning_refusal
from .settings import CoordinationSettings
from .state import AnswerView
from .workflow_tools import Answered, Voted, decide, workflow_tools

__all__ = [
    "Emit",
    "TurnFailed",
    "TurnOutcome",
    "planning_gate",
    "run_coordination_turn",
    "stream_turn",
    "tool_step_limit_reached",
]

Emit = Callable[[CoordinationEvent], None]


@attrs.frozen
class TurnFailed:
    """The agent is out: ``reason`` for people, ``error_kind`` for programs."""

    reason: str
    error_kind: str


TurnOutcome = Answered | Voted | TurnFailed


def tool_step_limit_reached(max_steps: int, instead_of: str) -> str:
    """Why a turn ended at the per-turn tool-step limit, in words."""
    return (
        f"it used all {max_steps} model requests of its turn on tool calls without {instead_of} "
        "(the per-turn tool-step limit)"
    )


def planning_gate(tool: Tool) -> str | None:
    """Planning mode: read-only tools run; the others are refused with an explanation."""
    return None if tool.read_only else planning_refusal(tool.definition.name)


async def stream_turn(
    agent: Agent,
    messages: Sequence[Message],
    *,
    emit: Emit,
    phase: Phase,
    settings: CoordinationSettings,
    external_tools: Sequence[ToolDefinition] = (),
    planning: bool = False,
) -> TurnComplete:
    """Run the agent loop once, forwarding its stream events; returns how it ended."""
    agent_id = agent.id
    async for event in agent.run(
        messages,
        external_tools=external_tools,
        max_steps=settings.max_tool_steps,
        gate=planning_gate if planning else None,
    ):
        if isinstance(event, TurnComplete):
            return event
        emit(AgentOutput(agent_id=agent_id, event=event, phase=phase))
    raise RuntimeError(f"{agent_id}: the agent loop ended without TurnComplete")  # pragma: no cover


def _with_tool_results(history: list[Message], results: Sequence[ToolResultPart]) -> list[Message]:
    """Append results, merged into a trailing tool message (one tool turn per assistant turn)."""
    if history and history[-1].role == "tool":
        return [*history[:-1], Message.tool_results((*history[-1].tool_results_parts, *results))]
    return [*history, Message.tool_results(results)]


async def run_coordination_turn(
    agent: Agent,
    messages: Sequence[Message],
    view: AnswerView,
    *,
    may_answer: bool,
    settings: CoordinationSettings,
    emit: Emit,
) -> TurnOutcome:
    """Run one coordination turn until the agent answers or votes (or is out)."""
    tools = workflow_tools(view, may_answer=may_answer)
    history = list(messages)
    attempts = settings.max_reminders + 1
    for attempt in range(1, attempts + 1):
        complete = await stream_turn(
            agent,
            history,
            emit=emit,
            phase="coordination",
            settings=settings,
            external_tools=tools,
            planning=settings.planning_mode,
        )
        if complete.reason == "error":
            error = complete.error
            return TurnFailed(
                str(error) if error else "the backend failed", error.kind if error else "backend_error"
            )
        history += complete.messages
        if complete.reason == "external_tool_calls":
            decision = decide(
                complete.pending_calls, view, may_answer=may_answer, fallback_text=complete.text
            )
            if isinstance(decision, Answered | Voted):
                return decision
            history = _with_tool_results(history, decision)
            problem = f"workflow call refused: {decision[0].content}"
        else:
            history.append(Message.user(REMINDER))
            problem = (
                tool_step_limit_reached(settings.max_tool_steps, "calling new_answer or vote")
                if complete.reason == "max_steps"
                else "did not call new_answer or vote"
            )
        if attempt < attempts:
            emit(AgentNotice(agent_id=agent.id, message=f"{problem} (reminder {attempt} of {attempts - 1})"))
    return TurnFailed(
        f"{problem}, even after {attempts - 1} reminder(s)",
        "no_workflow_call",
    )
