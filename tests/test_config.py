"""Tests of massgen_core.config: the YAML format, validation errors and their positions."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import attrs
import pytest
from ruamel.yaml import YAML

from massgen_core.config import (
    AgentConfig,
    BackendConfig,
    ContextPathConfig,
    CoordinationConfig,
    OrchestratorConfig,
    RunConfig,
    TimeoutSettings,
    UiConfig,
    dump_config,
    load_config,
    load_config_text,
    load_dotenv_file,
    single_agent_config,
)
from massgen_core.host.plugin_host import PluginHost
from massgen_core.host.registry import Registry
from massgen_core.plugin.errors import ConfigError, ConfigIssue
from massgen_core.plugin.hookspecs import hookimpl
from massgen_core.plugin.options import BackendOptions, SamplingOptions, option
from massgen_core.plugin.specs import BackendSpec, ModelSpec, Timeouts
from massgen_core.testing.scripted_options import ScriptedOptions

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"


# -- stub backends shaped like the documented ones (options only; never built) -----------------
@attrs.frozen(kw_only=True)
class TextOptions:
    verbosity: Literal["low", "medium", "high"] = "medium"


@attrs.frozen(kw_only=True)
class ReasoningOptions:
    effort: Literal["low", "medium", "high"] = "medium"
    summary: Literal["auto", "always", "never"] = "auto"


@attrs.frozen(kw_only=True)
class OpenAIOptions(SamplingOptions):
    text: TextOptions | None = option(None)
    reasoning: ReasoningOptions | None = option(None, requires="reasoning")
    enable_web_search: bool = option(False, requires="web_search")
    enable_code_interpreter: bool = option(False, requires="code_execution")
    extra_body: dict[str, Any] | None = option(None)
    organization: str | None = option(None, secret=True)


@attrs.frozen(kw_only=True)
class GeminiOptions(SamplingOptions):
    enable_web_search: bool = option(False, requires="web_search")
    enable_code_execution: bool = option(False, requires="code_execution")


@attrs.frozen(kw_only=True)
class GrokOptions(SamplingOptions):
    enable_web_search: bool = option(False, requires="web_search")
    extra_body: dict[str, Any] | None = option(None)


@attrs.frozen(kw_only=True)
class ClaudeCodeOptions(BackendOptions):
    permission_mode: str = option("bypassPermissions")


@attrs.frozen(kw_only=True)
class AG2Options(BackendOptions):
    agent_config: dict[str, Any] | None = option(None)
    code_execution_config: dict[str, Any] | None = option(None)


@attrs.frozen(kw_only=True)
class ChatOptions(SamplingOptions):
    extra_body: dict[str, Any] | None = option(None)


def _backend(type_: str, options: type, caps: set[str], **kw: Any) -> BackendSpec:
    return BackendSpec(
        type=type_,
        display_name=type_,
        provider="test",
        factory="massgen_core.testing.scripted:ScriptedBackend",
        options=options,
        capabilities=caps | {"streaming", "tool_calling", "multi_turn", "sampling"},
        **kw,
    )


class DocBackends:
    """A plugin declaring every backend type the docs use."""

    @hookimpl
    def massgen_backend_types(self) -> Sequence[BackendSpec]:
        mcp = {"mcp", "filesystem_mcp"}
        return [
            _backend(
                "openai",
                OpenAIOptions,
                mcp | {"web_search", "code_execution", "reasoning"},
                models=[ModelSpec(name="gpt-4o-mini", remove={"reasoning"}), ModelSpec(name="gpt-5")],
                model_patterns=("gpt-*", "o4-*"),
                default_model="gpt-5-nano",
            ),
            _backend("claude", SamplingOptions, mcp, model_patterns=("claude-*",)),
            _backend(
                "claude_code",
                ClaudeCodeOptions,
                {"mcp", "bash", "filesystem_native"},
                default_model="claude-sonnet-4",
            ),
            _backend(
                "gemini", GeminiOptions, mcp | {"web_search", "code_execution"}, model_patterns="gemini-*"
            ),
            _backend("grok", GrokOptions, mcp | {"web_search"}, model_patterns="grok-*"),
            _backend("azure_openai", OpenAIOptions, mcp | {"web_search", "code_execution"}),
            _backend("ag2", AG2Options, {"code_execution"}, default_model="gpt-4o"),
            _backend("lmstudio", ChatOptions, mcp),
            _backend("vllm", ChatOptions, mcp),
            _backend("sglang", ChatOptions, mcp),
            _backend("chatcompletion", ChatOptions, mcp, model_patterns=("glm-*", "*-chat")),
        ]


def make_registry(*plugins: object) -> Registry:
    host = PluginHost(entry_points=False)
    for plugin in plugins:
        host.register(plugin, name=type(plugin).__name__)
    return Registry(host)


@pytest.fixture(scope="module")
def registry() -> Registry:
    return make_registry(DocBackends())


@pytest.fixture(scope="module")
def scripted_only() -> Registry:
    return make_registry()


def load(text: str, registry: Registry, **kw: Any) -> RunConfig:
    return load_config_text(text, filename="cfg.yaml", registry=registry, environ=kw.pop("environ", {}), **kw)


def error_of(text: str, registry: Registry, **kw: Any) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load(text, registry, **kw)
    return info.value


def line_col(text: str, needle: str, occurrence: int = 0) -> tuple[int, int]:
    """1-based line and column of the ``occurrence``-th ``needle`` in ``text``."""
    pos = -1
    for _ in range(occurrence + 1):
        pos = text.index(needle, pos + 1)
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def raises(fn: Any, *args: Any, **kwargs: Any) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        fn(*args, **kwargs)
    return info.value


def only(error: ConfigError) -> ConfigIssue:
    assert len(error.issues) == 1, str(error)
    return error.issues[0]


# -- the example and the basic shapes -----------------------------------------------------------
def test_scripted_example_loads(scripted_only: Registry) -> None:
    file = EXAMPLES / "scripted_three_agents.yaml"
    cfg = load_config(file, registry=scripted_only, environ={})
    assert len(cfg.agents) == 3 and len(set(cfg.agent_ids)) == 3
    assert all(a.backend.type == "scripted" for a in cfg.agents)
    assert all(isinstance(a.backend.options, ScriptedOptions) for a in cfg.agents)
    assert cfg.source == str(file)


SCRIPTED = """\
agents:
  - id: "optimist"
    backend:
      type: "scripted"
      replies:
        - "4, and a great question!"
      chunk_words: 2
    system_message: "You look on the bright side."
  - id: "skeptic"
    backend:
      type: "scripted"
      replies:
        - reasoning: "Check: 2 + 2 = 4 in base 10."
          text: "4 (in base 10)."
  - id: "pedant"
    backend: {type: "scripted", replies: ["The answer is 4."], then: "repeat"}
