"""The loaded configuration: frozen attrs classes, equal when their content is equal.

These classes carry no source positions (those stay in the loader), so two configs with the
same content compare equal whatever file or text they came from. Build them with
:func:`massgen_core.config.load_config`, which validates everything and reports errors with
``file:line:column``; constructing them directly skips that validation.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

import attrs

from ..plugin.errors import ConfigIssue
from ..plugin.messages import MediaPart
from ..plugin.options import BackendOptions, InvalidValue, ToolOptions
from ..plugin.specs import Timeouts
from .compat import CompatNote

#: the per-request limits' defaults are the backend contract's (one place for them)
_REQUEST = Timeouts()

__all__ = [
    "AgentConfig",
    "BackendConfig",
    "ContextPathConfig",
    "CoordinationConfig",
    "InvalidValue",
    "OrchestratorConfig",
    "RunConfig",
    "TimeoutSettings",
    "UiConfig",
]

DisplayType = Literal["rich_terminal", "simple", "silent"]
Permission = Literal["read", "write"]


def _positive_or_none(_instance: Any, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None and (math.isnan(value) or value <= 0):
        raise InvalidValue(attribute.name, "must be a positive number of seconds (or null for no limit)")


def _at_least_one(_instance: Any, attribute: attrs.Attribute[Any], value: int | None) -> None:
    if value is not None and value < 1:
        raise InvalidValue(attribute.name, "must be at least 1 (or null for no limit)")


@attrs.frozen(kw_only=True)
class BackendConfig:
    """An agent's ``backend:`` block: its ``type``, the options instance its plugin declared, and
    the agent's tool keys written in the same block (:class:`~massgen_core.plugin.options.ToolOptions`)."""

    type: str
    options: BackendOptions
    tools: ToolOptions = ToolOptions()
    uploads: tuple[MediaPart, ...] = ()
    """``upload_files``: what the agent is given with every question (checked, paths absolute)."""
    notes: tuple[ConfigIssue, ...] = attrs.field(default=(), eq=False, repr=False)
    """What the backend applies differently from how the block is written (its options'
    :meth:`~massgen_core.plugin.options.BackendOptions.config_notes`, placed in the config)."""

    @property
    def model(self) -> str | None:
        """The model the config names (``None``: the backend's default model)."""
        return self.options.model


@attrs.frozen(kw_only=True)
class AgentConfig:
    """One agent: its id, its backend and an optional system message."""

    id: str
    backend: BackendConfig
    system_message: str | None = None


@attrs.frozen(kw_only=True)
class ContextPathConfig:
    """A directory agents may access besides their workspace.

    :param path: absolute; a relative path in the config is resolved against the loader's
        ``base_dir`` (by default the current working directory).
    :param permission: ``"read"``, or ``"write"`` (applies to the final agent only).
    :param protected_paths: files or directories inside ``path`` that stay read-only, as given.
    """

    path: Path
    permission: Permission = "read"
    protected_paths: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class CoordinationConfig:
    """How agents coordinate (``orchestrator.coordination``).

    :param enable_planning_mode: during coordination, agents plan instead of running
        side-effecting tools; only the final agent acts.
    :param planning_mode_instruction: replaces the built-in planning-mode instruction.
    :param max_new_answers_per_agent: cap on new answers each agent may give (default 5;
        ``null``: no cap); past it the agent may only vote.
    :param max_rounds: cap on each agent's coordination turns (default 12; ``null``: no cap).
    """

    enable_planning_mode: bool = False
    planning_mode_instruction: str | None = None
    max_new_answers_per_agent: int | None = attrs.field(default=5, validator=_at_least_one)
    max_rounds: int | None = attrs.field(default=12, validator=_at_least_one)


