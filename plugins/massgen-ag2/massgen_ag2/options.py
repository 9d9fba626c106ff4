"""The ``ag2`` backend's options (the YAML ``backend:`` keys): plain attrs classes, no AG2 import.

The config loader structures the block into :class:`Ag2Options`, so every mistake in
``agent_config`` or ``group_config`` (an unknown agent type, executor or pattern, a missing
``llm_config``, a misspelt key) is reported at its ``file:line:column`` before anything runs,
instead of as an AG2 traceback at run time.

Shapes follow the seed's configs (and the original MassGen's AG2 adapter)::

    agent_config: {type, name, system_message, llm_config, code_execution_config}
    code_execution_config: {executor: {type: LocalCommandLineCodeExecutor, timeout, work_dir}}
    group_config: {llm_config, agents: [agent_config...], pattern: {type, initial_agent,
                   group_manager_args}, max_rounds}
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Any, Literal

import attrs
from massgen_core.plugin import BackendOptions, InvalidValue, ToolOptions, option

__all__ = [
    "EXECUTOR_TYPES",
    "PATTERN_TYPES",
    "Ag2Options",
    "AgentSettings",
    "CodeExecutionSettings",
    "ExecutorSettings",
    "GroupManagerSettings",
    "GroupSettings",
    "LlmConfig",
    "LlmSettings",
    "PatternSettings",
    "first_llm",
]

#: the executors MassGen runs (through the agent's ``execute_command``: same policy and sandbox)
EXECUTOR_TYPES = ("LocalCommandLineCodeExecutor",)
#: AG2 0.14's group chat patterns offered here
PATTERN_TYPES = ("auto", "round_robin")
ApiType = Literal["openai", "google", "anthropic"]
#: what AG2 0.14.1's Gemini client imports beyond google-genai: (distribution, module)
GEMINI_NEEDS = (("google-cloud-aiplatform", "vertexai"), ("pillow", "PIL"))
AgentType = Literal["assistant", "conversable"]


def _executor_type(_instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    if value not in EXECUTOR_TYPES:
        raise InvalidValue(
            attribute.name,
            f"unknown executor {value!r}: use LocalCommandLineCodeExecutor (MassGen runs its code in the "
            "agent's workspace, under the agent's execute_command policy and sandbox); Docker, Jupyter and "
            "YepCode executors are not supported",
        )


def _pattern_type(_instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    if value not in PATTERN_TYPES:
        raise InvalidValue(
            attribute.name,
            f"unknown pattern {value!r}: use 'auto' (the group manager's LLM picks each speaker) or "
            "'round_robin' (the agents speak in turn, initial_agent first)",
        )


def _relative_dir(_instance: Any, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is None:
        return
    path = PurePosixPath(value)
    if path.is_absolute() or ".." in path.parts:
        raise InvalidValue(
            attribute.name,
            f"must be a directory inside the agent's workspace, relative to it (e.g. ./code), not {value!r}",
        )


def _at_least_one(_instance: Any, attribute: attrs.Attribute[Any], value: int | None) -> None:
    if value is not None and value < 1:
        raise InvalidValue(attribute.name, "must be at least 1")


def _http_url(_instance: Any, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is not None and not value.startswith(("http://", "https://")):
        raise InvalidValue(
            attribute.name,
            f"must be an http:// or https:// URL (e.g. http://localhost:1234/v1), not {value!r}",
        )


@attrs.frozen(kw_only=True)
class LlmSettings:
    """An AG2 ``llm_config``: which model, where, and how to sample.

    ``api_key`` defaults to the backend block's ``api_key``, then the env var of ``api_type``
    (``OPENAI_API_KEY``; ``GOOGLE_API_KEY``/``GEMINI_API_KEY``; ``ANTHROPIC_API_KEY``), as for
    MassGen's own backends. ``base_url`` (openai: any OpenAI-compatible endpoint) defaults to the
    backend block's ``base_url``, then ``OPENAI_BASE_URL``.
    """

    api_type: ApiType = option(
        "openai", help="openai (and OpenAI-compatible endpoints), google or anthropic."
    )
    model: str = option(help="The model id.")
    base_url: str | None = option(
        None, validator=_http_url, help="An OpenAI-compatible endpoint (/v1 included)."
    )
    api_key: str | None = option(None, secret=True, help="API key; by default the api_type's env var.")
    temperature: float | None = option(None, help="Sampling temperature.")
    top_p: float | None = option(None, help="Nucleus sampling.")
    max_tokens: int | None = option(None, validator=_at_least_one, help="Maximum tokens per reply.")
    stream: bool = option(True, help="Stream replies (shown live).")
    price: tuple[float, float] | None = option(
        None, help="USD per 1000 prompt and completion tokens, for models AG2 has no price for."
    )
    cache_seed: int | None = option(
        None,
        help="AG2's response cache seed (MassGen passes it to AG2); ignored here: AG2's cache is off, "
        "every run asks the model.",
    )

    def machine_problem(self) -> str | None:
        """What this machine lacks for this ``llm_config`` (``api_type: google``: the packages
        AG2's Gemini client imports), with the fix."""
        if self.api_type != "google":
            return None
        missing = [dist for dist, module in GEMINI_NEEDS if importlib.util.find_spec(module) is None]
        if not missing:
            return None
        return (
            f"google: AG2 0.14.1's Gemini client needs {' and '.join(missing)}, not installed with "
            f"massgen-ag2 (pip install {' '.join(missing)}); or use MassGen's own gemini backend, or "
            "api_type: openai with base_url: https://generativelanguage.googleapis.com/v1beta/openai/ "
            "and your Gemini key as api_key (Gemini's OpenAI-compatible endpoint)"
        )

    def __attrs_post_init__(self) -> None:
        if self.api_type == "google" and self.base_url is not None:
            raise InvalidValue(
                "base_url",
                "api_type google takes no base_url: AG2's Gemini client calls Google's Gemini API, or the "
                "endpoint in the GOOGLE_GEMINI_BASE_URL environment variable of the massgen process",
            )

    def merged_over(self, base: LlmSettings | None) -> LlmSettings:
        """These settings (an agent's override) on top of ``base`` (the group's shared ``llm_config``)."""
        if base is None:
            return self
        defaults = LlmSettings(model=self.model)
        changes = {
            f.name: getattr(base, f.name)
            for f in attrs.fields(LlmSettings)
            if f.name != "model" and getattr(self, f.name) == getattr(defaults, f.name)
        }
        return attrs.evolve(self, **changes)


#: an ``llm_config``: one mapping, or AG2's list form (MassGen passes it to ``LLMConfig(*entries)``)
LlmConfig = LlmSettings | tuple[LlmSettings, ...] | None


def first_llm(value: LlmConfig) -> LlmSettings | None:
    """The ``llm_config`` used: the mapping, or the list form's first entry (AG2 tries that one
    first; the others, AG2's fallbacks, are not used here: :meth:`Ag2Options.config_notes`)."""
    if isinstance(value, tuple):
        return value[0] if value else None
    return value


def _entries(_instance: Any, attribute: attrs.Attribute[Any], value: LlmConfig) -> None:
    if isinstance(value, tuple) and not value:
        raise InvalidValue(attribute.name, "the list is empty: give the model as {api_type, model}")


@attrs.frozen(kw_only=True)
class ExecutorSettings:
    """``code_execution_config.executor``."""

    type: str = option(
        "LocalCommandLineCodeExecutor", validator=_executor_type, help="LocalCommandLineCodeExecutor."
    )
    timeout: int = option(60, validator=_at_least_one, help="Seconds one code block may run.")
    work_dir: str | None = option(
        None, validator=_relative_dir, help="Where code files are written and run, relative to the workspace."
    )


@attrs.frozen(kw_only=True)
class CodeExecutionSettings:
    """``code_execution_config``: code blocks in the model's replies are executed and the output
    fed back (through the agent's ``execute_command``: its workspace, policy and sandbox)."""

    executor: ExecutorSettings = option(
        factory=ExecutorSettings, help="The executor: {type, timeout, work_dir}."
    )
    last_n_messages: int | Literal["auto"] = option(
        "auto", help="How many recent messages are scanned for code blocks (AG2's default: auto)."
    )


@attrs.frozen(kw_only=True)
class AgentSettings:
    """One AG2 agent (``agent_config``, or an entry of ``group_config.agents``)."""

    type: AgentType = option(
        "conversable", help="assistant (AssistantAgent) or conversable (ConversableAgent)."
    )
    name: str | None = option(None, help="The agent's name (letters, digits, _ and -); default: ag2_agent.")
    system_message: str | None = option(None, help="The agent's own instructions.")
    description: str | None = option(
        None, help="What the agent does (the auto pattern picks speakers by it)."
    )
    llm_config: LlmConfig = option(
        None,
        validator=_entries,
        help="The agent's model: {api_type, model, base_url, ...}, or AG2's list form (its first entry).",
    )
    code_execution_config: CodeExecutionSettings | None = option(
        None, help="Run the code blocks the agent receives: {executor: {type, timeout, work_dir}}."
    )

    def agent_name(self, index: int | None = None) -> str:
        return self.name or ("ag2_agent" if index is None else f"ag2_agent_{index + 1}")


def _agent_names(_instance: Any, attribute: attrs.Attribute[Any], value: tuple[AgentSettings, ...]) -> None:
    if len(value) < 2:
        raise InvalidValue(attribute.name, "a group chat needs at least two agents")
    names = [a.agent_name(i) for i, a in enumerate(value)]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InvalidValue(
            attribute.name, f"agent names must differ; used more than once: {', '.join(twice)}"
        )


@attrs.frozen(kw_only=True)
class GroupManagerSettings:
    """``pattern.group_manager_args``: the AG2 GroupChatManager."""

    llm_config: LlmConfig = option(
        None,
        validator=_entries,
        help="The model that picks speakers (auto pattern); default: the group's llm_config.",
    )
    name: str | None = option(None, help="The manager's name.")
    system_message: str | None = option(None, help="The manager's instructions.")


@attrs.frozen(kw_only=True)
class PatternSettings:
    """``group_config.pattern``: who speaks next."""

    type: str = option("auto", validator=_pattern_type, help="auto or round_robin.")
    initial_agent: str | None = option(None, help="The agent that speaks first (default: the first agent).")
    group_manager_args: GroupManagerSettings = option(
        factory=GroupManagerSettings, help="The group manager: {llm_config, name, system_message}."
    )


@attrs.frozen(kw_only=True)
class GroupSettings:
    """``group_config``: an AG2 group chat that acts as one MassGen agent."""

    agents: tuple[AgentSettings, ...] = option(validator=_agent_names, help="The group's agents.")
    llm_config: LlmConfig = option(
        None, validator=_entries, help="The model of agents that give none of their own."
    )
    pattern: PatternSettings = option(
        factory=PatternSettings, help="{type: auto|round_robin, initial_agent, ...}."
    )
    max_rounds: int = option(20, validator=_at_least_one, help="Messages after which the chat stops.")

    def __attrs_post_init__(self) -> None:
        names = [a.agent_name(i) for i, a in enumerate(self.agents)]
        initial = self.pattern.initial_agent
        if initial is not None and initial not in names:
            raise InvalidValue(
                "pattern", f"initial_agent {initial!r} is not one of the agents ({', '.join(names)})"
            )
        for index, agent in enumerate(self.agents):
            if agent.llm_config is None and self.llm_config is None and agent.code_execution_config is None:
                raise InvalidValue(
                    "agents",
                    f"agent {names[index]!r} has no llm_config: give it one, or give group_config an llm_config "
                    "shared by its agents",
                )
        if self.pattern.type == "auto" and not self.manager_llm() and not any(self.llms()):
            raise InvalidValue(
                "pattern", "the auto pattern needs an llm_config (group_manager_args.llm_config)"
            )

    def llms(self) -> list[LlmSettings | None]:
        """Each agent's effective ``llm_config`` (``None``: an executor without a model)."""
        shared = first_llm(self.llm_config)
        return [
            (own.merged_over(shared) if (own := first_llm(a.llm_config)) else shared) for a in self.agents
        ]

    def manager_llm(self) -> LlmSettings | None:
        manager = first_llm(self.pattern.group_manager_args.llm_config)
        shared = first_llm(self.llm_config)
        return manager.merged_over(shared) if manager else shared


@attrs.frozen(kw_only=True)
class Ag2Options(BackendOptions):
    """The ``ag2`` backend: one AG2 agent (``agent_config``) or an AG2 group chat (``group_config``).

    ``model`` is filled in from the ``llm_config`` when not given (for displays and pricing);
    ``api_key``/``base_url`` are defaults for every ``llm_config`` that has none.
    """

    agent_config: AgentSettings | None = option(
        None, help="One AG2 agent: {type, name, system_message, llm_config, code_execution_config}."
    )
    group_config: GroupSettings | None = option(
        None, help="An AG2 group chat as one agent: {llm_config, agents, pattern, max_rounds}."
    )
    code_execution_config: CodeExecutionSettings | None = option(
        None, help="agent_config's code_execution_config, written beside it (as in the seed's examples)."
    )

    def __attrs_post_init__(self) -> None:
        if (self.agent_config is None) == (self.group_config is None):
            which = "both" if self.agent_config is not None else "neither"
            raise InvalidValue(
                "agent_config" if which == "both" else "group_config",
                f"give exactly one of agent_config (one AG2 agent) or group_config (a group chat), not {which}",
            )
        if self.code_execution_config is not None:
            if self.agent_config is None:
                raise InvalidValue(
                    "code_execution_config",
                    "belongs to an agent: put it in each group_config agent that runs code",
                )
            if self.agent_config.code_execution_config is not None:
                raise InvalidValue("code_execution_config", "given twice: here and in agent_config; keep one")
        if self.agent_config is not None and self.agent_config.llm_config is None:
            raise InvalidValue("agent_config", "missing required key 'llm_config' (the agent's model)")
        if self.model is None:
            object.__setattr__(self, "model", self._main_model())

    def _llm_entries(self) -> list[tuple[tuple[str | int, ...], LlmSettings, bool]]:
        """Every ``llm_config`` entry with its path in the block, and whether it is used (the
        list form's entries after the first are not)."""
        places: list[tuple[tuple[str | int, ...], LlmConfig]] = []
        if self.agent_config is not None:
            places.append((("agent_config", "llm_config"), self.agent_config.llm_config))
        if self.group_config is not None:
            group = self.group_config
            places.append((("group_config", "llm_config"), group.llm_config))
            places += [
                (("group_config", "agents", i, "llm_config"), a.llm_config)
                for i, a in enumerate(group.agents)
            ]
            manager = group.pattern.group_manager_args.llm_config
            places.append((("group_config", "pattern", "group_manager_args", "llm_config"), manager))
        out: list[tuple[tuple[str | int, ...], LlmSettings, bool]] = []
        for path, value in places:
            if isinstance(value, tuple):
                out += [((*path, i), entry, i == 0) for i, entry in enumerate(value)]
            elif value is not None:
                out.append((path, value, True))
        return out

    def config_notes(self, tools: ToolOptions) -> Sequence[tuple[str | tuple[str | int, ...], str]]:
        """AG2's ``cache_seed`` (AG2's cache is off here) and the list form's fallback entries."""
        notes: list[tuple[str | tuple[str | int, ...], str]] = []
        for path, llm, used in self._llm_entries():
            if not used:
                notes.append(
                    (
                        path,
                        f"ignored: AG2 would try {llm.model!r} when the first entry fails; here the first "
                        "entry is the model (the core retries it)",
                    )
                )
            elif llm.cache_seed is not None:
                notes.append(
                    (
                        (*path, "cache_seed"),
                        "ignored: AG2's response cache is off here (every run asks the model)",
                    )
                )
        return notes

    def machine_problems(self, tools: ToolOptions) -> Sequence[tuple[str | tuple[str | int, ...], str]]:
        """The packages ``api_type: google`` needs, for every ``llm_config`` that names it."""
        return [
            ((*path, "api_type"), problem)
            for path, llm, used in self._llm_entries()
            if used and (problem := llm.machine_problem()) is not None
        ]

    def _main_model(self) -> str | None:
        if self.agent_config is not None and (llm := first_llm(self.agent_config.llm_config)) is not None:
            return llm.model
        if self.group_config is not None:
            return next((llm.model for llm in self.group_config.llms() if llm is not None), None)
        return None

    @property
    def single_agent(self) -> AgentSettings | None:
        """The single agent, with the block-level ``code_execution_config`` folded in."""
        agent = self.agent_config
        if agent is None or self.code_execution_config is None:
            return agent
        return attrs.evolve(agent, code_execution_config=self.code_execution_config)

    @property
    def runs_commands(self) -> bool:
        """Whether any agent executes code: it runs through the agent's ``execute_command``, which
        the core then gives the agent (with a workspace) even without ``enable_mcp_command_line``."""
        single = self.single_agent
        if single is not None:
            return single.code_execution_config is not None
        assert self.group_config is not None
        return any(a.code_execution_config is not None for a in self.group_config.agents)