orchestrator:
  coordination:
    max_new_answers_per_agent: 2
    max_rounds: 5
ui:
  display_type: "simple"
  logging_enabled: false
timeout_settings:
  orchestrator_timeout_seconds: 120
  request_timeout: 60
"""


def test_scripted_agents(scripted_only: Registry) -> None:
    cfg = load(SCRIPTED, scripted_only)
    assert cfg.agent_ids == ("optimist", "skeptic", "pedant")
    optimist = cfg.agent("optimist")
    assert isinstance(optimist.backend.options, ScriptedOptions)
    assert optimist.backend.options.replies == ({"text": "4, and a great question!"},)
    assert optimist.backend.options.chunk_words == 2
    assert optimist.system_message == "You look on the bright side."
    skeptic, pedant = cfg.agent("skeptic").backend.options, cfg.agent("pedant").backend.options
    assert isinstance(skeptic, ScriptedOptions) and isinstance(pedant, ScriptedOptions)
    assert skeptic.replies[0]["reasoning"].startswith("Check")
    assert pedant.then == "repeat"
    assert cfg.orchestrator.coordination == CoordinationConfig(max_new_answers_per_agent=2, max_rounds=5)
    assert cfg.ui == UiConfig(display_type="simple", logging_enabled=False)
    assert cfg.timeout_settings.orchestrator_timeout_seconds == 120
    assert cfg.timeout_settings.backend_timeouts().total == 60
    assert cfg.source == "cfg.yaml"


def test_every_example_config_loads(registry: Registry) -> None:
    files = sorted(EXAMPLES.glob("*.yaml"))
    assert files
    for file in files:
        load_config(file, registry=registry, environ={})


def test_single_agent_form_and_defaults(scripted_only: Registry) -> None:
    cfg = load("agent:\n  backend:\n    type: scripted\n", scripted_only)
    assert cfg == RunConfig(
        agents=(AgentConfig(id="agent1", backend=BackendConfig(type="scripted", options=ScriptedOptions())),)
    )
    assert cfg.orchestrator == OrchestratorConfig()
    assert cfg.ui == UiConfig(display_type="rich_terminal", logging_enabled=True)
    assert cfg.timeout_settings.orchestrator_timeout_seconds == 1800


def test_top_level_backend_is_one_agent(scripted_only: Registry) -> None:
    cfg = load("backend:\n  type: scripted\n  model: m\n", scripted_only)
    assert cfg.agents[0].id == "agent1"
    assert cfg.agents[0].backend.model == "m"


def test_missing_ids_are_numbered_without_colliding(scripted_only: Registry) -> None:
    text = (
        "agents:\n"
        "  - backend: {type: scripted}\n"
        "  - id: agent1\n    backend: {type: scripted}\n"
        "  - backend: {type: scripted}\n"
    )
    assert load(text, scripted_only).agent_ids == ("agent2", "agent1", "agent3")


def test_duplicate_id_is_reported_at_the_duplicate(scripted_only: Registry) -> None:
    text = 'agents:\n  - id: "a"\n    backend: {type: scripted}\n  - id: "a"\n    backend: {type: scripted}\n'
    issue = only(error_of(text, scripted_only))
    assert (issue.line, issue.column) == line_col(text, '"a"', 1)
    assert issue.file == "cfg.yaml"
    assert "duplicate agent id 'a'" in issue.message and "line 2" in issue.message
    assert issue.path == "agents[1].id"


def test_configs_with_the_same_content_are_equal(scripted_only: Registry) -> None:
    a = load("agents:\n  - id: x\n    backend: {type: scripted, model: m}\n", scripted_only)
    b = load(
        '# comment\nagent:\n  id: "x"\n  backend:\n    model: "m"\n    type: "scripted"\n', scripted_only
    )
    c = load_config(
        {"agents": [{"id": "x", "backend": {"type": "scripted", "model": "m"}}]}, registry=scripted_only
    )
    assert a == b == c


# -- sections -------------------------------------------------------------------------------------
FULL = """\
agents:
  - id: one
    backend: {type: scripted}
