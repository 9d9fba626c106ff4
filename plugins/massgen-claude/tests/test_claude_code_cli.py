"""claude_code end to end: the real Claude Code CLI bundled in claude-agent-sdk, driven by the
core's fake provider over loopback HTTP (Anthropic wire format).

Each model call starts nothing new, but each request to the backend starts the CLI once (about
1-2 s here); the module takes about a minute. Every test checks that no CLI process is left.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from claude_code_testkit import (
    FAULT_SERVER,
    alive,
    call,
    claude_code_pids,
    claude_tool_results,
    claude_user_text,
    is_claude_code,
    steps,
    workflow_tools,
)
from massgen_core.plugin import (
    AuthenticationError,
    BackendError,
    ConfigError,
    Done,
    Message,
    ReasoningDelta,
    TextDelta,
    Timeouts,
    Usage,
)
from massgen_core.testing.backends import build_backend, chat_request, collect, of_type
from massgen_core.testing.cli import run_massgen
from massgen_core.testing.fake_provider import (
    FakeProviderServer,
    Fault,
    HttpError,
    Malformed,
    Reasoning,
    RecordedRequest,
    Reply,
    Stall,
    StreamError,
)
from massgen_core.testing.scripted import coordination_reply, shown_answers

pytest.importorskip("claude_agent_sdk")

from massgen_core import run_sync
from massgen_core.plugin import sandbox_available as landlock_available

TIMEOUTS = {"first_event_timeout": 60, "idle_timeout": 60, "request_timeout": 120}
CODER = "Paris is the capital of France; the Seine runs through it."
CHAT = "Paris."


@pytest.fixture(autouse=True)
def no_cli_left() -> Iterator[None]:
    """Every test ends with no Claude Code CLI process of this test process alive."""
    yield
    deadline = time.monotonic() + 5
    while claude_code_pids() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not claude_code_pids(), "a Claude Code CLI process outlived its run"


def claude_block(server: FakeProviderServer, **more: Any) -> dict[str, Any]:
    return {
        "type": "claude_code",
        "model": "claude-sonnet-4-6",
        "base_url": server.anthropic_base_url,
        "api_key": "test-key",
        **more,
    }


def as_claude_code(spec: dict[str, Any]) -> Reply:
    """A coordination reply spec as Claude Code calls MassGen's tools (``mcp__massgen__...``)."""
    calls = [call(f"mcp__massgen__{c['name']}", **c["arguments"]) for c in spec.get("tool_calls", ())]
    return Reply(spec.get("text", ""), tool_calls=calls)


