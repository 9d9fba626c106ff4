"""An AG2 group chat as one MassGen agent: real AG2 patterns against the fake provider."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import massgen_core
import pytest
from ag2_testkit import CODE_OUTPUT, anyio_backend, config, fake, llm, messages_of, workdir  # noqa: F401
from massgen_core.plugin import BuiltinToolActivity, Usage
from massgen_core.testing.fake_provider import FakeProviderServer, RecordedRequest, Reply

pytestmark = pytest.mark.anyio


def system_of(request: RecordedRequest) -> str:
    return str(messages_of(request)[0].get("content", ""))


def outputs(events: list[Any]) -> list[Any]:
    return [e.event for e in events if getattr(e, "kind", None) == "agent_output"]


def group_agent(
    fake: FakeProviderServer, workspace: Path, pattern: dict[str, Any], **group: Any
) -> dict[str, Any]:
    return {
        "id": "team",
        "backend": {
            "type": "ag2",
            "cwd": str(workspace),
            "group_config": {
                "llm_config": llm(fake),
                "agents": [
                    {"name": "planner", "system_message": "PLANNER: plan the work."},
                    {"name": "coder", "type": "assistant", "system_message": "CODER: write Python."},
                    {
                        "name": "runner",
                        "system_message": "RUNNER: run the code.",
                        "code_execution_config": {"executor": {"timeout": 30}},
                    },
                ],
                "pattern": pattern,
                **group,
            },
        },
    }


def team_replies(request: RecordedRequest) -> Reply:
    system = system_of(request)
    last = str(messages_of(request)[-1].get("content", ""))
    if "select the next role" in last:  # the auto pattern's speaker selection: the next in turn
        previous = messages_of(request)[-2].get("name")
        return Reply({"planner": "coder", "coder": "runner"}.get(str(previous), "planner"))
    if system.startswith("PLANNER"):
        return Reply(
            "The answer is 42." if CODE_OUTPUT.split()[0] in last else "Plan: compute 6*7 in Python."
        )
    if system.startswith("CODER"):
        return Reply("```python\nprint(6 * 7)\n```")
    return Reply("nothing to run")


async def test_a_round_robin_group_runs_its_code_and_ends_at_max_rounds(
    fake: FakeProviderServer, workdir: Path
) -> None:
    fake.responder = team_replies
    events: list[Any] = []
    agent = group_agent(
        fake, workdir / "ws", {"type": "round_robin", "initial_agent": "planner"}, max_rounds=5
    )
    result = await massgen_core.run(config(agent), "What is 6*7?", on_event=events.append)
    assert result.final_answer == "The answer is 42."
    out = outputs(events)
    speakers = [
        (e.status, e.query) for e in out if isinstance(e, BuiltinToolActivity) and e.tool == "group_chat"
    ]
    assert speakers == [
        ("started", "planner"), ("completed", "planner"),
        ("started", "coder"), ("completed", "coder"),
        ("started", "runner"), ("completed", "runner"),
        ("started", "planner"), ("completed", "planner"),
    ]  # fmt: skip
    code = [e for e in out if isinstance(e, BuiltinToolActivity) and e.tool == "code_execution"]
    assert [e.status for e in code] == ["started", "completed"] and "42" in (code[1].output or "")
    calls = fake.model_calls()
    assert [system_of(r).split(":")[0] for r in calls] == ["PLANNER", "CODER", "PLANNER"]
    assert messages_of(calls[2])[-1]["content"].startswith(CODE_OUTPUT)
    assert len([e for e in out if isinstance(e, Usage)]) == 3 == result.usage["team"].requests


async def test_an_auto_group_picks_speakers_with_the_managers_model(
    fake: FakeProviderServer, workdir: Path
) -> None:
    fake.responder = team_replies
    events: list[Any] = []
    agent = group_agent(fake, workdir / "ws", {"type": "auto", "initial_agent": "planner"}, max_rounds=5)
    result = await massgen_core.run(config(agent), "What is 6*7?", on_event=events.append)
    assert result.final_answer == "The answer is 42."
    selections = [
        r for r in fake.model_calls() if "select the next role" in str(messages_of(r)[-1].get("content"))
    ]
    assert len(selections) == 3
    # every call, speaker selection included, is counted
    assert result.usage["team"].requests == len(fake.model_calls()) == 6