orchestrator:
  context_paths:
    - path: "."
      permission: "write"
      protected_paths: [".env", "secrets/"]
    - path: {data}
  snapshot_storage: "snapshots"
  agent_temporary_workspace: "temp_workspaces"
  session_storage: "sessions"
  coordination:
    enable_planning_mode: true
    planning_mode_instruction: "Plan only."
    max_new_answers_per_agent: 3
    max_rounds: 4
ui:
  display_type: silent
  logging_enabled: false
timeout_settings:
  orchestrator_timeout_seconds: 600
  round_timeout_seconds: 120.5
  agent_timeout_seconds: 60
  connect_timeout: 5
  first_event_timeout: 30
  idle_timeout: null
  request_timeout: 300
"""


def test_every_section_key(scripted_only: Registry, tmp_path: Path) -> None:
    data = tmp_path / "abs" / "data"  # context paths must exist
    data.mkdir(parents=True)
    cfg = load(FULL.replace("{data}", str(data)), scripted_only, base_dir=tmp_path)
    assert cfg.orchestrator == OrchestratorConfig(
        context_paths=(
            ContextPathConfig(path=tmp_path, permission="write", protected_paths=(".env", "secrets/")),
            ContextPathConfig(path=data),
        ),
        snapshot_storage="snapshots",
        agent_temporary_workspace="temp_workspaces",
        session_storage="sessions",
        coordination=CoordinationConfig(
            enable_planning_mode=True,
            planning_mode_instruction="Plan only.",
            max_new_answers_per_agent=3,
            max_rounds=4,
        ),
    )
    assert cfg.ui == UiConfig(display_type="silent", logging_enabled=False)
    assert cfg.timeout_settings == TimeoutSettings(
        orchestrator_timeout_seconds=600,
        round_timeout_seconds=120.5,
        agent_timeout_seconds=60,
        connect_timeout=5,
        first_event_timeout=30,
        idle_timeout=None,
        request_timeout=300,
    )
    assert cfg.timeout_settings.backend_timeouts() == Timeouts(
        connect=5, first_event=30, idle=None, total=300
    )


def test_timeout_defaults_match_the_backend_defaults() -> None:
    assert TimeoutSettings().backend_timeouts() == Timeouts()
    assert TimeoutSettings().orchestrator_timeout_seconds == 1800


def test_timeout_settings_may_sit_under_orchestrator(scripted_only: Registry) -> None:
    base = "agent: {backend: {type: scripted}}\n"
    cfg = load(
        base + "orchestrator:\n  timeout_settings:\n    orchestrator_timeout_seconds: 5\n", scripted_only
    )
    assert cfg.timeout_settings.orchestrator_timeout_seconds == 5
    text = base + "orchestrator:\n  timeout_settings: {}\ntimeout_settings: {}\n"
    issue = only(error_of(text, scripted_only))
    assert issue.line == 3 and "given twice" in issue.message


def test_relative_paths_resolve_against_the_current_directory(
    scripted_only: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_dir = tmp_path / "configs"
    config_dir.mkdir()
    file = config_dir / "c.yaml"
    file.write_text(
        "agent:\n  backend: {type: scripted, cwd: workspace}\n"
        "orchestrator:\n  context_paths: [{path: src}, {path: ../up}]\n"
    )
    work = tmp_path / "work"
    for folder in (work / "src", tmp_path / "up", config_dir / "src"):  # context paths must exist
        folder.mkdir(parents=True)
    monkeypatch.chdir(work)
    cfg = load_config(file, registry=scripted_only)
    assert [c.path for c in cfg.orchestrator.context_paths] == [work / "src", tmp_path / "up"]
    assert cfg.agents[0].backend.tools.cwd == str(work / "workspace")
    other = load_config(file, registry=scripted_only, base_dir=config_dir)
    assert other.orchestrator.context_paths[0].path == config_dir / "src"


def test_context_paths_must_exist_and_protect_inside_themselves_reported_at_their_value(
    scripted_only: Registry, tmp_path: Path
) -> None:
    (tmp_path / "project").mkdir()
    text = (
        "agent: {backend: {type: scripted}}\n"
        "orchestrator:\n  context_paths:\n"
        "    - path: missing\n"
        "    - path: project\n      protected_paths: [.env, ../outside]\n"
    )
    err = error_of(text, scripted_only, base_dir=tmp_path)
    by_path = {i.path: i for i in err.issues}
    missing = by_path.pop("orchestrator.context_paths[0].path")
    assert missing.message == f"context path {tmp_path / 'missing'} does not exist"
    assert (missing.line, missing.column) == line_col(text, "missing")
    outside = by_path.pop("orchestrator.context_paths[1].protected_paths[1]")
    assert (
        "'../outside' resolves to" in outside.message
        and "which is not inside the context path" in outside.message
    )
    assert (outside.line, outside.column) == line_col(text, "../outside")
    assert not by_path


def test_section_errors_point_at_the_value(scripted_only: Registry) -> None:
    text = (
        "agent: {backend: {type: scripted}}\n"
        "ui:\n  display_type: richterminal\n  logging_enabled: 'yes'\n"
        "timeout_settings:\n  connect_timeout: fast\n  idle_timeout: -1\n"
        "orchestrator:\n  context_paths:\n    - permission: read\n    - path: x\n      permission: admin\n"
    )
    err = error_of(text, scripted_only)
    by_path = {i.path: i for i in err.issues}
    display = by_path["ui.display_type"]
    assert (display.line, display.column) == line_col(text, "richterminal")
    assert "one of 'rich_terminal', 'simple', 'silent'" in display.message
    assert "did you mean 'rich_terminal'" in display.message
    assert by_path["ui.logging_enabled"].message == "expected true or false, got a string"
    assert by_path["timeout_settings.connect_timeout"].message == "expected a number or null, got a string"
    missing = by_path["orchestrator.context_paths[0]"]
    assert "missing required key 'path'" in missing.message and missing.line == 10
    assert by_path["orchestrator.context_paths[1].permission"].line == 12
    assert all(i.file == "cfg.yaml" and i.line is not None and i.column is not None for i in err.issues)


@pytest.mark.parametrize("url", ["/v1", "localhost:1234/v1", "ftp://host/v1", "http://", "http://[::1/v1"])
def test_a_base_url_that_is_not_an_http_url_is_an_error_at_its_value(
    scripted_only: Registry, url: str
) -> None:
    text = f"agent:\n  backend:\n    type: scripted\n    base_url: '{url}'\n"
    issue = only(error_of(text, scripted_only))
    assert issue.path == "agent.backend.base_url" and (issue.line, issue.column) == line_col(text, f"'{url}'")
    assert "must be an http:// or https:// URL with a host (e.g. http://localhost:1234/v1)" in issue.message


@pytest.mark.parametrize(
    "url", ["http://localhost:1234/v1", "https://api.example.com/v1", "http://[::1]:8000/v1"]
)
def test_http_base_urls_are_accepted(scripted_only: Registry, url: str) -> None:
    cfg = load(f"agent:\n  backend: {{type: scripted, base_url: '{url}'}}\n", scripted_only)
    assert cfg.agents[0].backend.options.base_url == url


def test_range_errors(scripted_only: Registry) -> None:
    text = "agent: {backend: {type: scripted}}\ntimeout_settings:\n  idle_timeout: -1\n"
    issue = only(error_of(text, scripted_only))
    assert issue.path == "timeout_settings.idle_timeout" and issue.line == 3
    assert "positive" in issue.message
    text = "agent: {backend: {type: scripted}}\norchestrator:\n  coordination: {max_rounds: 0}\n"
    assert only(error_of(text, scripted_only)).path == "orchestrator.coordination.max_rounds"
    # range errors are reported together with the other errors of the section
    text = "agent: {backend: {type: scripted}}\ntimeout_settings: {idle_timeout: .nan, conect_timeout: 1}\n"
    err = error_of(text, scripted_only)
    assert [i.path for i in err.issues] == [
        "timeout_settings.idle_timeout",
        "timeout_settings.conect_timeout",
    ]


def test_importing_the_package_is_cheap() -> None:
    import subprocess
    import sys

    code = (
        "import sys, massgen_core.config as c; c.RunConfig; "
        "print(any(m.startswith(('ruamel', 'cattrs')) for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_unknown_keys_everywhere_name_the_nearest(scripted_only: Registry) -> None:
    text = (
        "agents:\n  - id: a\n    backend: {type: scripted}\n    sytem_message: hi\n"
        "orchestrater: {}\n"
        "ui: {display: simple}\n"
        "timeout_settings: {conect_timeout: 1}\n"
    )
    err = error_of(text, scripted_only)
    messages = {i.path: (i.line, i.column, i.message) for i in err.issues}
    assert messages["agents[0].sytem_message"][:2] == line_col(text, "sytem_message")
    assert "did you mean 'system_message'" in messages["agents[0].sytem_message"][2]
    assert "did you mean 'orchestrator'" in messages["orchestrater"][2]
    assert "did you mean 'display_type'" in messages["ui.display"][2]
    assert messages["timeout_settings.conect_timeout"][:2] == line_col(text, "conect_timeout")
    assert "did you mean 'connect_timeout'" in messages["timeout_settings.conect_timeout"][2]
    assert [i.line for i in err.issues] == sorted(i.line or 0 for i in err.issues)


def test_agent_shape_errors(scripted_only: Registry) -> None:
    assert "no agents" in only(error_of("ui: {}\n", scripted_only)).message
    assert "is empty" in only(error_of("agents: []\n", scripted_only)).message
    assert "use `agent:`" in only(error_of("agents: {id: a}\n", scripted_only)).message
    issue = only(error_of("agents:\n  - id: a\n", scripted_only))
    assert issue.message == "the agent has no `backend:`" and issue.line == 2
    issue = only(error_of("agents:\n  - just a string\n", scripted_only))
    assert "got a string" in issue.message and (issue.line, issue.column) == (2, 5)
    issue = only(
        error_of("agent: {backend: {type: scripted}}\nagents: [{backend: {type: scripted}}]\n", scripted_only)
    )
    assert issue.path == "agents" and "cannot be combined" in issue.message
    issue = only(error_of("agent:\n  id: 7\n  backend: {type: scripted}\n", scripted_only))
    assert issue.path == "agent.id" and issue.message == "expected a non-empty string, got an integer"


def test_empty_and_non_mapping_documents(scripted_only: Registry) -> None:
    for text in ("", "# nothing\n", "- a\n- b\n", "just text"):
        issue = only(error_of(text, scripted_only))
        assert issue.line == 1 and issue.file == "cfg.yaml"


# -- backends -----------------------------------------------------------------------------------
def test_unknown_option_names_the_backend_and_nearest_key(registry: Registry) -> None:
    text = "agent:\n  backend:\n    type: openai\n    model: gpt-5\n    enable_websearch: true\n"
    issue = only(error_of(text, registry))
    assert (issue.line, issue.column) == line_col(text, "enable_websearch")
    assert str(issue).startswith(f"cfg.yaml:{issue.line}:{issue.column}: agent.backend.enable_websearch:")
    assert "unknown option 'enable_websearch' for backend 'openai'" in issue.message
    assert "did you mean 'enable_web_search'?" in issue.message


def test_option_of_another_backend_needing_a_capability(registry: Registry) -> None:
    text = "agent:\n  backend:\n    type: claude\n    model: claude-sonnet-4\n    enable_web_search: true\n"
    issue = only(error_of(text, registry))
    assert issue.line == 5
    assert "'web_search' capability" in issue.message
    assert "azure_openai, gemini, grok, openai" in issue.message


def test_option_needing_a_capability_the_model_lacks(registry: Registry) -> None:
    text = "agent:\n  backend:\n    type: openai\n    model: gpt-4o-mini\n    reasoning: {effort: high}\n"
    issue = only(error_of(text, registry))
    assert (issue.line, issue.column) == line_col(text, "reasoning")
    assert "'reasoning' needs the 'reasoning' capability" in issue.message
    assert "model 'gpt-4o-mini'" in issue.message
    assert "models of 'openai' that have it: gpt-5" in issue.message  # not "backends with it: openai"
    # falsy values are "not set": no capability needed
    load(text.replace("reasoning: {effort: high}", "reasoning: null"), registry)


def test_option_needing_mcp(scripted_only: Registry, registry: Registry) -> None:
    text = "agent:\n  backend:\n    type: ag2\n    mcp_servers: [{name: x, command: y}]\n"
    issue = only(error_of(text, registry))
    assert "'mcp' capability" in issue.message and "claude_code" in issue.message


def test_type_errors_name_the_expected_type(registry: Registry) -> None:
    text = (
        "agent:\n  backend:\n    type: openai\n    temperature: hot\n    max_tokens: 1.5\n"
        "    allowed_tools: Read\n    exclude_tools: [1]\n    text: {verbosity: loud}\n"
        "    reasoning: {efort: high}\n"
    )
    err = error_of(text, registry)
    got = {i.path: i.message for i in err.issues}
    assert got["agent.backend.temperature"] == "expected a number or null, got a string"
    assert got["agent.backend.max_tokens"] == "expected an integer or null, got a number"
    assert got["agent.backend.allowed_tools"] == "expected a list of strings or null, got a string"
    assert got["agent.backend.exclude_tools[0]"] == "expected a string, got an integer"
    assert got["agent.backend.text.verbosity"].startswith("expected one of 'low', 'medium', 'high'")
    assert got["agent.backend.reasoning.efort"] == "unknown key 'efort'; did you mean 'effort'?"
    for issue in err.issues:
        assert (issue.line, issue.column) != (None, None)
    efort = next(i for i in err.issues if i.path.endswith("efort"))
    assert (efort.line, efort.column) == line_col(text, "efort")


def test_nested_options_and_pass_through(registry: Registry) -> None:
    text = """\
