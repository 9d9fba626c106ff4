"""Property: whatever the agents do, a run ends with an answer or with a clear error."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from massgen_core.plugin.backend import ChatRequest
from massgen_core.runtime.coordination import (
    CoordinationError,
    CoordinationSettings,
    Orchestrator,
    RunFinished,
)
from massgen_core.runtime.usage import UsageLedger
from massgen_core.testing.scripted import new_answer_reply, scripted_agent, vote_reply

BEHAVIOURS = ("answer", "vote", "bad_vote", "text", "error", "both", "empty_answer", "duplicate")


def behaviour_reply(kind: str, n_agents: int, step: int) -> dict[str, Any]:
    if kind == "answer":
        return new_answer_reply(f"answer {step}")
    if kind == "duplicate":
        return new_answer_reply("same answer")
    if kind == "vote":
        return vote_reply(f"agent{step % n_agents + 1}", "random")
    if kind == "bad_vote":
        return vote_reply("agent99", "nobody")
    if kind == "text":
        return {"text": f"just text {step}"}
    if kind == "error":
        return {"error": "server_error" if step % 2 else "authentication"}
    if kind == "both":
        calls = [*new_answer_reply("x")["tool_calls"], *vote_reply("agent1")["tool_calls"]]
        return {"tool_calls": calls}
    return new_answer_reply("")


def scripted_behaviour(plan: list[str], n_agents: int) -> Callable[[ChatRequest], Any]:
    steps = iter(range(10_000))

    def reply(_request: ChatRequest) -> Any:
        step = next(steps)
        return behaviour_reply(plan[step % len(plan)], n_agents, step)

    return reply


@given(
    plans=st.lists(st.lists(st.sampled_from(BEHAVIOURS), min_size=1, max_size=6), min_size=1, max_size=4),
    max_rounds=st.integers(min_value=1, max_value=4),
    max_answers=st.one_of(st.none(), st.integers(min_value=1, max_value=3)),
)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_behaviours_end_with_an_answer_or_a_clear_error(
    plans: list[list[str]], max_rounds: int, max_answers: int | None
) -> None:
    ledger = UsageLedger()
    agents = [
        scripted_agent(f"a{i}", responder=scripted_behaviour(plan, len(plans)), ledger=ledger)
        for i, plan in enumerate(plans)
    ]
    config = CoordinationSettings(
        max_rounds=max_rounds, max_answers_per_agent=max_answers, max_reminders=1, max_tool_steps=3
    )

    async def go() -> list[Any]:
        return [e async for e in Orchestrator(agents, config).run("Q?")]

    try:
        events = asyncio.run(go())
    except CoordinationError as error:
        assert set(error.failures) == {a.id for a in agents}  # every agent failed, each says why
        assert all(error.failures.values())
        return
    final = events[-1]
    assert isinstance(final, RunFinished)
    result = final.result
    assert result.final_answer
    assert result.winner in result.answers
    if not result.presented:
        assert result.final_answer == result.answers[result.winner]
    assert sum(result.vote_counts.values()) <= len(agents)
    assert result.total_usage.requests <= len(agents) * max_rounds * 2 * 3 + 3
