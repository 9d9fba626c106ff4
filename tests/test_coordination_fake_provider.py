"""Coordination with real backends (plugins' SDK clients) against the fake provider server.

The same situations as the scripted suite (``test_coordination.py``), here through the openai
SDK over HTTP: 1, 3 and 10 agents; disagreement that converges; an agent that fails, one that
times out, one that never votes; ties; bounds.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from massgen_core.host.registry import get_registry
from massgen_core.runtime.api import run_sync
from massgen_core.runtime.coordination import CoordinationError
from massgen_core.testing.fake_provider import (
    FakeProviderServer,
    HttpError,
    RecordedRequest,
    Reply,
    Stall,
    ToolCall,
    WireFormat,
)
from massgen_core.testing.scripted import coordination_reply, new_answer_reply, shown_answers, vote_reply

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


def serve(script: Callable[[RecordedRequest], dict[str, Any]]) -> Callable[[RecordedRequest], Reply]:
    """A responder from a script of reply specs (``text``, ``tool_calls``, ``timing``) per request."""

    def reply(request: RecordedRequest) -> Reply:
        spec = script(request)
        calls = tuple(ToolCall(c["name"], c["arguments"]) for c in spec.get("tool_calls", ()))
        return Reply(spec.get("text", ""), tool_calls=calls, **spec.get("timing", {}))

    return reply


#: each agent (told apart by its model) answers, then votes for the longest answer
coordinating = serve(
    lambda request: coordination_reply(
        request.last_user_text or "", request.tool_names, answer=ANSWERS[request.model or ""]
    )
)


def team(server: FakeProviderServer, agents: list[tuple[str, str, str]], **settings: Any) -> dict[str, Any]:
    """A config of ``(id, backend type, model)`` agents on the fake provider; ``settings`` are merged in."""
    timeouts = {"first_event_timeout": 10, "request_timeout": 30} | settings.pop("timeout_settings", {})
    blocks = [
        {
            "id": agent_id,
            "backend": {"type": t, "model": model, "base_url": server.openai_base_url, "api_key": "test-key"},
        }
        for agent_id, t, model in agents
    ]
    return {"agents": blocks, "timeout_settings": timeouts, **settings}


def config(server: FakeProviderServer, types: list[str]) -> dict[str, Any]:
    return team(server, [(f"{t}_agent", t, AGENTS[t]) for t in types])


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


# -- the scripted suite's situations, through the SDKs ---------------------------------------------
def agents_config(server: FakeProviderServer, models: list[str], **settings: Any) -> dict[str, Any]:
    """One agent per model (named after it), cycling through the installed backend types."""
    types = itertools.cycle(available())
    return team(server, [(model, next(types), model) for model in models], **settings)


def presenting(request: RecordedRequest) -> bool:
    """The final presentation: a turn without the workflow tools."""
    return not {"new_answer", "vote"} & set(request.tool_names)


def answer_of(model: str) -> str:
    index = int(model.rsplit("-", 1)[1])
    return f"Paris ({model})" + " indeed" * index


def simple(request: RecordedRequest) -> dict[str, Any]:
    model = request.model or ""
    return coordination_reply(request.last_user_text or "", request.tool_names, answer=answer_of(model))


@pytest.mark.parametrize("n", [1, 3, 10])
def test_n_agents_answer_vote_and_the_winner_presents(n: int) -> None:
    models = [f"m-{i}" for i in range(n)]
    with FakeProviderServer(responder=serve(simple), models=models) as server:
        result = run_sync(agents_config(server, models), "What is the capital of France?")
        calls = server.model_calls()
    if n == 1:
        assert result.end_reason == "single_agent" and len(calls) == 1
        assert result.final_answer == answer_of("m-0")
        return
    longest = models[-1]  # the longest answer wins every vote
    assert result.end_reason == "consensus"
    assert result.winner == longest and result.final_answer == answer_of(longest)
    assert result.vote_counts == {longest: n}
    assert len(calls) == 2 * n + 1  # an answer and a vote each, then the presentation
    assert {c.wire_format for c in calls} >= {WireFormat.OPENAI_RESPONSES, WireFormat.OPENAI_CHAT}


def test_agents_disagree_then_converge() -> None:
    """m-0 improves on its first answer after seeing m-1's; m-1 reconsiders and votes for it."""
    improved = "4, because 2+2 is 4 (improved)"

    def script(request: RecordedRequest) -> dict[str, Any]:
        answers = shown_answers(request.last_user_text or "")
        if presenting(request):  # the presentation
            return {"text": improved if request.model == "m-0" else "4"}
        if request.model == "m-0":
            if not answers:
                return new_answer_reply("5")
            if improved not in answers.values():
                return new_answer_reply(improved)
            return vote_reply("agent1", "mine is now complete")
        if answers.get("agent2") is None:
            return new_answer_reply("4")
        best = "agent1" if answers.get("agent1") == improved else "agent2"
        return vote_reply(best, "the best explanation")

    with FakeProviderServer(responder=serve(script), models=["m-0", "m-1"]) as server:
        result = run_sync(agents_config(server, ["m-0", "m-1"]), "What is 2+2?")
    assert result.end_reason == "consensus"
    assert result.answers == {"m-0": improved, "m-1": "4"}
    assert result.winner == "m-0" and result.final_answer == improved
    assert result.vote_counts == {"m-0": 2}


