"""Coordination with real backends (plugins' SDK clients) against the fake provider server."""

from __future__ import annotations

from typing import Any

import pytest

from massgen_core.api import run_sync
from massgen_core.coordination import CoordinationError
from massgen_core.registry import get_registry
from massgen_core.testing.fake_provider import FakeProviderServer, HttpError, RecordedRequest, Reply, ToolCall
from massgen_core.testing.scripted import coordination_reply

#: backend type -> model; each model names one agent's fixed answer
AGENTS = {"openai": "gpt-5", "chatcompletion": "gpt-4o", "grok": "grok-4"}
ANSWERS = {
    "gpt-5": "Paris.",
    "gpt-4o": "The capital of France is Paris.",
    "grok-4": "Paris is the capital of France, on the Seine.",
}


def available() -> list[str]:
    registry = get_registry()
    return [t for t in AGENTS if t in registry.backends]


pytestmark = pytest.mark.skipif(
    len(available()) < 2, reason="needs two backend plugins (e.g. massgen-openai)"
)


def coordinating(request: RecordedRequest) -> Reply:
    """Each agent (told apart by its model) answers, then votes for the longest answer."""
    spec = coordination_reply(
        request.last_user_text or "", request.tool_names, answer=ANSWERS[request.model or ""]
    )
    calls = [ToolCall(c["name"], c["arguments"]) for c in spec.get("tool_calls", ())]
    return Reply(spec["text"], tool_calls=tuple(calls))


def config(server: FakeProviderServer, types: list[str]) -> dict[str, Any]:
    agents = [
        {
            "id": f"{t}_agent",
            "backend": {
                "type": t,
                "model": AGENTS[t],
                "base_url": server.openai_base_url,
                "api_key": "test-key",
            },
        }
        for t in types
    ]
    return {"agents": agents, "timeout_settings": {"first_event_timeout": 10, "request_timeout": 30}}


def test_mixed_backends_coordinate_through_the_sdks() -> None:
    types = available()
    with FakeProviderServer(responder=coordinating, models=tuple(AGENTS.values())) as server:
        result = run_sync(config(server, types), "What is the capital of France?")
        calls = server.model_calls()
    longest = max((AGENTS[t] for t in types), key=lambda m: len(ANSWERS[m]))
    winner = next(t for t in types if AGENTS[t] == longest)
    assert result.end_reason == "consensus"
    assert result.winner == f"{winner}_agent" and result.final_answer == ANSWERS[longest]
    assert result.vote_counts == {f"{winner}_agent": len(types)}
    assert len(calls) == 2 * len(types) + 1
    assert all(u.usage.input_tokens > 0 for u in result.usage.values())
    workflow = [c for c in calls if "vote" in c.tool_names]
    assert workflow and all("new_answer" in c.tool_names for c in workflow)


def test_a_backend_with_a_bad_key_is_reported_and_the_others_carry_on() -> None:
    types = available()

    def responder(request: RecordedRequest) -> Any:
        if request.model == AGENTS[types[0]]:
            return HttpError(401, invalid_api_key=True)
        return coordinating(request)

    with FakeProviderServer(responder=responder, models=tuple(AGENTS.values())) as server:
        result = run_sync(config(server, types), "What is the capital of France?")
    assert set(result.failures) == {f"{types[0]}_agent"}
    assert result.end_reason == "consensus" and result.final_answer


def test_every_backend_failing_is_a_clear_error() -> None:
    with (
        FakeProviderServer(responder=lambda r: HttpError(401, invalid_api_key=True)) as server,
        pytest.raises(CoordinationError, match="every agent failed"),
    ):
        run_sync(config(server, available()), "Q?")
