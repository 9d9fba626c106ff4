"""A Team keeps its agents' MCP servers up across questions; each question is its own run."""

from __future__ import annotations

import asyncio
import io
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp_servers.registry import FAULT_SERVER

import massgen_core
from massgen_core import Team
from massgen_core.plugin.stream import ToolResult
from massgen_core.runtime.coordination import CoordinationEvent
from massgen_core.runtime.coordination.events import AgentNotice, AgentOutput
from massgen_core.testing.cli import run_massgen
from massgen_core.tools.sandbox import available as landlock_available

CALLS = {"tool_calls": [{"name": "mcp__fault__calls", "arguments": {}}]}
ECHO = {"tool_calls": [{"name": "mcp__fault__echo", "arguments": {"text": "hi"}}]}


def config(replies: list[Any]) -> dict[str, Any]:
    return {
        "agent": {
            "id": "solo",
            "backend": {
                "type": "scripted",
                "mcp_servers": [{"name": "fault", "command": sys.executable, "args": [str(FAULT_SERVER)]}],
                "replies": replies,
            },
        },
        "ui": {"logging_enabled": False},
    }


def tool_outputs(events: list[CoordinationEvent]) -> list[str]:
    return [e.event.output for e in events if isinstance(e, AgentOutput) and isinstance(e.event, ToolResult)]


def notices(events: list[CoordinationEvent]) -> list[str]:
    return [e.message for e in events if isinstance(e, AgentNotice)]


async def collect(team: Team, question: str) -> list[CoordinationEvent]:
    return [event async for event in team.coordinate(question)]


def test_later_questions_reuse_the_servers_and_count_their_own_usage() -> None:
    async def main() -> tuple[list[CoordinationEvent], ...]:
        replies = [ECHO, "first answer", CALLS, "second answer"]
        team = Team(config(replies))
        async with team:
            first = await collect(team, "one?")
            second = await collect(team, "two?")
        third = await collect(team, "three?")  # after closing, a question sets everything up anew
        await team.aclose()
        return first, second, third

    first, second, third = asyncio.run(main())
    assert tool_outputs(first) == ["echo: hi"]
    assert any("connected with" in n for n in notices(first))
    # the same server process answered the second question: it remembers the first's echo call
    (second_calls,) = tool_outputs(second)
    assert second_calls.startswith("calls=1 pid=")
    assert not any("connected with" in n for n in notices(second))
    assert tool_outputs(third) == ["echo: hi"]  # a new backend, from its first reply
    assert any("connected with" in n for n in notices(third))  # and a new server
    results = [events[-1].result for events in (first, second, third)]  # type: ignore[attr-defined]
    assert [r.final_answer for r in results] == ["first answer", "second answer", "first answer"]
    assert [r.total_usage.requests for r in results] == [2, 2, 2]  # not accumulated across questions


def test_a_team_answers_one_question_at_a_time() -> None:
    async def main() -> None:
        async with Team(config(["slow", "fast"])) as team:
            first = team.coordinate("one?")
            await anext(first)
            with pytest.raises(RuntimeError, match="one question at a time"):
                await anext(team.coordinate("two?"))
            await first.aclose()
            assert (await team.run("two?")).final_answer == "fast"

    asyncio.run(main())


