"""``keep_clients()``: each agent's provider client, and its connection, kept from run to run.

Every provider plugin's backends lease their SDK client through the core
(``massgen_core.plugin.lease_client``); the fake provider records the client's port of each
request's connection, which tells connections apart.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest

import massgen_core
from massgen_core.testing.fake_provider import FakeProviderServer, RecordedRequest, Reply, ToolCall
from massgen_core.testing.scripted import coordination_reply

pytestmark = pytest.mark.skipif(
    not all(find_spec(p) for p in ("massgen_openai", "massgen_claude", "massgen_gemini")),
    reason="the agents run on the openai, claude and gemini plugins' backends",
)

#: each agent (told apart by its model) answers this, then votes for the longest answer
ANSWERS = {
    "gpt-chat": "Paris.",
    "gpt-responses": "The capital of France is Paris, on the Seine.",
    "claude-sonnet-4": "Paris is the capital.",
    "gemini-2.5-flash": "Paris, France.",
}
TYPES = {
    "gpt-chat": "chatcompletion",
    "gpt-responses": "openai",
    "claude-sonnet-4": "claude",
    "gemini-2.5-flash": "gemini",
}


def reply(request: RecordedRequest) -> Reply:
    spec = coordination_reply(
        request.last_user_text or "", request.tool_names, answer=ANSWERS[request.model or ""]
    )
    calls = tuple(ToolCall(c["name"], c["arguments"]) for c in spec.get("tool_calls", ()))
    return Reply(spec.get("text", ""), tool_calls=calls)


@pytest.fixture
def fake() -> Iterator[FakeProviderServer]:
    with FakeProviderServer(responder=reply, models=tuple(ANSWERS)) as server:
        yield server


def config(fake: FakeProviderServer) -> dict[str, Any]:
    urls = {"claude": fake.anthropic_base_url, "gemini": fake.gemini_base_url}
    agents = [
        {
            "id": model.split("-")[0] + str(i),
            "backend": {
                "type": TYPES[model],
                "model": model,
                "base_url": urls.get(TYPES[model], fake.openai_base_url),
                "api_key": "provider-key",
            },
        }
        for i, model in enumerate(ANSWERS)
    ]
    return {"agents": agents, "ui": {"display_type": "silent"}}


async def ask(team_config: dict[str, Any], question: str) -> str:
    """One question for a new Team of ``team_config``, as a server asks each request's."""
    async with massgen_core.Team(team_config) as team:
        async for event in team.coordinate(question):
            result = getattr(event, "result", None)
    assert result is not None
    return str(result.final_answer)


def ports_by_model(fake: FakeProviderServer, start: int = 0, end: int | None = None) -> dict[str, set[int]]:
    """The client ports of each model's calls (the ``start``-th to the ``end``-th)."""
    ports: dict[str, set[int]] = {}
    for request in fake.model_calls()[start:end]:
        ports.setdefault(request.model or "", set()).add(request.client_port)
    return ports


def test_inside_keep_clients_each_agent_keeps_its_connection_from_run_to_run(
    fake: FakeProviderServer,
) -> None:
    team = config(fake)

    async def two_runs() -> list[str]:
        async with massgen_core.keep_clients():
            return [await ask(team, "Capital of France? (1)"), await ask(team, "Capital of France? (2)")]

    assert asyncio.run(two_runs()) == [ANSWERS["gpt-responses"]] * 2
    ports = ports_by_model(fake)
    assert ports.keys() == ANSWERS.keys()
    assert all(len(p) == 1 for p in ports.values()), ports  # one connection per agent, both runs
    assert len(set().union(*ports.values())) == len(ANSWERS)  # and not one agent's for another
    assert fake.wait_idle(5)  # the scope closed them when it ended


