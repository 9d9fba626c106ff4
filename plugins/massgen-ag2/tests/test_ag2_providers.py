"""``llm_config`` with ``api_type: anthropic`` answers through AG2's own Anthropic client against
the fake provider's Messages API; ``api_type: google`` is refused with what to do instead (AG2
0.14.1's Gemini client needs packages massgen-ag2 does not install, and takes no base_url)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import massgen_core
import pytest
from ag2_testkit import anyio_backend, config, workdir  # noqa: F401
from massgen_core.plugin import ConfigError, TextDelta, Usage
from massgen_core.testing.fake_provider import FakeProviderServer, Reply, WireFormat
from massgen_core.testing.fake_provider import Usage as WireUsage

pytestmark = pytest.mark.anyio

CLAUDE = "claude-sonnet-4-5"
TOKENS = WireUsage(input_tokens=2000, output_tokens=100)


@pytest.fixture
def claude_fake() -> Iterator[FakeProviderServer]:
    with FakeProviderServer(models=(CLAUDE,)) as server:
        server.responder = lambda _request: Reply("Claude, via AG2, says 42.", usage=TOKENS)
        yield server
    assert not server.handler_errors


def ag2_agent(llm_config: dict[str, Any]) -> dict[str, Any]:
    return {"id": "ag2", "backend": {"type": "ag2", "agent_config": {"llm_config": llm_config}}}


async def test_an_anthropic_llm_config_answers_through_ag2s_anthropic_client(
    claude_fake: FakeProviderServer, workdir: Path
) -> None:
    from autogen.oai.anthropic import ANTHROPIC_PRICING_1k

    events: list[Any] = []
    llm = {"api_type": "anthropic", "model": CLAUDE, "temperature": 0.3}
    result = await massgen_core.run(
        config(ag2_agent(llm)),
        "What is 6*7?",
        environ={"ANTHROPIC_API_KEY": "sk-test", "ANTHROPIC_BASE_URL": claude_fake.anthropic_base_url},
        on_event=events.append,
    )
    assert result.final_answer == "Claude, via AG2, says 42."
    calls = claude_fake.model_calls()
    assert calls and {c.wire_format for c in calls} == {WireFormat.ANTHROPIC_MESSAGES}
    body = calls[0].json
    assert body["model"] == CLAUDE and body["temperature"] == 0.3 and body["stream"] is True
    outputs = [e.event for e in events if getattr(e, "kind", None) == "agent_output"]
    assert any(isinstance(e, TextDelta) and "42" in e.text for e in outputs)  # streamed
    usages = [e for e in outputs if isinstance(e, Usage)]
    prompt, completion = ANTHROPIC_PRICING_1k[CLAUDE]
    per_call = (prompt * TOKENS.input_tokens + completion * TOKENS.output_tokens) / 1000
    assert usages and all(u.cost == pytest.approx(per_call) for u in usages)
    assert result.usage["ag2"].cost == pytest.approx(per_call * len(usages))


async def test_an_anthropic_ag2_agent_coordinates_through_real_tool_calls(
    claude_fake: FakeProviderServer, workdir: Path
) -> None:
    """The workflow tools reach Claude as Anthropic tools; its tool calls answer and vote."""
    from massgen_core.testing.fake_provider import ToolCall
    from massgen_core.testing.scripted import coordination_reply

    answer = "6*7 is 42, says Claude through AG2."

    def respond(request: Any) -> Reply:
        spec = coordination_reply(request.last_user_text or "", request.tool_names, answer=answer)
        calls = [ToolCall(c["name"], c["arguments"]) for c in spec.get("tool_calls", ())]
        return Reply(spec.get("text", ""), tool_calls=calls, usage=TOKENS)

    claude_fake.responder = respond
    other = {"id": "other", "backend": {"type": "scripted", "then": "coordinate", "answer": "42"}}
    team = config(ag2_agent({"api_type": "anthropic", "model": CLAUDE}), other)
    result = await massgen_core.run(
        team,
        "What is 6*7?",
        environ={"ANTHROPIC_API_KEY": "sk-test", "ANTHROPIC_BASE_URL": claude_fake.anthropic_base_url},
    )
    assert not result.failures and result.final_answer == answer and result.winner == "ag2"
    offered = [list(call.tool_names) for call in claude_fake.model_calls()]
    assert ["new_answer"] in offered and ["new_answer", "vote"] in offered
    assert result.votes["ag2"].target == "ag2"


async def test_a_missing_anthropic_key_names_anthropic_api_key(workdir: Path) -> None:
    with pytest.raises(Exception, match="set ANTHROPIC_API_KEY"):
        await massgen_core.run(
            config(ag2_agent({"api_type": "anthropic", "model": CLAUDE})), "hi", environ={}
        )


def test_a_google_llm_config_is_a_config_error_that_says_what_works(workdir: Path) -> None:
    with pytest.raises(ConfigError) as error:
        massgen_core.run_sync(
            config(ag2_agent({"api_type": "google", "model": "gemini-2.5-flash", "api_key": "k"})), "hi"
        )
    message = str(error.value)
    assert "agents[0].backend.agent_config.llm_config.api_type" in message
    assert "google-cloud-aiplatform" in message and "gemini backend" in message
    assert "generativelanguage.googleapis.com/v1beta/openai/" in message