# -- the massgen command ------------------------------------------------------------------------
def test_massgen_backend_claude_code_answers_through_the_cli(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with FakeProviderServer(responder=lambda r: Reply(f"Claude Code says: {claude_user_text(r)}")) as server:
        started = time.monotonic()
        result = run_massgen(
            "--backend",
            "claude_code",
            "--base-url",
            server.anthropic_base_url,
            "--no-display",
            "What is 2+2?",
            env={"ANTHROPIC_API_KEY": "test-key", "HOME": str(home)},
            cwd=tmp_path,
        )
        elapsed = time.monotonic() - started
        calls = server.model_calls()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Claude Code says: What is 2+2?"
    assert calls and all(is_claude_code(c) and c.path == "/v1/messages" for c in calls)
    assert {c.model for c in calls} == {"claude-sonnet-5-5"}  # the backend's default model
    assert not (home / ".claude").exists()  # Claude Code's state stayed in the run's own folder
    assert elapsed < 60


def test_a_missing_key_names_the_variable(tmp_path: Path) -> None:
    result = run_massgen(
        "--backend", "claude_code", "--no-display", "hi", env={"ANTHROPIC_API_KEY": ""}, cwd=tmp_path
    )
    assert result.returncode != 0
    assert "ANTHROPIC_API_KEY" in result.stderr


# -- coordination -----------------------------------------------------------------------------
def coordinating(coder: Callable[[RecordedRequest], Reply]) -> Callable[[RecordedRequest], Reply]:
    """Claude Code requests go to ``coder``; the chatcompletion agent answers CHAT and votes for
    the longest answer."""

    def reply(request: RecordedRequest) -> Reply:
        if is_claude_code(request):
            return coder(request)
        spec = coordination_reply(request.last_user_text or "", request.tool_names, answer=CHAT)
        calls = [call(c["name"], **c["arguments"]) for c in spec.get("tool_calls", ())]
        return Reply(spec.get("text", ""), tool_calls=calls)

    return reply


def team(server: FakeProviderServer, coder: dict[str, Any], **settings: Any) -> dict[str, Any]:
    chat = {
        "type": "chatcompletion",
        "model": "gpt-4o",
        "base_url": server.openai_base_url,
        "api_key": "test-key",
    }
    return {
        "agents": [{"id": "coder", "backend": coder}, {"id": "chat", "backend": chat}],
        "timeout_settings": TIMEOUTS,
        **settings,
    }


def coordinating_turn(request: RecordedRequest) -> bool:
    return bool({"new_answer", "vote"} & workflow_tools(request))


def simple_coder(request: RecordedRequest) -> Reply:
    return as_claude_code(
        coordination_reply(claude_user_text(request), workflow_tools(request), answer=CODER)
    )


def test_claude_code_and_an_openai_compatible_agent_coordinate_to_a_final_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with FakeProviderServer(responder=coordinating(simple_coder)) as server:
        result = run_sync(team(server, claude_block(server)), "What is the capital of France?")
        claude_calls = [c for c in server.model_calls() if is_claude_code(c)]
    assert result.end_reason == "consensus", result.summary
    assert result.winner == "coder" and result.final_answer == CODER
    assert result.answers["coder"] == CODER
    assert result.vote_counts == {"coder": 2}
    # one Claude Code model call per turn: the workflow call stopped the CLI each time
    offered = [workflow_tools(c) & {"new_answer", "vote"} for c in claude_calls]
    assert offered == [{"new_answer"}, {"new_answer", "vote"}, set()]  # answer, vote, present
    assert result.usage["coder"].usage.input_tokens > 0


# -- files: the workspace, context paths, protected paths ---------------------------------------
def test_claude_codes_file_tools_follow_the_workspace_context_and_protected_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    (project / "keep.txt").write_text("original")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    workspace = tmp_path / "ws"
    coordination_steps = [
        call("Write", file_path="notes.txt", content="inside"),  # the workspace: allowed
        call("Write", file_path=str(project / "early.txt"), content="x"),  # context path, not final yet
        call("Write", file_path=str(outside / "escape.txt"), content="x"),  # outside every root
        call("Edit", file_path=str(project / "keep.txt"), old_string="original", new_string="changed"),
        call("Read", file_path=str(project / "keep.txt")),  # reading context paths is allowed
        call("Bash", command=f"echo x > {outside / 'bash.txt'}; echo exit=$?"),  # kernel-confined
    ]
    presentation_steps = [
        call("Write", file_path=str(project / "final.txt"), content="final"),  # the final agent may
        call("Write", file_path=str(project / "keep.txt"), content="x"),  # protected, always
    ]

    def coder(request: RecordedRequest) -> Reply:
        done = len(claude_tool_results(request))
        if not coordinating_turn(request):  # the final presentation
            script = [Reply("", tool_calls=[s]) for s in presentation_steps] + [Reply(CODER)]
            return script[min(done, len(script) - 1)]
        answers = shown_answers(claude_user_text(request))
        if CODER not in answers.values() and done < len(coordination_steps):
            return Reply("", tool_calls=[coordination_steps[done]])
        return simple_coder(request)

    with FakeProviderServer(responder=coordinating(coder)) as server:
        config = team(
            server,
            claude_block(server, cwd=str(workspace), permission_mode="bypassPermissions", is_sandbox=True),
            orchestrator={
                "context_paths": [
                    {"path": str(project), "permission": "write", "protected_paths": ["keep.txt"]}
                ]
            },
        )
        result = run_sync(config, "Write the notes.")
        claude_calls = [c for c in server.model_calls() if is_claude_code(c)]
    assert result.winner == "coder" and result.final_answer == CODER, result.summary
    offered = set(claude_calls[0].tool_names)
    assert {"Read", "Write", "Edit"} <= offered  # Claude Code's own file tools, and not MassGen's too
    assert not {"mcp__massgen__read_file", "mcp__massgen__write_file"} & offered, sorted(offered)
    assert (workspace / "notes.txt").read_text() == "inside"
    assert not (project / "early.txt").exists()
    assert not (outside / "escape.txt").exists()
    assert (project / "keep.txt").read_text() == "original"
    assert (project / "final.txt").read_text() == "final"
    coordination = max((claude_tool_results(c) for c in claude_calls if coordinating_turn(c)), key=len)
    outcomes = [is_error for _text, is_error in coordination[: len(coordination_steps)]]
    assert outcomes[:5] == [False, True, True, True, False], coordination
    assert "read-only" in coordination[1][0] and "final agent" in coordination[1][0]
    assert "outside" in coordination[2][0]
    assert "protected" in coordination[3][0]
    assert "original" in coordination[4][0]
    if landlock_available():  # Bash ran, and the kernel refused the write outside
        assert not (outside / "bash.txt").exists()
        assert "exit=1" in coordination[5][0]
    presentation = max((claude_tool_results(c) for c in claude_calls if not coordinating_turn(c)), key=len)
    assert [e for _t, e in presentation] == [False, True], presentation
    assert "protected" in presentation[1][0]


# -- MCP ----------------------------------------------------------------------------------------
@pytest.mark.skipif(not FAULT_SERVER.exists(), reason="needs the core's test MCP server (tests/mcp_servers)")
def test_an_mcp_server_in_dictionary_form_is_reached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    servers = {"fault": {"type": "stdio", "command": sys.executable, "args": [str(FAULT_SERVER)]}}
    responder = steps(
        Reply("", tool_calls=[call("mcp__fault__echo", text="from Claude Code")]), Reply("done")
    )
    with FakeProviderServer(responder=responder) as server:
        config = {"agent": {"id": "solo", "backend": claude_block(server, mcp_servers=servers)}}
        result = run_sync(config, "Use the echo tool.")
        last = server.model_calls()[-1]
    assert result.final_answer == "done"
    assert "mcp__fault__echo" in last.tool_names  # offered under its own name
    assert claude_tool_results(last) == [("echo: from Claude Code", False)]


# -- the examples --------------------------------------------------------------------------------
EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("claude_code_*.yaml"))