def test_without_it_every_run_opens_its_own(fake: FakeProviderServer) -> None:
    team = config(fake)
    asyncio.run(ask(team, "Capital of France? (1)"))
    first = ports_by_model(fake)
    calls = len(fake.model_calls())
    asyncio.run(ask(team, "Capital of France? (2)"))
    second = ports_by_model(fake, calls)
    for model in ANSWERS:
        assert first[model].isdisjoint(second[model]), model
    assert fake.wait_idle(5)


def test_runs_at_once_each_take_a_connection_that_later_runs_reuse(fake: FakeProviderServer) -> None:
    team = config(fake)
    calls: list[int] = []

    async def at_once_then_one() -> list[str]:
        async with massgen_core.keep_clients():
            answers = list(await asyncio.gather(*(ask(team, f"Capital of France? ({i})") for i in range(4))))
            calls.append(len(fake.model_calls()))
            return [*answers, await ask(team, "Capital of France? (later)")]

    assert asyncio.run(at_once_then_one()) == [ANSWERS["gpt-responses"]] * 5
    together, later = ports_by_model(fake, 0, calls[0]), ports_by_model(fake, calls[0])
    for model in ANSWERS:
        assert later[model] <= together[model], model  # the later run found its agent's connections open
    assert fake.wait_idle(5)


def test_a_batch_keeps_each_agent_s_connection_from_question_to_question(
    fake: FakeProviderServer, tmp_path: Path
) -> None:
    questions = [{"id": str(i), "question": f"Capital of France? ({i})"} for i in range(3)]

    async def batch() -> list[dict[str, Any]]:
        return [line async for line in massgen_core.run_batch(config(fake), questions, concurrency=1)]

    lines = asyncio.run(batch())
    assert [line["final_answer"] for line in lines] == [ANSWERS["gpt-responses"]] * 3
    assert all(len(p) == 1 for p in ports_by_model(fake).values())
    assert fake.wait_idle(5)


def test_a_kept_client_is_lent_to_one_backend_at_a_time_and_closed_with_the_scope() -> None:
    """Backends built at once borrow clients of their own (an HTTP pool per run, not one pool
    holding every run's connections); a released client goes to the next backend of its key."""
    from massgen_core.plugin import lease_client
    from massgen_core.testing.backends import backend_context, backend_options

    context = backend_context("scripted", backend_options("scripted", model="scripted"))
    built: list[int] = []
    closed: list[int] = []

    def build() -> int:
        built.append(len(built))
        return built[-1]

    async def close(client: int) -> None:
        closed.append(client)

    async def leases() -> None:
        async with massgen_core.keep_clients():
            first, second = lease_client(context, build, close), lease_client(context, build, close)
            assert (first.client, second.client) == (0, 1)  # at once: one each
            await first.release()
            third = lease_client(context, build, close)
            assert third.client == 0 and built == [0, 1]  # the released one, open
            await third.release()
            await third.release()  # once only
            other = lease_client(context, build, close, {"x-extra": "1"})  # built from more: its own
            assert other.client == 2
            assert closed == []  # while the scope is open, released clients stay open
        assert sorted(closed) == [0, 1, 2]  # the scope closed them all, the ones still lent too
        await second.release()  # after the scope: nothing more to do
        assert sorted(closed) == [0, 1, 2]
        outside = lease_client(context, build, close)
        assert outside.client == 3
        await outside.release()
        assert closed[-1] == 3  # outside any scope, released means closed

    asyncio.run(leases())


def test_runs_on_kept_clients_free_their_agents_as_they_end(fake: FakeProviderServer) -> None:
    """A kept client is the agent's for the next run, not a reference keeping this run's agent."""
    import gc

    from massgen_core.runtime.agent import Agent

    team = config(fake)

    async def runs() -> list[int]:
        async with massgen_core.keep_clients():
            await ask(team, "Capital of France? (warm-up)")
            gc.collect()
            gc.disable()
            try:
                for i in range(2):
                    await ask(team, f"Capital of France? ({i})")
                return [id(o) for o in gc.get_objects() if isinstance(o, Agent)]
            finally:
                gc.enable()

    assert asyncio.run(runs()) == []