@attrs.frozen(kw_only=True)
class OrchestratorConfig:
    """The ``orchestrator:`` section.

    ``snapshot_storage``, ``agent_temporary_workspace`` and ``session_storage`` are directories
    kept as written (MassGen resolves them against the working directory at run time).
    """

    context_paths: tuple[ContextPathConfig, ...] = ()
    coordination: CoordinationConfig = CoordinationConfig()
    snapshot_storage: str | None = None
    agent_temporary_workspace: str | None = None
    session_storage: str | None = None


@attrs.frozen(kw_only=True)
class UiConfig:
    """The ``ui:`` section."""

    display_type: DisplayType = "rich_terminal"
    logging_enabled: bool = True


@attrs.frozen(kw_only=True)
class TimeoutSettings:
    """The ``timeout_settings:`` section, in seconds; ``null`` disables a timeout.

    The orchestration-level limits are ``orchestrator_timeout_seconds`` (the whole run),
    ``round_timeout_seconds`` and ``agent_timeout_seconds``; ``straggler_grace_seconds`` is how
    long a run waits for agents still working once every other agent has voted (then it ends
    without them and reports them). The per-request backend limits
    ``connect_timeout``, ``first_event_timeout``, ``idle_timeout`` and ``request_timeout``
    (the whole response, retries included) map to :class:`massgen_core.plugin.backend.Timeouts`
    through :meth:`backend_timeouts`.
    """

    orchestrator_timeout_seconds: float | None = attrs.field(default=1800.0, validator=_positive_or_none)
    round_timeout_seconds: float | None = attrs.field(default=None, validator=_positive_or_none)
    agent_timeout_seconds: float | None = attrs.field(default=None, validator=_positive_or_none)
    straggler_grace_seconds: float | None = attrs.field(default=60.0, validator=_positive_or_none)
    connect_timeout: float | None = attrs.field(default=_REQUEST.connect, validator=_positive_or_none)
    first_event_timeout: float | None = attrs.field(default=_REQUEST.first_event, validator=_positive_or_none)
    idle_timeout: float | None = attrs.field(default=_REQUEST.idle, validator=_positive_or_none)
    request_timeout: float | None = attrs.field(default=_REQUEST.total, validator=_positive_or_none)

    def backend_timeouts(self) -> Timeouts:
        """The per-request timeouts every backend of the run gets."""
        return Timeouts(
            connect=self.connect_timeout,
            first_event=self.first_event_timeout,
            idle=self.idle_timeout,
            total=self.request_timeout,
        )


@attrs.frozen(kw_only=True)
class RunConfig:
    """A whole validated config: the agents and the run's settings.

    ``source`` names where it was loaded from (a file path, ``"<string>"``...); it is not part
    of equality. ``name`` is the team's name, when the config gives one (``massgen serve``
    serves the team under it).
    """

    agents: tuple[AgentConfig, ...]
    name: str | None = None
    orchestrator: OrchestratorConfig = OrchestratorConfig()
    ui: UiConfig = UiConfig()
    timeout_settings: TimeoutSettings = TimeoutSettings()
    source: str | None = attrs.field(default=None, eq=False, repr=False)
    compat: tuple[CompatNote, ...] = attrs.field(default=(), eq=False, repr=False)
    """MassGen keys read differently from how they are written: translated, or ignored with a
    warning (:mod:`massgen_core.config.compat`)."""
    machine: tuple[ConfigIssue, ...] = attrs.field(default=(), eq=False, repr=False)
    """What this machine lacks for the config, each at its ``file:line:column`` with the fix (a
    variable not set, a file or program missing, no Docker daemon), when it was loaded with
    ``machine="warning"`` (``massgen validate``); a run refuses them instead."""

    def agent(self, agent_id: str) -> AgentConfig:
        """The agent with ``agent_id``; ``KeyError`` if there is none."""
        for agent in self.agents:
            if agent.id == agent_id:
                return agent
        raise KeyError(agent_id)

    @property
    def agent_ids(self) -> tuple[str, ...]:
        return tuple(a.id for a in self.agents)
