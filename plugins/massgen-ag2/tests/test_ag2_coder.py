"""A single AG2 coder agent: its code blocks run in its workspace through execute_command and
the output goes back to the model (real AG2 against the fake provider, MassGen's Python API)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import massgen_core
import pytest
from ag2_testkit import CODE_OUTPUT, anyio_backend, config, fake, llm, messages_of, workdir  # noqa: F401
from massgen_core.plugin import BuiltinToolActivity, TextDelta, Usage
from massgen_core.testing.fake_provider import FakeProviderServer, RecordedRequest, Reply

pytestmark = pytest.mark.anyio

CODE = "import os\nprint('cwd', os.getcwd())\nprint(6 * 7)\n"


def coder(fake: FakeProviderServer, workspace: Path, **backend: Any) -> dict[str, Any]:
    return {
        "id": "coder",
        "backend": {
            "type": "ag2",
            "cwd": str(workspace),
            "agent_config": {
                "type": "assistant",
                "name": "AG2_coder",
                "system_message": "You are a coding assistant.",
                "llm_config": llm(fake),
                "code_execution_config": {
                    "executor": {"type": "LocalCommandLineCodeExecutor", "timeout": 30, "work_dir": "code"}
                },
            },
            **backend,
        },
    }


def writes_code_then_reports(request: RecordedRequest) -> Reply:
    last = messages_of(request)[-1]
    if str(last.get("content", "")).startswith("exitcode:"):
        return Reply("The program printed 42.")
    return Reply(f"I will compute it.\n```python\n{CODE}```\n")


def agent_outputs(events: list[Any]) -> list[Any]:
    return [e.event for e in events if getattr(e, "kind", None) == "agent_output"]


async def test_the_coders_code_runs_in_its_workspace_and_the_output_goes_back(
    fake: FakeProviderServer, workdir: Path
) -> None:
    fake.responder = writes_code_then_reports
    workspace = workdir / "ws"
    events: list[Any] = []
    result = await massgen_core.run(config(coder(fake, workspace)), "What is 6*7?", on_event=events.append)
    requests = fake.model_calls()
    assert len(requests) == 2
    fed_back = messages_of(requests[1])[-1]["content"]
    assert fed_back.startswith(CODE_OUTPUT)
    assert f"cwd {(workspace / 'code').resolve()}" in fed_back and "42" in fed_back
    assert [p.name for p in (workspace / "code").iterdir()] == [
        next(p.name for p in (workspace / "code").iterdir() if p.name.startswith("tmp_code_"))
    ]
    assert result.final_answer.endswith("The program printed 42.")
    outputs = agent_outputs(events)
    code = [e for e in outputs if isinstance(e, BuiltinToolActivity) and e.tool == "code_execution"]
    assert [e.status for e in code] == ["started", "completed"]
    assert code[0].code == CODE.strip() and "42" in (code[1].output or "")
    # streamed live: the first reply's text arrives before its code runs, the second's after
    texts = [i for i, e in enumerate(outputs) if isinstance(e, TextDelta)]
    assert texts[0] < outputs.index(code[0]) < texts[-1]
    assert len([e for e in outputs if isinstance(e, Usage)]) == 2
    assert result.usage["coder"].requests == 2 and result.usage["coder"].usage.output_tokens > 0


async def test_with_execute_command_excluded_the_code_is_not_run_and_the_model_is_told(
    fake: FakeProviderServer, workdir: Path
) -> None:
    fake.responder = writes_code_then_reports
    agent = coder(fake, workdir / "ws", exclude_tools=["mcp__command_line__execute_command"])
    await massgen_core.run(config(agent), "What is 6*7?")
    fed_back = messages_of(fake.model_calls()[1])[-1]["content"]
    assert fed_back.startswith("exitcode: 1 (execution failed)")
    assert "execute_command is excluded" in fed_back
    assert not (workdir / "ws" / "code").exists()


async def test_a_command_the_policy_refuses_is_not_run(fake: FakeProviderServer, workdir: Path) -> None:
    def shell_then_report(request: RecordedRequest) -> Reply:
        last = messages_of(request)[-1]
        if str(last.get("content", "")).startswith("exitcode:"):
            return Reply("done")
        return Reply("```sh\ntouch made_by_ag2\n```")

    fake.responder = shell_then_report
    agent = coder(fake, workdir / "ws", command_line_blocked_commands=["touch"])
    await massgen_core.run(config(agent), "Make a file.")
    fed_back = messages_of(fake.model_calls()[1])[-1]["content"]
    assert "exitcode: 1 (execution failed)" in fed_back and "blocked pattern" in fed_back
    assert not list((workdir / "ws").rglob("made_by_ag2"))