def pointed_at(path: Path, server: FakeProviderServer, tmp_path: Path) -> Path:
    from ruamel.yaml import YAML

    data: dict[str, Any] = YAML(typ="safe").load(path.read_text())
    for agent in data["agents"] if "agents" in data else [data["agent"]]:
        backend = agent["backend"]
        anthropic = backend["type"] in ("claude", "claude_code")
        backend |= {
            "base_url": server.anthropic_base_url if anthropic else server.openai_base_url,
            "api_key": "test-key",
        }
    copy = tmp_path / path.name
    copy.write_text(json.dumps(data))  # JSON is YAML
    return copy


def everyone_answers_coder(request: RecordedRequest) -> Reply:
    """Every agent gives CODER and votes for the longest answer; Claude Code by MCP names."""
    if is_claude_code(request):
        return simple_coder(request)
    spec = coordination_reply(request.last_user_text or "", request.tool_names, answer=CODER)
    return Reply(
        spec.get("text", ""),
        tool_calls=[call(c["name"], **c["arguments"]) for c in spec.get("tool_calls", ())],
    )


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_validates_and_runs_from_the_cli(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from massgen_core.testing.cli import massgen_main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    assert massgen_main("validate", str(path)) == 0
    assert "valid" in capsys.readouterr().out
    with FakeProviderServer(responder=everyone_answers_coder) as server:
        code = massgen_main(
            "--config", str(pointed_at(path, server, tmp_path)), "Q?", "--no-display", "--no-logs"
        )
        out, err = capsys.readouterr()
        assert code == 0, err
        assert out.strip() == CODER
        assert any(is_claude_code(c) for c in server.model_calls())
        assert not server.handler_errors


# -- sessions, errors, stopping -----------------------------------------------------------------
def claude_code(server: FakeProviderServer, **options: Any) -> Any:
    return build_backend(
        "claude_code",
        timeouts=Timeouts(first_event=60, idle=60, total=120),
        model="claude-sonnet-4-6",
        base_url=server.anthropic_base_url,
        api_key="test-key",
        **options,
    )


@pytest.mark.anyio
async def test_the_next_turn_resumes_the_claude_code_session() -> None:
    with FakeProviderServer() as server:
        server.enqueue(Reply("The answer is 4."), Reply("Yes, 4."))
        backend = claude_code(server)
        try:
            first = await collect(backend.stream(chat_request("What is 2+2?")))
            done = of_type(first, Done)[0]
            assert done.message is not None and done.message.text == "The answer is 4."
            follow_up = [Message.user("What is 2+2?"), done.message, Message.user("Are you sure?")]
            second = await collect(backend.stream(chat_request(*follow_up)))
        finally:
            await backend.aclose()
        calls = server.model_calls()
    assert "".join(e.text for e in of_type(second, TextDelta)) == "Yes, 4."
    sent = [m for m in calls[-1].json["messages"] if m.get("role") in ("user", "assistant")]
    texts = [b.get("text", "") for m in sent for b in m["content"] if isinstance(b, dict)]
    assert any("The answer is 4." in t for t in texts)  # the earlier turn, from Claude Code's session
    assert claude_user_text(calls[-1]) == "Are you sure?"


@pytest.mark.anyio
async def test_thinking_streams_as_reasoning_and_usage_is_reported() -> None:
    with FakeProviderServer() as server:
        server.enqueue(Reply("Four.", reasoning=Reasoning("Two plus two is four.", signature="sig")))
        backend = claude_code(server, max_thinking_tokens=2048)
        try:
            events = await collect(backend.stream(chat_request("What is 2+2?")))
        finally:
            await backend.aclose()
        sent = server.model_calls()[-1].json
    assert "".join(e.text for e in of_type(events, ReasoningDelta)) == "Two plus two is four."
    assert "".join(e.text for e in of_type(events, TextDelta)) == "Four."
    assert sent["thinking"]["type"] in ("enabled", "adaptive")  # adaptive models take it as "on"
    assert of_type(events, Usage)[0].input_tokens > 0


@pytest.mark.anyio
async def test_an_api_error_is_the_cores_error_naming_the_key() -> None:
    with FakeProviderServer(responder=lambda r: HttpError(401, invalid_api_key=True)) as server:
        backend = claude_code(server)
        try:
            with pytest.raises(AuthenticationError, match="ANTHROPIC_API_KEY"):
                await collect(backend.stream(chat_request("hi")))
        finally:
            await backend.aclose()


@pytest.mark.anyio
@pytest.mark.parametrize(
    "fault", [StreamError(after=1), Malformed(after=2)], ids=["error-event", "malformed"]
)
async def test_a_stream_that_fails_midway_is_the_cores_error_and_not_sent_again(fault: Fault) -> None:
    """Claude Code would re-send the call without streaming and answer from that; with its
    fallback off the failure reaches the core (which alone decides to retry), after one call."""
    with FakeProviderServer() as server:
        server.enqueue(Reply("Half an answer that breaks.", text_chunks=4, fault=fault))
        backend = claude_code(server)
        try:
            with pytest.raises(BackendError) as info:
                await collect(backend.stream(chat_request("hi")))
        finally:
            await backend.aclose()
        calls = server.model_calls()
    assert len(calls) == 1 and calls[0].stream, [c.stream for c in calls]
    assert str(info.value).startswith("claude_code: ") and "Traceback" not in str(info.value)


@pytest.mark.anyio
async def test_cancelling_a_request_stops_the_cli() -> None:
    with FakeProviderServer(responder=lambda r: Reply("never", fault=Stall(after=0))) as server:
        backend = claude_code(server)
        task = asyncio.create_task(collect(backend.stream(chat_request("hi"))))
        deadline = time.monotonic() + 30
        while not server.model_calls() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        running = claude_code_pids()
        assert running, "the CLI should be waiting for the model"
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert not alive(running)
        await backend.aclose()


def test_a_timeout_stops_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    seen: list[set[int]] = []

    def stall(request: RecordedRequest) -> Reply:
        seen.append(claude_code_pids())
        return Reply("never", fault=Stall(after=0))

    with FakeProviderServer(responder=stall) as server:
        config = {
            "agent": {"id": "solo", "backend": claude_block(server)},
            "timeout_settings": {"first_event_timeout": 4, "request_timeout": 8},
        }
        with pytest.raises(Exception, match=r"(?i)time"):
            run_sync(config, "hi")
    assert seen and seen[0]
    assert not alive(set().union(*seen))


def test_a_cli_path_that_does_not_exist_is_a_clear_error(tmp_path: Path) -> None:
    with FakeProviderServer() as server, pytest.raises(ConfigError, match="cli_path") as info:
        claude_code(server, cli_path=str(tmp_path / "no-claude"))
    assert "no-claude" in str(info.value)
