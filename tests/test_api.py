"""The Python API: run / run_sync / coordinate with config objects, mappings and files."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from massgen_core.config import load_config
from massgen_core.records.sessions import SessionStore
from massgen_core.runtime.api import coordinate, run, run_sync
from massgen_core.runtime.coordination import AgentFailed, CoordinationError, RunFinished, RunResult

EXAMPLES = Path(__file__).parent.parent / "examples"
EXAMPLE = EXAMPLES / "scripted_three_agents.yaml"


def team(*answers: str, **extra: Any) -> dict[str, Any]:
    agents = [
        {"id": f"agent_{i}", "backend": {"type": "scripted", "then": "coordinate", "answer": a}}
        for i, a in enumerate(answers)
    ]
    return {"agents": agents, **extra}


def test_run_sync_with_a_mapping() -> None:
    result = run_sync(team("short", "the longest answer", "medium one"), "Q?")
    assert isinstance(result, RunResult)
    assert result.winner == "agent_1" and result.final_answer == "the longest answer"
    assert result.vote_counts == {"agent_1": 3}
    assert result.votes["agent_0"].target == "agent_1"
    assert result.total_usage.requests == 7 and result.usage["agent_1"].requests == 3
    assert result.cost is None  # the scripted backend has no prices: unknown, not zero
    json.dumps(result.to_dict())


def test_run_with_a_file_and_an_object() -> None:
    by_path = asyncio.run(run(EXAMPLE, "What is the capital of France?"))
    by_object = asyncio.run(run(load_config(EXAMPLE), "What is the capital of France?"))
    assert by_path.winner == by_object.winner == "scripted_c"
    assert "Paris" in by_path.final_answer


def test_coordinate_yields_events_ending_with_the_result() -> None:
    async def go() -> list[Any]:
        return [e async for e in coordinate(team("a", "bb"), "Q?")]

    events = asyncio.run(go())
    assert events[0].kind == "run_started" and isinstance(events[-1], RunFinished)
    kinds = {e.kind for e in events}
    assert {
        "turn_started",
        "agent_output",
        "answer",
        "vote",
        "coordination_ended",
        "presentation_started",
    } <= kinds


def test_config_settings_reach_the_orchestrator() -> None:
    config = team(
        "a",
        "bb",
        orchestrator={
            "coordination": {"enable_planning_mode": True, "planning_mode_instruction": "Only plan."}
        },
    )

    async def go() -> list[Any]:
        return [e async for e in coordinate(config, "Q?")]

    started = asyncio.run(go())[0]
    assert started.planning_mode


def test_an_agent_whose_backend_cannot_be_built_fails_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    config = team("a", "bb")
    config["agents"].append({"id": "ghost", "backend": {"type": "scripted"}})

    from massgen_core.runtime import assemble

    real = assemble._build_backend

    def build(registry: Any, agent: Any, cfg: Any, environ: Any, box: Any) -> Any:
        if agent.id == "ghost":
            from massgen_core.plugin.provider_errors import missing_api_key

            return assemble.UnavailableBackend(missing_api_key("openai", ["OPENAI_API_KEY"]))
        return real(registry, agent, cfg, environ, box)

    monkeypatch.setattr(assemble, "_build_backend", build)

    async def go() -> list[Any]:
        return [e async for e in coordinate(config, "Q?")]

    events = asyncio.run(go())
    (failed,) = [e for e in events if isinstance(e, AgentFailed)]
    assert failed.agent_id == "ghost" and "OPENAI_API_KEY" in failed.reason
    assert events[-1].result.winner == "agent_1"


def test_sessions_keep_turns_and_give_history(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "sessions")
    session = store.create()
    config = {"agent": {"id": "solo", "backend": {"type": "scripted"}}}  # echoes the question
    first = run_sync(config, "first question", session=session)
    assert first.final_answer == "first question"
    resumed = store.open(session.id)
    assert resumed.history() == [("first question", "first question")]

    async def second() -> RunResult:
        return await run(config, "second question", session=resumed, log_dir=tmp_path / "log")

    result = asyncio.run(second())
    assert result.final_answer == "second question"
    turns = store.latest().turns()  # type: ignore[union-attr]
    assert [t.number for t in turns] == [1, 2] and turns[1].status == "completed"
    assert turns[1].result is not None and turns[1].result["winner"] == "solo"
    assert (tmp_path / "log" / "final_answer.md").read_text() == "second question\n"
    events = [json.loads(line) for line in (tmp_path / "log" / "events.jsonl").read_text().splitlines()]
    assert events[0]["kind"] == "run_started" and events[-1]["kind"] == "run_finished"
    assert all("t" in e for e in events)


def test_a_failed_run_is_saved_with_its_error(tmp_path: Path) -> None:
    session = SessionStore(tmp_path).create()
    config = {
        "agent": {"id": "solo", "backend": {"type": "scripted", "replies": [{"error": "authentication"}]}}
    }
    with pytest.raises(CoordinationError):
        run_sync(config, "Q?", session=session)
    (turn,) = session.turns()
    assert turn.status == "failed" and "authentication" in (turn.error or "")
    assert session.history() == []


def test_a_cancelled_run_is_saved_as_cancelled(tmp_path: Path) -> None:
    session = SessionStore(tmp_path).create()
    config = team("a", "b")
    for agent in config["agents"]:
        agent["backend"]["replies"] = [{"text": "slow", "delay": 30}]

    async def go() -> None:
        async for event in coordinate(config, "Q?", session=session):
            if event.kind == "turn_started":
                raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(go())
    (turn,) = session.turns()
    assert turn.status == "cancelled" and turn.final_answer is None


@pytest.mark.parametrize("name", ["scripted_three_agents.yaml", "coordination_planning_and_bounds.yaml"])
def test_examples_run_offline(name: str) -> None:
    result = run_sync(EXAMPLES / name, "What should we do?")
    assert result.end_reason == "consensus" and "offline placeholder" in result.final_answer


def test_a_resumed_session_puts_earlier_turns_in_the_prompt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from massgen_core.runtime import assemble

    built: list[Any] = []
    real = assemble.build_agents

    def capture(*args: Any, **kwargs: Any) -> Any:
        agents = real(*args, **kwargs)
        built.extend(agents)
        return agents

    monkeypatch.setattr(assemble, "build_agents", capture)
    store = SessionStore(tmp_path)
    run_sync(team("a", "bb"), "first question", session=store.create())
    built.clear()
    run_sync(team("a", "bb"), "second question", session=store.latest())
    first_request = built[0].backend.requests[0]
    texts = [(m.role, m.text) for m in first_request.messages[1:-1]]
    assert texts == [("user", "first question"), ("assistant", "bb")]
    assert "second question" in first_request.messages[-1].text


def test_agents_get_their_toolbox_tools_and_instructions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plugin tools and MCP servers (the ``massgen_tools`` hook) reach the agent through the seam."""
    import sys

    from mcp_servers.registry import FAULT_SERVER

    from massgen_core.host.plugin_host import PluginHost
    from massgen_core.host.registry import Registry
    from massgen_core.plugin.hookspecs import hookimpl
    from massgen_core.plugin.specs import McpServerSpec, ToolContext, ToolSpec
    from massgen_core.runtime.assemble import assembled_agents

    class Offers:
        @hookimpl
        def massgen_tools(self, context: ToolContext) -> list[Any]:
            def shout(text: str) -> str:
                return text.upper()

            return [
                ToolSpec(name="shout", description="upper-case", function=shout, read_only=True),
                ToolSpec(name="hidden", description="excluded", function=shout),
                McpServerSpec(
                    name="files", command=sys.executable, args=(str(FAULT_SERVER),), allowed_tools=("echo",)
                ),
            ]

    monkeypatch.chdir(tmp_path)
    host = PluginHost(entry_points=False)
    host.register(Offers(), name="offers")
    registry = Registry(host)
    config = load_config(
        {
            "agents": [
                {
                    "id": "plain",
                    "system_message": "Be brief.",
                    "backend": {"type": "scripted", "exclude_tools": ["hidden"]},
                },
                {"id": "worker", "backend": {"type": "scripted", "cwd": "work", "allowed_tools": ["shout"]}},
            ]
        },
        registry=registry,
    )

    async def go() -> dict[str, tuple[list[str], str | None]]:
        async with assembled_agents(config, registry=registry) as assembled:
            return {a.id: (a.tools.names(), a.system_message) for a in assembled.agents}

    built = asyncio.run(go())
    assert built["plain"] == (["shout", "mcp__files__echo"], "Be brief.")
    names, system = built["worker"]
    assert names == ["shout"]
    assert (
        system is not None
        and f"Your workspace (read-write; relative paths start here): {tmp_path / 'work'}" in system
    )
    assert not host.failures
