"""The ``gemini`` backend from the ``massgen`` command: quick mode, listings, the examples, and a
mixed team (Gemini with web search beside an OpenAI-compatible agent) coordinating."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from gemini_testkit import MODEL, coordinating, prompt_text
from massgen_core.testing.backends import installed_registry
from massgen_core.testing.cli import run_massgen
from massgen_core.testing.fake_provider import (
    FakeProviderServer,
    HttpError,
    RecordedRequest,
    Reply,
    SearchResult,
    WebSearch,
    WireFormat,
)

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.yaml"))
#: every model an example names, with the answer its agent gives
ANSWERS = {
    MODEL: "Paris is the capital of France, on the Seine.",
    "gemini-2.5-pro": "Paris is the capital of France.",
    "gpt-5-nano": "Paris.",
    "gpt-4o": "The capital is Paris.",
    "grok-3-mini": "Paris, France.",
}
SEARCH = WebSearch("capital of france", [SearchResult("https://gouv.example/paris", "Gouv")])
ENV = {"GOOGLE_API_KEY": "test-key", "OPENAI_API_KEY": "test-key", "XAI_API_KEY": "test-key"}


def pointed_at(path: Path, server: FakeProviderServer, folder: Path) -> Path:
    """A copy of the example config with every agent on the fake provider."""
    from ruamel.yaml import YAML

    data: dict[str, Any] = YAML(typ="safe").load(path.read_text())
    for agent in data["agents"] if "agents" in data else [data["agent"]]:
        gemini = agent["backend"]["type"] == "gemini"
        agent["backend"]["base_url"] = server.gemini_base_url if gemini else server.openai_base_url
    copy = folder / path.name
    copy.write_text(json.dumps(data))  # JSON is YAML
    return copy


def test_the_seed_gemini_configs_are_here() -> None:
    names = {p.name for p in EXAMPLES}
    assert {"single_agent.yaml", "gemini_agent.yaml", "gemini_mcp_filesystem_test.yaml"} <= names


def massgen(
    argv: list[str], folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    """``massgen ARGV`` in this process (fast; the subprocess tests below cover the real command)."""
    from massgen_core.testing.cli import massgen_main

    monkeypatch.chdir(folder)
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    code = massgen_main(*argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_validates_and_runs_against_the_fake(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = massgen(["validate", str(path)], tmp_path, monkeypatch, capsys)
    assert code == 0 and "valid" in out + err, err
    with FakeProviderServer(responder=coordinating(ANSWERS, [SEARCH])) as server:
        config = pointed_at(path, server, tmp_path)
        argv = ["--config", str(config), "--no-display", "--no-logs", "Capital of France?"]
        code, out, err = massgen(argv, tmp_path, monkeypatch, capsys)
        calls = server.model_calls(WireFormat.GEMINI)
    assert code == 0, err
    assert out.strip() in ANSWERS.values()
    assert calls and all(c.headers["x-goog-api-key"] == "test-key" for c in calls)


def test_quick_mode_answers(tmp_path: Path) -> None:
    with FakeProviderServer() as server:
        done = run_massgen(
            "--backend",
            "gemini",
            "--base-url",
            server.gemini_base_url,
            "--no-display",
            "Hello Gemini",
            cwd=tmp_path,
            env={"GEMINI_API_KEY": "from-gemini-var"},
        )
        (call,) = server.model_calls()
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Echo: Hello Gemini"
    assert call.path == f"/v1beta/models/{MODEL}:streamGenerateContent"
    assert call.headers["x-goog-api-key"] == "from-gemini-var"
    assert "gemini/gemini-2.5-flash" in done.stderr


def test_a_rate_limit_is_retried_after_the_delay_gemini_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    body = {
        "error": {
            "code": 429,
            "message": "Resource has been exhausted (e.g. check quota).",
            "status": "RESOURCE_EXHAUSTED",
            "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1.5s"}],
        }
    }
    arrivals: list[float] = []
    replies = [HttpError(429, body=body), Reply("Answer after the wait.")]

    def responder(_request: RecordedRequest) -> HttpError | Reply:
        arrivals.append(time.monotonic())
        return replies[len(arrivals) - 1]

    with FakeProviderServer(responder=responder) as server:
        argv = ["--backend", "gemini", "--base-url", server.gemini_base_url, "--no-display", "--no-logs", "q"]
        code, out, err = massgen(argv, tmp_path, monkeypatch, capsys)
    assert code == 0, err
    assert out.strip() == "Answer after the wait."
    assert len(arrivals) == 2 and arrivals[1] - arrivals[0] >= 1.5  # the core waited as asked


def test_a_bad_key_from_the_cli_names_both_env_vars(tmp_path: Path) -> None:
    with FakeProviderServer(api_key="right") as server:
        done = run_massgen(
            "--backend",
            "gemini",
            "--base-url",
            server.gemini_base_url,
            "--no-display",
            "q",
            cwd=tmp_path,
            env={"GOOGLE_API_KEY": "AIza-wrong-1234567"},
        )
    assert done.returncode != 0
    assert "GOOGLE_API_KEY or GEMINI_API_KEY" in done.stderr and "AIza-wrong-1234567" not in done.stderr
    assert "Traceback" not in done.stderr


def test_backends_lists_gemini(tmp_path: Path) -> None:
    listing = run_massgen("backends", cwd=tmp_path)
    assert listing.returncode == 0 and "gemini" in listing.stdout
    detail = run_massgen("backends", "gemini", cwd=tmp_path)
    for text in ("GOOGLE_API_KEY, GEMINI_API_KEY", "gemini-2.5-pro", "enable_web_search", "api_version"):
        assert text in detail.stdout
    table = run_massgen("capabilities", "--format", "markdown", cwd=tmp_path).stdout
    header, _rule, *rows = table.splitlines()
    column = header.split(" | ").index("Gemini")
    cells = {row.split(" | ")[0].strip("|* "): row.split(" | ")[column] for row in rows}
    assert cells["Web Search"] == cells["Code Execution"] == cells["MCP Support"] == "✅"
    assert cells["Filesystem"].startswith("✅") and cells["Image"] == "✅ Understanding"


def team_members() -> list[tuple[str, dict[str, Any]]]:
    """The mixed team: Gemini with web search, an OpenAI-compatible agent, and Claude when its
    plugin is installed."""
    members: list[tuple[str, dict[str, Any]]] = [
        ("researcher", {"type": "gemini", "model": MODEL, "enable_web_search": True}),
        ("generalist", {"type": "chatcompletion", "model": "gpt-4o"}),
    ]
    if "claude" in installed_registry().backends:
        members.append(("writer", {"type": "claude", "model": "claude-sonnet-4-20250514"}))
    return members


def test_a_mixed_team_with_a_web_searching_gemini_agent_coordinates(tmp_path: Path) -> None:
    answers = dict(ANSWERS) | {"claude-sonnet-4-20250514": "Paris is France's capital city."}
    members = team_members()
    with FakeProviderServer(responder=coordinating(answers, [SEARCH])) as server:
        urls = {"gemini": server.gemini_base_url, "claude": server.anthropic_base_url}
        agents = [
            {
                "id": name,
                "backend": backend
                | {"base_url": urls.get(backend["type"], server.openai_base_url), "api_key": "k"},
            }
            for name, backend in members
        ]
        config = tmp_path / "team.yaml"
        config.write_text(json.dumps({"agents": agents}))
        done = run_massgen("--config", str(config), "--no-display", "Capital of France?", cwd=tmp_path)
        gemini_calls = server.model_calls(WireFormat.GEMINI)
        formats = {c.wire_format for c in server.model_calls()}
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == answers[MODEL]
    if any(backend["type"] == "claude" for _, backend in members):
        assert WireFormat.ANTHROPIC_MESSAGES in formats
    assert WireFormat.OPENAI_CHAT in formats  # the longest answer wins the votes
    assert "researcher" in done.stderr and "winner" in done.stderr
    assert "failed" not in done.stderr  # every member took part
    research = [c for c in gemini_calls if not c.tool_names]
    acting = [c for c in gemini_calls if "new_answer" in c.tool_names]
    assert research and acting  # searched, then answered and voted through the workflow tools
    assert all("fifa" not in prompt_text(c) for c in acting)
    assert any("https://gouv.example/paris" in json.dumps(c.json) for c in acting)
