"""The coordination's knobs, and how they come from a config."""

from __future__ import annotations

import attrs

from ...config.model import RunConfig, TimeoutSettings
from .prompts import DEFAULT_PLANNING_INSTRUCTION

#: the config's ``timeout_settings:`` owns every time limit's default
_TIMEOUTS = TimeoutSettings()

__all__ = ["CoordinationSettings"]


@attrs.frozen(kw_only=True)
class CoordinationSettings:
    """How a coordination runs. Times are seconds; ``None`` means no limit.

    :param planning_mode: during coordination, tools that are not read-only are not run; the
        final presentation runs them.
    :param planning_instruction: added to the agents' system message in planning mode.
    :param max_answers_per_agent: once an agent has given this many answers it may only vote.
    :param max_rounds: the most coordination turns one agent takes (a turn ends with an
        answer or a vote).
    :param total_timeout: the whole run (coordination and presentation).
    :param round_timeout: one agent turn; an agent that exceeds it is out.
    :param agent_timeout: all of one agent's turns together; an agent that exceeds it is out.
    :param straggler_grace: once every other agent has voted, how long the run waits for agents
        still working before it ends without them (``None``: as long as they take). See
        :mod:`.state` for the rule, and for how the ready agents stop waiting for a slow one.
    :param max_reminders: reminders (or refused workflow calls) before an agent that does not
        call ``new_answer`` or ``vote`` properly is out.
    :param max_tool_steps: model requests per turn when the agent uses its own tools.
    """

    planning_mode: bool = False
    planning_instruction: str = DEFAULT_PLANNING_INSTRUCTION
    max_answers_per_agent: int | None = None
    max_rounds: int | None = None
    total_timeout: float | None = None
    round_timeout: float | None = None
    agent_timeout: float | None = None
    straggler_grace: float | None = _TIMEOUTS.straggler_grace_seconds
    max_reminders: int = 2
    max_tool_steps: int = 10

    @classmethod
    def from_config(cls, config: RunConfig) -> CoordinationSettings:
        coordination = config.orchestrator.coordination
        timeouts = config.timeout_settings
        return cls(
            planning_mode=coordination.enable_planning_mode,
            planning_instruction=coordination.planning_mode_instruction or DEFAULT_PLANNING_INSTRUCTION,
            max_answers_per_agent=coordination.max_new_answers_per_agent,
            max_rounds=coordination.max_rounds,
            total_timeout=timeouts.orchestrator_timeout_seconds,
            round_timeout=timeouts.round_timeout_seconds,
            agent_timeout=timeouts.agent_timeout_seconds,
            straggler_grace=timeouts.straggler_grace_seconds,
        )