def test_interactive_mode_keeps_mcp_servers_up_between_questions(tmp_path: Path) -> None:
    file = tmp_path / "team.yaml"
    cfg = config([ECHO, "first answer", CALLS, "second answer"])
    cfg["ui"] = {"logging_enabled": True}
    file.write_text(json.dumps(cfg))  # JSON is YAML
    proc = run_massgen("--config", str(file), "--no-display", cwd=tmp_path, input="one?\ntwo?\n/quit\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "first answer\n\nsecond answer\n"  # piped: a blank line between answers
    logs = sorted((tmp_path / ".massgen" / "logs").iterdir())
    assert len(logs) == 2
    second_run = (logs[1] / "events.jsonl").read_text()
    assert re.search(r"calls=1 pid=\d+", second_run), second_run


@pytest.mark.skipif(
    not landlock_available(), reason="Landlock is not available (execute_command is confined)"
)
def test_a_later_question_keeps_the_scratch_directory_its_commands_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the run's .massgen folder goes here
    check = {
        "tool_calls": [
            {
                "name": "mcp__command_line__execute_command",
                "arguments": {"command": 'test -d "$TMPDIR" && mktemp >/dev/null && echo scratch-ok'},
            }
        ]
    }
    cfg = {
        "agent": {
            "id": "solo",
            "backend": {
                "type": "scripted",
                "cwd": "workspace",
                "enable_mcp_command_line": True,
                "replies": [check, "first answer", check, "second answer"],
            },
        },
        "ui": {"logging_enabled": False},
    }

    async def main() -> list[list[CoordinationEvent]]:
        async with Team(cfg) as team:
            return [await collect(team, "one?"), await collect(team, "two?")]

    first, second = asyncio.run(main())
    for events in (first, second):
        (output,) = tool_outputs(events)
        assert output.splitlines()[-1] == "scratch-ok", output  # the command's own output, not its echo


def test_runs_at_once_in_one_process_each_log_only_their_own_records(tmp_path: Path) -> None:
    """A server or a batch runs several questions in one process: each run's massgen.log.jsonl
    holds its own records, not its neighbours'. One handler on the shared logger passes each
    record to its run's file, so a record costs the same however many runs go on at once."""
    import logging

    from massgen_core.records.runlog import configure_logging

    configure_logging(stream=io.StringIO())
    handlers = len(logging.getLogger("massgen").handlers)
    config = {
        "agents": [
            {"id": a, "backend": {"type": "scripted", "then": "coordinate", "answer": a, "chunk_delay": 0.01}}
            for a in "ab"
        ]
    }

    def count(_event: object) -> None:
        during.append(len(logging.getLogger("massgen").handlers))

    async def main() -> None:
        await asyncio.gather(
            *(
                massgen_core.run(config, f"question {i}", log_dir=tmp_path / f"run{i}", on_event=count)
                for i in range(4)
            )
        )

    during: list[int] = []
    asyncio.run(main())
    assert max(during) <= handlers + 1  # not one more per run going on
    assert len(logging.getLogger("massgen").handlers) <= handlers + 1
    for i in range(4):
        records = [
            json.loads(line) for line in (tmp_path / f"run{i}/massgen.log.jsonl").read_text().splitlines()
        ]
        questions = {r["question"] for r in records if "question" in r}
        assert questions == {f"question {i}"}, questions


def test_load_backends_imports_the_backends_and_makes_the_shared_tls_context() -> None:
    """What a server does before it forks its workers, so that they share it all."""
    from massgen_core.plugin.http import shared_ssl_context

    shared_ssl_context.cache_clear()
    massgen_core.Team({"agents": [{"id": "a", "backend": {"type": "scripted"}}]}).load_backends()
    assert shared_ssl_context.cache_info().currsize == 1


def test_a_finished_run_frees_its_agents_without_waiting_for_the_garbage_collector() -> None:
    """No reference cycle keeps a run's agents (their backends, contexts, environment copies)
    alive after it: a server frees each run as it ends, not at the next full collection."""
    import gc

    from massgen_core.runtime.agent import Agent

    config = {
        "agents": [
            {"id": a, "backend": {"type": "scripted", "then": "coordinate", "answer": a}} for a in "abc"
        ]
    }
    massgen_core.run_sync(config, "warm up")
    gc.collect()
    gc.disable()
    try:
        for i in range(3):
            massgen_core.run_sync(config, f"question {i}")
        alive = [o for o in gc.get_objects() if isinstance(o, Agent)]
    finally:
        gc.enable()
    assert alive == []
