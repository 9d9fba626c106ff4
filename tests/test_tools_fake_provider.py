"""Tools end to end with a real backend: ``openai`` agents (Responses API) on the fake provider.

The fake provider's responder plays each agent from what its request shows (the phase, the
answers, the results of the tools it called in this turn), so the runs do not depend on timing.
The builder calls an MCP server's tool and ``execute_command``, and writes to a
``permission: write`` context path in the final presentation; the reviewer reads the builder's
workspace through its read-only view of the snapshots. With planning mode, the same side
effects are refused during coordination and happen in the final presentation.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mcp_servers.registry import FAULT_SERVER

from massgen_core.host.registry import get_registry
from massgen_core.runtime.api import run_sync
from massgen_core.testing.fake_provider import FakeProviderServer, RecordedRequest, Reply, ToolCall
from massgen_core.testing.scripted import coordination_reply, shown_answers
from massgen_core.tools.sandbox import available as landlock_available

pytestmark = [
    pytest.mark.skipif("openai" not in get_registry().backends, reason="needs the massgen-openai plugin"),
    pytest.mark.skipif(not landlock_available(), reason="Landlock is not available (execute_command)"),
]

BUILDER, REVIEWER = "gpt-5", "gpt-4o"
ANSWERS = {
    BUILDER: "The build is done: build.txt holds the output, and REPORT.md will summarise it.",
    REVIEWER: "Build it and report.",
}
FINAL = "The report is written."
ECHO = "mcp__fault__echo"
EXECUTE = "mcp__command_line__execute_command"


# -- reading a Responses API request -------------------------------------------------------------
def tool_outputs(request: RecordedRequest) -> dict[str, list[str]]:
    """The results of the tools called so far in this turn, by tool name."""
    items = [i for i in request.json.get("input") or [] if isinstance(i, dict)]
    names = {i.get("call_id"): i.get("name") for i in items if i.get("type") == "function_call"}
    out: dict[str, list[str]] = {}
    for item in items:
        if item.get("type") == "function_call_output":
            out.setdefault(str(names.get(item.get("call_id"))), []).append(str(item.get("output")))
    return out


def system_text(request: RecordedRequest) -> str:
    items = [i for i in request.json.get("input") or [] if isinstance(i, dict)]
    texts = [str(i.get("content")) for i in items if i.get("role") in ("system", "developer")]
    return "\n".join([*texts, str(request.json.get("instructions") or "")])


def coordinating(request: RecordedRequest) -> bool:
    return "new_answer" in request.tool_names


def calls(*specs: tuple[str, dict[str, Any]]) -> Reply:
    return Reply("", tool_calls=tuple(ToolCall(name, args) for name, args in specs))


def played(request: RecordedRequest) -> Reply:
    """The simple coordinating agent of the scripted backend, for the given model."""
    spec = coordination_reply(
        request.last_user_text or "", request.tool_names, answer=ANSWERS[request.model or ""]
    )
    return Reply(
        spec["text"],
        tool_calls=tuple(ToolCall(c["name"], c["arguments"]) for c in spec.get("tool_calls", ())),
    )


Responder = Callable[[RecordedRequest], Reply]


def config(server: FakeProviderServer, project: Path, *, planning: bool = False) -> dict[str, Any]:
    def backend(model: str, **extra: Any) -> dict[str, Any]:
        return {
            "type": "openai",
            "model": model,
            "base_url": server.openai_base_url,
            "api_key": "test-key",
            **extra,
        }

    return {
        "agents": [
            {
                "id": "builder",
                "backend": backend(
                    BUILDER,
                    cwd="builder_ws",
                    enable_mcp_command_line=True,
                    mcp_servers=[{"name": "fault", "command": sys.executable, "args": [str(FAULT_SERVER)]}],
                ),
            },
            {"id": "reviewer", "backend": backend(REVIEWER, cwd="reviewer_ws")},
        ],
        "orchestrator": {
            "context_paths": [{"path": str(project), "permission": "write", "protected_paths": [".env"]}],
            "coordination": {"enable_planning_mode": planning},
        },
        "timeout_settings": {"first_event_timeout": 20, "request_timeout": 60},
        "ui": {"display_type": "simple", "logging_enabled": True},
    }


@pytest.fixture
def project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / ".env").write_text("KEY=1\n")
    (project / "README.md").write_text("the project\n")
    return project


# -- without planning mode: through the massgen command ----------------------------------------
def builder_and_reviewer(project: Path) -> Responder:
    def respond(request: RecordedRequest) -> Reply:
        done = tool_outputs(request)
        if request.model == BUILDER:
            if not coordinating(request):  # the final presentation
                if done:
                    return Reply(FINAL)
                return calls(
                    ("write_file", {"path": str(project / "REPORT.md"), "content": "# Done\n"}),
                    ("write_file", {"path": str(project / ".env"), "content": "stolen"}),
                )
            if not done and ANSWERS[BUILDER] not in shown_answers(request.last_user_text or "").values():
                return calls(
                    (ECHO, {"text": "from the model"}),
                    (EXECUTE, {"command": "echo built > build.txt && cat build.txt"}),
                    ("write_file", {"path": str(project / "REPORT.md"), "content": "draft"}),
                )
        elif coordinating(request) and not done:
            builder_answered = ANSWERS[BUILDER] in shown_answers(request.last_user_text or "").values()
            found = re.search(r"by answer label\): (\S+)", system_text(request))
            if builder_answered and found:  # look at the builder's workspace before voting
                return calls(("read_file", {"path": f"{found.group(1)}/agent1/build.txt"}))
        return played(request)

    return respond


def test_openai_agents_use_mcp_commands_and_a_context_path_from_the_cli(
    fake_provider: FakeProviderServer, tmp_path: Path, project: Path
) -> None:
    fake_provider.responder = builder_and_reviewer(project)
    path = tmp_path / "run.yaml"
    path.write_text(json.dumps(config(fake_provider, project)))  # JSON is YAML
    out = subprocess.run(
        [sys.executable, "-m", "massgen_core", "--config", str(path), "--no-display", "Build and report"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == FINAL
    assert (tmp_path / "builder_ws" / "build.txt").read_text() == "built\n"
    assert (project / "REPORT.md").read_text() == "# Done\n"  # the presentation's, not the draft
    assert (project / ".env").read_text() == "KEY=1\n"

    builder = [r for r in fake_provider.model_calls() if r.model == BUILDER]
    coordination = next(tool_outputs(r) for r in builder if coordinating(r) and tool_outputs(r))
    assert coordination[ECHO] == ["echo: from the model"]
    assert "[exit code 0;" in coordination[EXECUTE][0] and "built" in coordination[EXECUTE][0]
    assert "final agent" in coordination["write_file"][0]  # context paths are read-only until then
    presentation = [r for r in builder if not coordinating(r)]
    assert f"Context path {project.resolve()}: read-write" in system_text(presentation[0])
    assert f"Context path {project.resolve()}: read-only" in system_text(builder[0])
    env_write = tool_outputs(presentation[-1])["write_file"]
    assert any("protected" in o for o in env_write)

    reviewer = [r for r in fake_provider.model_calls() if r.model == REVIEWER]
    viewed = [o for r in reviewer for o in tool_outputs(r).get("read_file", [])]
    assert viewed and viewed[0] == "built\n"  # the builder's snapshot, read-only in the reviewer's view

    events = "\n".join(p.read_text() for p in (tmp_path / ".massgen" / "logs").glob("*/events.jsonl"))
    assert "MCP server 'fault'" in events  # the server's notices reached the run's events
    assert "echo: from the model" in events


# -- planning mode: side effects wait for the final presentation -------------------------------
def planner(project: Path) -> Responder:
    side_effects = (
        (ECHO, {"text": "now"}),
        (EXECUTE, {"command": "echo done > done.txt"}),
        ("write_file", {"path": str(project / "REPORT.md"), "content": "# Done\n"}),
        ("write_file", {"path": str(project / ".env"), "content": "stolen"}),
        ("read_file", {"path": str(project / "README.md")}),
    )

    def respond(request: RecordedRequest) -> Reply:
        done = tool_outputs(request)
        if request.model == BUILDER and not done:
            first_turn = ANSWERS[BUILDER] not in shown_answers(request.last_user_text or "").values()
            if not coordinating(request) or first_turn:
                return calls(*side_effects)
        if request.model == BUILDER and not coordinating(request):
            return Reply(FINAL)
        if request.model == REVIEWER and coordinating(request) and not done:
            return calls(("write_file", {"path": str(project / "REPORT.md"), "content": "mine"}))
        return played(request)

    return respond


def test_planning_mode_runs_side_effects_only_in_the_final_presentation(
    fake_provider: FakeProviderServer, tmp_path: Path, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_provider.responder = planner(project)
    monkeypatch.chdir(tmp_path)
    result = run_sync(config(fake_provider, project, planning=True), "Build and report")
    assert result.winner == "builder" and result.final_answer == FINAL
    assert (project / "REPORT.md").read_text() == "# Done\n"
    assert (project / ".env").read_text() == "KEY=1\n"
    assert (tmp_path / "builder_ws" / "done.txt").read_text() == "done\n"

    builder = [r for r in fake_provider.model_calls() if r.model == BUILDER]
    planned = next(tool_outputs(r) for r in builder if coordinating(r) and tool_outputs(r))
    for name in (ECHO, EXECUTE, "write_file"):
        assert all(o.startswith("planning mode:") for o in planned[name]), planned[name]
    assert planned["read_file"] == ["the project\n"]  # read-only tools run while planning
    reviewer = [r for r in fake_provider.model_calls() if r.model == REVIEWER]
    refused = [o for r in reviewer for o in tool_outputs(r).get("write_file", [])]
    assert refused and all(o.startswith("planning mode:") for o in refused)

    presenting = [r for r in builder if not coordinating(r)]
    assert "Planning mode is over" in system_text(presenting[0])
    final = tool_outputs(presenting[-1])
    assert final[ECHO] == ["echo: now"]
    assert "[exit code 0;" in final[EXECUTE][0]
    assert sorted("protected" in o for o in final["write_file"]) == [False, True]
