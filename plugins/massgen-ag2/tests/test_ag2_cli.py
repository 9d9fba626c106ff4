"""``massgen`` runs: an AG2 agent coordinating with an OpenAI-compatible agent, and bad AG2
configs reported at file:line:column (each test one ``massgen`` process)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ag2_testkit import MODEL, fake, llm, messages_of  # noqa: F401
from massgen_core.testing import scripted
from massgen_core.testing.cli import run_massgen
from massgen_core.testing.fake_provider import FakeProviderServer, RecordedRequest, Reply, ToolCall

AG2_ANSWER = "42: six times seven, computed and checked by the AG2 agent."
CHAT_ANSWER = "It is 42."


def coordinating(request: RecordedRequest) -> Reply:
    """Each agent gives its answer, then votes for the longest one (AG2's)."""
    answer = AG2_ANSWER if request.json["model"] == MODEL else CHAT_ANSWER
    spec = scripted.coordination_reply(request.last_user_text or "", request.tool_names, answer=answer)
    return Reply(
        spec["text"], tool_calls=[ToolCall(c["name"], c["arguments"]) for c in spec.get("tool_calls", ())]
    )


def test_an_ag2_agent_and_a_chat_completions_agent_coordinate_to_a_final_answer(
    fake: FakeProviderServer, tmp_path: Path
) -> None:
    fake.responder = coordinating
    config = {
        "agents": [
            {
                "id": "ag2",
                "backend": {"type": "ag2", "agent_config": {"name": "AG2_agent", "llm_config": llm(fake)}},
            },
            {
                "id": "chat",
                "backend": {"type": "chatcompletion", "model": "gpt-4o", "base_url": fake.openai_base_url},
            },
        ]
    }
    path = tmp_path / "team.yaml"
    path.write_text(json.dumps(config))
    done = run_massgen("--config", str(path), "--no-display", "--no-logs", "What is 6*7?", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == AG2_ANSWER
    ag2 = [r for r in fake.model_calls() if r.json["model"] == MODEL]
    # it answered through a real new_answer call, saw the other answer, voted, then presented
    assert "new_answer" in ag2[0].tool_names
    voting = next(r for r in ag2 if "vote" in r.tool_names)
    assert CHAT_ANSWER in (voting.last_user_text or "")
    presentation = ag2[-1]
    assert presentation.tool_names == () and "present the final answer" in str(messages_of(presentation)[0])


BAD = """\
agents:
  - id: coder
    backend:
      type: ag2
      agent_config:
        type: assistent
        name: coder
        code_execution_config:
          executor: {type: DockerCommandLineCodeExecutor}
  - id: nomodel
    backend:
      type: ag2
      agent_config: {name: x}
  - id: team
    backend:
      type: ag2
      group_config:
        agents:
          - {name: a, llm_config: {model: gpt-5}}
          - {name: b}
        pattern: {type: roundrobin}
"""


def test_bad_agent_and_group_configs_are_errors_at_their_position(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD)
    done = run_massgen("validate", str(path), cwd=tmp_path)
    assert done.returncode != 0
    errors = {m.group(1): m.group(2) for m in re.finditer(r"bad\.yaml:(\d+:\d+): (.*)", done.stderr)}
    assert errors["6:15"].startswith(
        "agents[0].backend.agent_config.type: expected one of 'assistant', 'conversable'"
    )
    assert "unknown executor 'DockerCommandLineCodeExecutor'" in errors["9:28"]
    assert "missing required key 'llm_config'" in errors["13:21"]
    assert "unknown pattern 'roundrobin'" in errors["21:25"]
    assert "Traceback" not in done.stderr