def test_an_agent_that_times_out_is_out_and_the_others_carry_on() -> None:
    def script(request: RecordedRequest) -> dict[str, Any]:
        if request.model == "m-1":
            return {"text": "never", "timing": {"fault": Stall()}}  # one delta, then nothing
        return simple(request)

    models = ["m-0", "m-1", "m-2"]
    with FakeProviderServer(responder=serve(script), models=models) as server:
        config = agents_config(server, models, timeout_settings={"idle_timeout": 0.5})
        result = run_sync(config, "What is the capital of France?")
    assert set(result.failures) == {"m-1"}
    assert "stalled" in result.failures["m-1"]
    assert result.end_reason == "consensus" and result.winner == "m-2"


def test_an_agent_that_never_votes_is_reminded_then_out() -> None:
    def script(request: RecordedRequest) -> dict[str, Any]:
        if request.model == "m-1":
            return {"text": "I would rather chat."}
        return simple(request)

    models = ["m-0", "m-1", "m-2"]
    with FakeProviderServer(responder=serve(script), models=models) as server:
        result = run_sync(agents_config(server, models), "What is the capital of France?")
        chatty = [c for c in server.model_calls() if c.model == "m-1"]
    assert set(result.failures) == {"m-1"}
    assert "did not call new_answer or vote" in result.failures["m-1"]
    assert len(chatty) >= 2 and "new_answer" in chatty[-1].raw_body.decode()  # reminded, same tools
    assert result.winner == "m-2"


def test_a_tie_is_broken_by_lot() -> None:
    def script(request: RecordedRequest) -> dict[str, Any]:
        own = {"m-0": "agent1", "m-1": "agent2"}[request.model or ""]
        if presenting(request):
            return {"text": f"{own}'s view"}
        if own not in shown_answers(request.last_user_text or ""):
            return new_answer_reply(f"{own}'s view")
        return vote_reply(own, "mine")

    with FakeProviderServer(responder=serve(script), models=["m-0", "m-1"]) as server:
        result = run_sync(agents_config(server, ["m-1", "m-0"][::-1]), "Which view?")
    assert result.vote_counts == {"m-0": 1, "m-1": 1}
    assert result.winner in ("m-0", "m-1") and "tie, broken by lot" in result.summary
    assert result.final_answer == f"{ {'m-0': 'agent1', 'm-1': 'agent2'}[result.winner] }'s view"


def test_the_round_limit_ends_with_the_best_answer_and_says_why() -> None:
    drafts = itertools.count()

    def script(request: RecordedRequest) -> dict[str, Any]:
        if presenting(request):
            return {"text": "final draft"}
        return new_answer_reply(f"{request.model} draft {next(drafts)}")  # never votes, keeps revising

    models = ["m-0", "m-1"]
    with FakeProviderServer(responder=serve(script), models=models) as server:
        config = agents_config(server, models, orchestrator={"coordination": {"max_rounds": 2}})
        result = run_sync(config, "Draft something")
        calls = server.model_calls()
    assert result.end_reason == "max_rounds" and "round limit (2)" in result.summary
    assert result.final_answer  # never nothing when an agent answered
    assert len(calls) == 2 * 2 + 1  # two turns each, then the presentation