agent:
  id: "grok_agent"
  backend:
    type: "grok"
    model: "grok-3-mini"
    enable_web_search: true
    extra_body:
      search_parameters:
        mode: "auto"
        return_citations: true
"""
    options = load(text, registry).agents[0].backend.options
    assert isinstance(options, GrokOptions)
    assert options.extra_body == {"search_parameters": {"mode": "auto", "return_citations": True}}


def test_type_is_inferred_from_the_model(registry: Registry) -> None:
    cfg = load("agents:\n  - backend: {model: gemini-2.5-flash}\n  - backend: {model: gpt-5}\n", registry)
    assert [a.backend.type for a in cfg.agents] == ["gemini", "openai"]


def test_missing_type_lists_the_installed_types(registry: Registry, scripted_only: Registry) -> None:
    issue = only(error_of("agent:\n  backend:\n    model: llama3\n", scripted_only))
    assert issue.line == 2 and "set `type:`" in issue.message and "scripted" in issue.message
    assert "'llama3' does not identify" in issue.message
    issue = only(error_of("agent:\n  backend: {model: grok-3-mini-chat}\n", registry))
    assert "matches several backends (chatcompletion, grok)" in issue.message
    issue = only(error_of("agent:\n  backend: {temperature: 1}\n", scripted_only))
    assert "no backend `type:`" in issue.message


def test_unknown_type(registry: Registry) -> None:
    text = "agent:\n  backend:\n    type: gemeni\n    model: x\n"
    issue = only(error_of(text, registry))
    assert issue.message == registry.unknown_type_message("gemeni")
    assert (issue.line, issue.column) == line_col(text, "gemeni")
    assert "Did you mean 'gemini'?" in issue.message


def test_bad_backend_blocks(scripted_only: Registry) -> None:
    assert "the backend is empty" in only(error_of("agent:\n  backend:\n", scripted_only)).message
    assert "got a list" in only(error_of("agent:\n  backend: [scripted]\n", scripted_only)).message
    assert "got an integer" in only(error_of("agent:\n  backend: {type: 3}\n", scripted_only)).message


# -- secrets ------------------------------------------------------------------------------------
SECRET = "sk-very-secret-value-123"


def test_secrets_never_appear_in_errors(registry: Registry) -> None:
    text = (
        f"agent:\n  backend:\n    type: openai\n    api_key: {SECRET}\n    organization: [{SECRET}]\n"
        f"    unknown_thing: {SECRET}\n    temperature: {SECRET}\n"
    )
    err = error_of(text, registry)
    assert SECRET not in str(err) and all(SECRET not in repr(i) for i in err.issues)
    assert any(i.path == "agent.backend.organization" for i in err.issues)


def test_a_bad_typed_secret_is_not_echoed(registry: Registry) -> None:
    issue = only(error_of("agent:\n  backend:\n    type: openai\n    api_key: 123456789\n", registry))
    assert issue.message == "expected a string or null, got an integer"
    assert "123456789" not in str(issue)


def test_secret_values_from_plugin_errors_are_masked() -> None:
    def explode(value: Any) -> Any:
        if value:
            raise ValueError(f"token {value} rejected")
        return value

    @attrs.frozen(kw_only=True)
    class Picky(BackendOptions):
        token: str | None = attrs.field(default=None, converter=explode, metadata={"massgen_secret": True})

    class Plugin:
        @hookimpl
        def massgen_backend_types(self) -> Sequence[BackendSpec]:
            return [_backend("picky", Picky, set())]

    err = error_of(f"agent:\n  backend:\n    type: picky\n    token: {SECRET}\n", make_registry(Plugin()))
    assert SECRET not in str(err)
    assert "***" in str(err) or "secret" in str(err)


def test_duplicate_yaml_keys_do_not_echo_values(registry: Registry) -> None:
    text = f"agent:\n  backend:\n    type: openai\n    api_key: {SECRET}\n    api_key: other-secret-xyz\n"
    issue = only(error_of(text, registry))
    assert SECRET not in str(issue) and "other-secret-xyz" not in str(issue)
    assert "duplicate key 'api_key'" in issue.message and issue.line == 5


def test_dump_masks_secrets_and_round_trips(registry: Registry, tmp_path: Path) -> None:
    text = f"""\
