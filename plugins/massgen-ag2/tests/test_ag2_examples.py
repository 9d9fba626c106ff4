"""The examples (the seed's AG2 configs among them) validate, and run against the fake provider."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import massgen_core
import pytest
from ag2_testkit import anyio_backend, fake, messages_of, workdir  # noqa: F401
from massgen_core.plugin import BuiltinToolActivity
from massgen_core.testing import scripted
from massgen_core.testing.fake_provider import FakeProviderServer, RecordedRequest, Reply, ToolCall
from ruamel.yaml import YAML

EXAMPLES = Path(__file__).parent.parent / "examples"
RUNNABLE = ["ag2_coder.yaml", "ag2_group_chat.yaml", "ag2_with_chatcompletion.yaml"]
ANSWER = "The answer is 42."
NEXT_SPEAKER = {"planner": "coder", "coder": "runner"}


def example_replies(request: RecordedRequest) -> Reply:
    """Code first, the answer once a code block's output is in the conversation; speaker picks
    in turn; in coordination, the scripted answer-then-vote."""
    messages = messages_of(request)
    last = str(messages[-1].get("content") or "")
    if "select the next role" in last:
        return Reply(NEXT_SPEAKER.get(str(messages[-2].get("name")), "planner"))
    if {"new_answer", "vote"} & set(request.tool_names):
        spec = scripted.coordination_reply(request.last_user_text or "", request.tool_names, answer=ANSWER)
        calls = [ToolCall(c["name"], c["arguments"]) for c in spec.get("tool_calls", ())]
        return Reply(spec["text"], tool_calls=calls)
    if any(str(m.get("content") or "").startswith("exitcode: 0") for m in messages):
        return Reply(ANSWER)
    return Reply("```python\nprint(6 * 7)\n```")


def pointed_at(name: str, fake: FakeProviderServer) -> dict[str, Any]:
    """The example with every model endpoint at the fake provider."""
    data: dict[str, Any] = YAML(typ="safe").load((EXAMPLES / name).read_text())
    for agent in data.get("agents") or [data["agent"]]:
        backend = agent["backend"]
        backend |= {
            "base_url": fake.openai_base_url,
            "api_key": "test-key",
        }  # ag2: every llm_config's default
    return data | {"ui": {"display_type": "silent", "logging_enabled": False}}


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_the_example_is_valid(path: Path) -> None:
    config = massgen_core.load_config(path)
    assert any(a.backend.type == "ag2" for a in config.agents)


@pytest.mark.anyio
@pytest.mark.parametrize("name", RUNNABLE)
async def test_the_example_runs(name: str, fake: FakeProviderServer, workdir: Path) -> None:
    fake.responder = example_replies
    events: list[Any] = []
    result = await massgen_core.run(pointed_at(name, fake), "What is 6*7?", on_event=events.append)
    assert result.final_answer.strip().endswith(ANSWER)
    activity = [getattr(e, "event", None) for e in events]
    ran = [a for a in activity if isinstance(a, BuiltinToolActivity) and a.tool == "code_execution"]
    if name != "ag2_with_chatcompletion.yaml":  # there the agents answer at once, without code
        assert ran and ran[-1].status == "completed" and "42" in (ran[-1].output or "")
