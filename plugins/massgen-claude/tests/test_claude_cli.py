"""The ``claude`` backend from the ``massgen`` command and the Python API, against the fake provider.

``massgen --backend claude ...`` runs in a subprocess (plugin discovery exactly as a user gets it);
the examples run through the CLI in-process to keep the suite fast, each copied with every
agent's ``base_url`` pointed at the fake provider's address for its wire format.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import massgen_core
import pytest
from massgen_core.testing.cli import run_massgen
from massgen_core.testing.fake_provider import (
    FakeProviderServer,
    RecordedRequest,
    Reply,
    ToolCall,
    Usage,
    WireFormat,
)
from massgen_core.testing.scripted import coordination_reply

#: the claude_code examples run in test_claude_code_cli.py (Claude Code calls MassGen's tools by
#: their MCP names, so a responder must know it)
EXAMPLES = sorted(
    p
    for p in (Path(__file__).parent.parent / "examples").glob("*.yaml")
    if not p.name.startswith("claude_code_")
)
ANSWER = "Paris is the capital of France."
QUESTION = "What is the capital of France?"


def coordinating(request: RecordedRequest) -> Reply:
    spec = coordination_reply(request.last_user_text or "", request.tool_names, answer=ANSWER)
    return Reply(
        spec["text"], tool_calls=[ToolCall(c["name"], c["arguments"]) for c in spec.get("tool_calls", ())]
    )


@pytest.fixture
def server() -> Iterator[FakeProviderServer]:
    with FakeProviderServer(responder=coordinating) as fake:
        yield fake
    assert not fake.handler_errors


def base_url_for(backend_type: str, server: FakeProviderServer) -> str:
    if backend_type == "claude":
        return server.anthropic_base_url
    if backend_type == "gemini":
        return server.gemini_base_url
    return server.openai_base_url


def pointed_at(path: Path, server: FakeProviderServer, tmp_path: Path) -> Path:
    from ruamel.yaml import YAML

    data: dict[str, Any] = YAML(typ="safe").load(path.read_text())
    for agent in data["agents"] if "agents" in data else [data["agent"]]:
        backend = agent["backend"]
        backend |= {"base_url": base_url_for(backend["type"], server), "api_key": "test-key"}
    copy = tmp_path / path.name
    copy.write_text(json.dumps(data))  # JSON is YAML
    return copy


def test_quick_mode_answers(server: FakeProviderServer, tmp_path: Path) -> None:
    result = run_massgen(
        "--backend",
        "claude",
        "--model",
        "claude-sonnet-4-6",
        "--base-url",
        server.anthropic_base_url,
        "--no-display",
        "--no-logs",
        QUESTION,
        env={"ANTHROPIC_API_KEY": "test-key"},
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ANSWER
    calls = server.model_calls()
    assert calls and {c.wire_format for c in calls} == {WireFormat.ANTHROPIC_MESSAGES}
    assert calls[0].json["model"] == "claude-sonnet-4-6"


def test_anthropic_base_url_is_honoured(server: FakeProviderServer, tmp_path: Path) -> None:
    env = {"ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": server.anthropic_base_url}
    result = run_massgen(
        "--backend",
        "claude",
        "--model",
        "claude-haiku-4-5",
        "--no-display",
        "--no-logs",
        QUESTION,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ANSWER
    assert server.model_calls()[0].json["model"] == "claude-haiku-4-5"


def test_a_missing_key_names_the_env_var(tmp_path: Path) -> None:
    result = run_massgen(
        "--backend", "claude", "--no-display", QUESTION, env={"ANTHROPIC_API_KEY": ""}, cwd=tmp_path
    )
    assert result.returncode != 0
    assert "ANTHROPIC_API_KEY" in result.stderr and "Traceback" not in result.stderr


def test_backends_lists_claude() -> None:
    listing = run_massgen("backends")
    assert listing.returncode == 0, listing.stderr
    line = next(row for row in listing.stdout.splitlines() if row.startswith("claude "))
    assert "massgen-claude" in line and "ANTHROPIC_API_KEY" in line and "claude-sonnet-5-5" in line
    detail = run_massgen("backends", "claude")
    assert detail.returncode == 0, detail.stderr
    for key in ("thinking_budget", "enable_web_search", "enable_code_execution", "claude-sonnet-4-20250514"):
        assert key in detail.stdout


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_validates(path: Path) -> None:
    result = run_massgen("validate", str(path))
    assert result.returncode == 0, result.stderr + result.stdout
    assert "valid" in result.stdout


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs_from_the_cli(
    path: Path,
    server: FakeProviderServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from massgen_core.testing.cli import massgen_main

    monkeypatch.chdir(tmp_path)
    code = massgen_main(
        "--config", str(pointed_at(path, server, tmp_path)), QUESTION, "--no-display", "--no-logs"
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.strip() == ANSWER
    claude_calls = server.model_calls(WireFormat.ANTHROPIC_MESSAGES)
    assert claude_calls


def test_three_claude_agents_coordinate_and_cost_is_counted(
    server: FakeProviderServer, tmp_path: Path
) -> None:
    usage = Usage(1000, 500, cached_tokens=2000, cache_write_tokens=400)

    def priced(request: RecordedRequest) -> Reply:
        return coordinating(request).evolve(usage=usage)

    server.responder = priced
    config = json.loads(
        pointed_at(EXAMPLES_BY_NAME["claude_three_agents.yaml"], server, tmp_path).read_text()
    )
    config["ui"] = {"display_type": "silent", "logging_enabled": False}
    result = massgen_core.run_sync(config, QUESTION)
    assert result.final_answer == ANSWER
    assert set(result.answers) == {"researcher", "analyst", "writer"} and len(result.votes) == 3
    # per request: fresh input, cache reads and cache writes each at their price, then output
    per_million = {
        "researcher": 1000 * 2.0 + 2000 * 0.20 + 400 * 2.50 + 500 * 10.0,  # claude-sonnet-5-5
        "analyst": 1000 * 3.0 + 2000 * 0.30 + 400 * 3.75 + 500 * 15.0,  # claude-sonnet-4-6
        "writer": 1000 * 1.0 + 2000 * 0.10 + 400 * 1.25 + 500 * 5.0,  # claude-haiku-4-5
    }
    for agent, cost in per_million.items():
        totals = result.usage[agent]
        assert totals.requests >= 2
        assert totals.usage.input_tokens == 3400 * totals.requests
        assert totals.usage.cache_write_tokens == 400 * totals.requests
        assert totals.cost == pytest.approx(cost / 1e6 * totals.requests)


def test_web_searches_are_priced_per_request(server: FakeProviderServer, tmp_path: Path) -> None:
    from massgen_core.testing.fake_provider import SearchResult, WebSearch

    searches = [WebSearch(f"q{i}", results=[SearchResult(f"https://{i}.example", "hit")]) for i in range(2)]
    server.responder = lambda request: Reply(ANSWER, web_searches=searches, usage=Usage(100, 10))
    config = {
        "agent": {
            "id": "searcher",
            "backend": {
                "type": "claude",
                "model": "claude-sonnet-4-6",
                "enable_web_search": True,
                "base_url": server.anthropic_base_url,
                "api_key": "test-key",
            },
        },
        "ui": {"display_type": "silent", "logging_enabled": False},
    }
    result = massgen_core.run_sync(config, QUESTION)
    totals = result.usage["searcher"]
    assert totals.usage.web_search_requests == 2 * totals.requests
    assert totals.cost == pytest.approx(((100 * 3.0 + 10 * 15.0) / 1e6 + 2 * 0.01) * totals.requests)


EXAMPLES_BY_NAME = {p.name: p for p in EXAMPLES}


def test_the_live_display_shows_code_execution_output(server: FakeProviderServer) -> None:
    from massgen_core.testing.fake_provider import CodeExecution
    from massgen_core.testing.runs import run_watched

    run = CodeExecution(
        "python3 check.py",
        "checked\n",
        stderr="warning: slow",
        return_code=3,
        anthropic_tool="bash_code_execution",
    )
    server.responder = lambda request: Reply(ANSWER, code_executions=[run])
    config = {
        "agent": {
            "id": "coder",
            "backend": {
                "type": "claude",
                "enable_code_execution": True,
                "base_url": server.anthropic_base_url,
                "api_key": "test-key",
            },
        },
        "ui": {"display_type": "silent", "logging_enabled": False},
    }
    result, shown = run_watched(config, QUESTION)
    assert result.final_answer == ANSWER
    done = [line for line in shown["coder"] if "code_execution completed" in line]
    assert done and "python3 check.py" in done[0]
    assert "checked [stderr] warning: slow [return code 3]" in done[0]


def test_a_thinking_team_sends_only_requests_the_api_accepts(
    server: FakeProviderServer, tmp_path: Path
) -> None:
    from claude_testkit import message_rule_breaks
    from massgen_core.testing.fake_provider import Reasoning

    server.responder = lambda request: coordinating(request).evolve(
        reasoning=Reasoning("Let me think this through.", signature="sig-xyz")
    )
    agent = {"type": "claude", "model": "claude-sonnet-4-6", "thinking_budget": 2048}
    agent |= {"base_url": server.anthropic_base_url, "api_key": "test-key"}
    config = {
        "agents": [{"id": name, "backend": dict(agent)} for name in ("a", "b", "c")],
        "ui": {"display_type": "silent", "logging_enabled": False},
    }
    result = massgen_core.run_sync(config, QUESTION)
    assert result.final_answer == ANSWER
    calls = server.model_calls(WireFormat.ANTHROPIC_MESSAGES)
    assert len(calls) >= 7  # three answers, three votes, one presentation
    for call in calls:
        assert call.json["thinking"] == {"type": "enabled", "budget_tokens": 2048}
        assert message_rule_breaks(call.json) == [], call.json["messages"]


def test_options_a_model_refuses_are_caught_at_validation(tmp_path: Path) -> None:
    config = tmp_path / "team.yaml"
    config.write_text(
        "agents:\n"
        "  - id: a\n"
        "    backend: {type: claude, model: claude-sonnet-5-5, temperature: 0.5}\n"
        "  - id: b\n"
        "    backend: {type: claude, model: claude-sonnet-5-5, thinking_budget: 2048}\n"
        "  - id: c\n"
        "    backend: {type: claude, model: claude-sonnet-4-6, thinking_budget: 100}\n"
        "  - id: d\n"
        "    backend: {type: claude, model: claude-sonnet-4-6, thinking_budget: 4096, max_tokens: 2000}\n"
        "  - id: e\n"
        "    backend: {type: claude, model: claude-sonnet-4-6, thinking_budget: 4096, temperature: 0.2}\n"
        "  - id: f\n"
        "    backend: {type: claude, enable_websearch: true}\n"
    )
    result = run_massgen("validate", str(config))
    assert result.returncode != 0 and "Traceback" not in result.stderr
    expected = [
        "team.yaml:3:55: agents[0].backend.temperature: 'temperature' needs the 'sampling' capability",
        "team.yaml:5:55: agents[1].backend.thinking_budget: 'thinking_budget' needs the 'thinking_budget' capability",
        "team.yaml:7:72: agents[2].backend.thinking_budget: must be at least 1024",
        "team.yaml:9:90: agents[3].backend.max_tokens: must be larger than thinking_budget (4096)",
        "team.yaml:11:91: agents[4].backend.temperature: must be left out (or 1) with thinking_budget",
        "team.yaml:13:29: agents[5].backend.enable_websearch: unknown option 'enable_websearch' for backend "
        "'claude'; did you mean 'enable_web_search'?",
    ]
    for line in expected:
        assert line in result.stderr, result.stderr
