"""Turns that produce the final answer: the winner's presentation, or a single agent answering.

Both are normal turns without workflow tools and without planning mode, so the agent's
side-effect tools really run here.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...plugin.messages import Message, Part
from ..agent import Agent
from .events import Phase
from .prompts import presentation_messages, single_agent_messages
from .settings import CoordinationSettings
from .state import CoordinationState
from .turns import Emit, TurnFailed, stream_turn, tool_step_limit_reached

__all__ = ["answer_directly", "present"]


async def _final_turn(
    agent: Agent, messages: Sequence[Message], *, emit: Emit, settings: CoordinationSettings, phase: Phase
) -> tuple[str, TurnFailed | None]:
    complete = await stream_turn(agent, messages, emit=emit, phase=phase, settings=settings)
    if complete.reason == "error":
        error = complete.error
        if error is None:
            return "", TurnFailed("the backend failed", "backend_error")
        return "", TurnFailed(str(error), error.kind)  # the real reason: authentication, rate_limit ...
    if complete.reason == "max_steps":
        return "", TurnFailed(
            tool_step_limit_reached(settings.max_tool_steps, "giving an answer"), "max_steps"
        )
    text = complete.text.strip()
    return text, None if text else TurnFailed("it gave an empty answer", "empty_answer")


async def _final_text(
    agent: Agent, messages: Sequence[Message], *, emit: Emit, settings: CoordinationSettings, phase: Phase
) -> tuple[str, str | None]:
    text, failure = await _final_turn(agent, messages, emit=emit, settings=settings, phase=phase)
    return text, failure.reason if failure is not None else None


async def present(
    agent: Agent,
    state: CoordinationState,
    question: str,
    *,
    history: Sequence[tuple[str, str]],
    settings: CoordinationSettings,
    emit: Emit,
    attachments: Sequence[Part] = (),
) -> tuple[str, str | None]:
    """The winner's final presentation: ``(text, None)``, or ``("", why it failed)``."""
    messages = presentation_messages(
        question,
        state.view(),
        presenter_label=state.labels[agent.id],
        votes=state.deciding_votes(),
        labels=state.labels,
        history=history,
        system_message=agent.system_message,
        planning=settings.planning_mode,
        attachments=attachments,
    )
    return await _final_text(agent, messages, emit=emit, settings=settings, phase="presentation")


async def answer_directly(
    agent: Agent,
    question: str,
    *,
    history: Sequence[tuple[str, str]],
    settings: CoordinationSettings,
    emit: Emit,
    attachments: Sequence[Part] = (),
) -> tuple[str, TurnFailed | None]:
    """A single agent answers the question: ``(text, None)``, or ``("", why it failed)`` with the
    failure's kind (``authentication``, ``rate_limit``, ``empty_answer`` ...)."""
    messages = single_agent_messages(
        question, history=history, system_message=agent.system_message, attachments=attachments
    )
    return await _final_turn(agent, messages, emit=emit, settings=settings, phase="answer")