agents:
  - id: researcher
    backend:
      type: openai
      model: gpt-5
      api_key: {SECRET}
      reasoning: {{effort: high}}
      enable_web_search: true
    system_message: Research.
  - backend: {{type: claude, model: claude-sonnet-4, temperature: 0.2}}
orchestrator:
  context_paths: [{{path: {tmp_path}, permission: write}}]
ui: {{display_type: simple}}
"""
    cfg = load(text, registry)
    dumped = dump_config(cfg)
    assert SECRET not in repr(dumped)
    assert dumped["agents"][0]["backend"]["api_key"] == "***"
    assert dumped["agents"][0]["backend"]["reasoning"] == {"effort": "high"}
    assert dumped["agents"][1] == {
        "id": "agent2",
        "backend": {"type": "claude", "model": "claude-sonnet-4", "temperature": 0.2},
    }
    assert dumped["orchestrator"] == {"context_paths": [{"path": str(tmp_path), "permission": "write"}]}
    assert "timeout_settings" not in dumped
    # YAML-able, and loads back to the same config (secrets aside)
    stream = io.StringIO()
    YAML(typ="safe", pure=True).dump(dumped, stream)
    again = load(stream.getvalue(), registry)
    assert again.agents[0].backend.options.api_key == "***"
    unmasked = attrs.evolve(
        again, agents=(attrs.evolve(again.agents[0], backend=cfg.agents[0].backend), *again.agents[1:])
    )
    assert unmasked == cfg
    full = dump_config(cfg, include_defaults=True)
    assert full["timeout_settings"]["orchestrator_timeout_seconds"] == 1800
    assert load_config(full, registry=registry) == load_config(dump_config(cfg), registry=registry)


# -- interpolation and .env ---------------------------------------------------------------------
def test_interpolation(scripted_only: Registry) -> None:
    text = (
        "agent:\n  id: ${AGENT_ID}\n  backend:\n    type: scripted\n    model: ${MODEL:-default-model}\n"
        "    base_url: http://${HOST}:${PORT:-8000}/v1\n  system_message: cost is $${NOT_A_VAR}\n"
    )
    cfg = load(text, scripted_only, environ={"AGENT_ID": "a1", "HOST": "localhost", "MODEL": ""})
    agent = cfg.agents[0]
    assert agent.id == "a1"
    assert agent.backend.options.model == "default-model"
    assert agent.backend.options.base_url == "http://localhost:8000/v1"
    assert agent.system_message == "cost is ${NOT_A_VAR}"


def test_undefined_variable_is_an_error_at_its_value(scripted_only: Registry) -> None:
    text = "agent:\n  backend:\n    type: ${BACKEND_TYPE}\n    model: 'x-${MISSING_MODEL}'\n"
    err = error_of(text, scripted_only, environ={"UNRELATED": "1"})
    assert [(i.path, i.line, i.column) for i in err.issues] == [
        ("agent.backend.type", 3, 11),
        ("agent.backend.model", 4, 12),
    ]
    assert "BACKEND_TYPE is not set" in err.issues[0].message
    assert "MISSING_MODEL" in err.issues[1].message


def test_malformed_references(scripted_only: Registry) -> None:
    for bad in ("${", "${1X}", "${A B}"):
        text = f"agent:\n  backend: {{type: scripted, model: '{bad}'}}\n"
        issue = only(error_of(text, scripted_only))
        assert issue.line == 2 and issue.path == "agent.backend.model"


def test_os_environ_is_the_default(scripted_only: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MASSGEN_TEST_MODEL", "from-env")
    cfg = load_config_text(
        "agent:\n  backend:\n    type: scripted\n    model: $" + "{MASSGEN_TEST_MODEL}\n",
        registry=scripted_only,
    )
    assert cfg.agents[0].backend.model == "from-env"


def test_load_dotenv_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_dotenv_file(tmp_path) == []
    (tmp_path / ".env").write_text('MG_T_NEW="new value"\nMG_T_KEPT=from-file\n# comment\nMG_T_EMPTY\n')
    monkeypatch.setenv("MG_T_KEPT", "from-env")
    monkeypatch.delenv("MG_T_NEW", raising=False)
    monkeypatch.delenv("MG_T_EMPTY", raising=False)
    try:
        assert load_dotenv_file(tmp_path) == ["MG_T_NEW"]
        assert os.environ["MG_T_NEW"] == "new value"
        assert os.environ["MG_T_KEPT"] == "from-env"
    finally:
        os.environ.pop("MG_T_NEW", None)
    monkeypatch.chdir(tmp_path)
    try:
        assert load_dotenv_file() == ["MG_T_NEW"]
    finally:
        os.environ.pop("MG_T_NEW", None)


# -- YAML syntax and sources ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("agents:\n  - id: a\n   backend: x\n", 3, 4),
        ("agent: {backend: [1, 2}\n", 1, 23),
        ("agent:\n\tbackend: x\n", 2, 1),
        ('agent: "unclosed\n', 2, 1),
        ("a: 1\n---\nb: 2\n", 2, 1),
    ],
)
def test_yaml_syntax_errors_are_short_and_located(
    scripted_only: Registry, text: str, line: int, column: int
) -> None:
    issue = only(error_of(text, scripted_only))
    assert (issue.line, issue.column) == (line, column), str(issue)
    assert issue.file == "cfg.yaml"
    assert issue.message.startswith("invalid YAML: ")
    assert "\n" not in issue.message and "Traceback" not in issue.message and "^" not in issue.message


def test_unsupported_yaml_values(scripted_only: Registry) -> None:
    text = "agent:\n  backend:\n    type: scripted\n    model: !custom x\n    1: one\n"
    err = error_of(text, scripted_only)
    assert [(i.line, i.column) for i in err.issues] == [(4, 12), (5, 5)]
    assert "!custom" in err.issues[0].message
    assert "keys must be strings" in err.issues[1].message


def test_dates_read_as_strings(scripted_only: Registry) -> None:
    cfg = load("agent:\n  backend: {type: scripted, model: 2024-02-15}\n", scripted_only)
    assert cfg.agents[0].backend.model == "2024-02-15"


def test_merge_keys(scripted_only: Registry) -> None:
    text = (
        "base: &base {type: scripted, chunk_words: 5}\n"
        "agents:\n  - backend:\n      <<: *base\n      model: m\n"
    )
    err = error_of(text, scripted_only)
    assert only(err).path == "base"
    text = "agents:\n  - backend: &b {type: scripted, chunk_words: 5}\n  - backend:\n      <<: *b\n      then: nope\n"
    cfg = load(text.replace("then: nope", "model: m"), scripted_only)
    assert cfg.agents[1].backend.options == ScriptedOptions(chunk_words=5, model="m")
    bad = text.replace("{type: scripted, chunk_words: 5}", "{type: scripted, chunk_words: many}")
    err = error_of(bad, scripted_only)
    assert all(i.line is not None for i in err.issues)


def test_file_sources(scripted_only: Registry, tmp_path: Path) -> None:
    file = tmp_path / "x.yaml"
    file.write_text("agent:\n  backend:\n    type: scripted\n    bogus: 1\n")
    for source in (file, str(file)):
        issue = only(raises(load_config, source, registry=scripted_only))
        assert issue.file == str(file) and (issue.line, issue.column) == (4, 5)
        assert str(issue).startswith(f"{file}:4:5: agent.backend.bogus: unknown option 'bogus'")
    missing = raises(load_config, tmp_path / "nope.yaml", registry=scripted_only)
    assert only(missing).message == "config file not found"
    (tmp_path / "latin.yaml").write_bytes(b"agent:\n  id: caf\xe9\n")
    issue = only(raises(load_config, tmp_path / "latin.yaml", registry=scripted_only))
    assert (issue.line, issue.message) == (2, "the file is not UTF-8 text")


def test_mapping_source(scripted_only: Registry, tmp_path: Path) -> None:
    cfg = load_config(
        {"agents": ({"backend": {"type": "scripted", "cwd": tmp_path, "exclude_tools": ("a",)}},)},
        registry=scripted_only,
    )
    assert cfg.agents[0].backend.tools.cwd == str(tmp_path)
    assert cfg.agents[0].backend.tools.exclude_tools == ("a",)
    err = raises(load_config, {"agent": {"backend": {"type": "scripted", "x": 1}}}, registry=scripted_only)
    assert only(err).path == "agent.backend.x" and only(err).line is None
    assert str(only(err)).startswith("<config>: agent.backend.x")


def test_single_agent_config(registry: Registry) -> None:
    cfg = single_agent_config(
        "vllm", "Qwen/Qwen3-4B", "http://localhost:8000/v1", registry=registry, temperature=0.5
    )
    options = cfg.agents[0].backend.options
    assert isinstance(options, ChatOptions)
    assert (cfg.agents[0].backend.type, options.model, options.base_url, options.temperature) == (
        "vllm",
        "Qwen/Qwen3-4B",
        "http://localhost:8000/v1",
        0.5,
    )
    assert single_agent_config(None, "gemini-2.5-pro", registry=registry).agents[0].backend.type == "gemini"
    err = raises(single_agent_config, "claude", "claude-x", registry=registry, enable_web_search=True)
    assert only(err).file == "<command line>" and "web_search" in only(err).message
    err = raises(single_agent_config, "nope", None, registry=registry)
    assert "unknown backend type 'nope'" in only(err).message


def test_default_registry_is_the_process_one() -> None:
    cfg = load_config("agent: {backend: {type: scripted}}")
    assert cfg.agents[0].backend.type == "scripted"


# -- the documented examples -------------------------------------------------------------------------
def _doc_candidates() -> list[Path]:
    found = [p for p in sorted((REPO / "docs").rglob("*.md")) if "Backend & Model Support" in p.read_text()]
    seed = Path("/work/shared/seed/backend-support.md")
    return found or ([seed] if seed.is_file() else [])


FRAGMENTS = ("code_execution_config:",)  # snippets of a backend block, not configs
PLACEHOLDERS = ("BACKEND_TYPE",)


def test_documented_yaml_examples_load(registry: Registry, tmp_path: Path) -> None:
    docs = _doc_candidates()
    if not docs:
        pytest.skip("backend-support.md not found")
    blocks = re.findall(r"```yaml\n(.*?)```", docs[0].read_text(), re.DOTALL)
    assert len(blocks) > 15
    loaded = 0
    for block in blocks:
        if block.startswith(FRAGMENTS) or any(p in block for p in PLACEHOLDERS):
            continue
        load(block, registry, base_dir=tmp_path)
        loaded += 1
    assert loaded >= len(blocks) - 3


def test_multi_backend_mixing_example(registry: Registry) -> None:
    text = """\
agents:
  - id: "researcher"
    backend:
      type: "gemini"
      model: "gemini-2.5-pro"
      enable_web_search: true

  - id: "coder"
    backend:
      type: "ag2"
      agent_config:
        llm_config:
          model: "gpt-5"
      code_execution_config:
        executor:
          type: "LocalCommandLineCodeExecutor"

  - id: "writer"
    backend:
      type: "claude"
      model: "claude-sonnet-4-20250514"
"""
    cfg = load(text, registry)
    assert [(a.id, a.backend.type) for a in cfg.agents] == [
        ("researcher", "gemini"),
        ("coder", "ag2"),
        ("writer", "claude"),
    ]


def test_filesystem_mcp_command_is_a_command_line_or_a_list(tmp_path: Path) -> None:
    """docs/tools.md calls it a command line: a string is split like a shell would; a bad quote
    is an error at its value."""
    base = {"type": "scripted", "filesystem_tools": "mcp"}
    line = load_config({"agent": {"backend": {**base, "filesystem_mcp_command": "npx -y 'server fs'"}}})
    words = load_config({"agent": {"backend": {**base, "filesystem_mcp_command": ["npx", "-y", "fs"]}}})
    from massgen_core.plugin.options import command_words

    assert command_words("c", line.agents[0].backend.tools.filesystem_mcp_command) == (
        "npx",
        "-y",
        "server fs",
    )
    assert command_words("c", words.agents[0].backend.tools.filesystem_mcp_command) == ("npx", "-y", "fs")
    path = tmp_path / "fs.yaml"
    path.write_text('agent:\n  backend:\n    type: scripted\n    filesystem_mcp_command: "npx \'oops"\n')
    issue = only(raises(load_config, path))
    assert (issue.line, issue.column) == (4, 29) and "quotes" in issue.message


def test_choices_are_checked_in_one_place_also_for_options_built_in_python() -> None:
    from massgen_core.plugin import InvalidValue, ToolOptions

    for key in ("filesystem_tools", "command_line_sandbox"):
        with pytest.raises(InvalidValue, match="expected one of"):
            ToolOptions(**{key: "bogus"})
    issue = only(
        raises(load_config, {"agent": {"backend": {"type": "scripted", "filesystem_tools": "bogus"}}})
    )
    assert "filesystem_tools" in str(issue)


def test_a_team_may_name_itself_and_a_bad_name_is_placed(tmp_path: Path) -> None:
    from massgen_core.config.dump import dump_config

    good = tmp_path / "good.yaml"
    good.write_text("name: research-team/v2\nagent: {id: a, backend: {type: scripted}}\n")
    config = load_config(good)
    assert config.name == "research-team/v2" and dump_config(config)["name"] == "research-team/v2"
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: 'two words'\nagent: {id: a, backend: {type: scripted}}\n")
    with pytest.raises(ConfigError, match=r"bad.yaml:1:7: name: the team's name must be letters, digits"):
        load_config(bad)
