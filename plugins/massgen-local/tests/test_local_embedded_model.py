"""The ``llamacpp`` backend with the real SmolLM2-135M model (skipped only if xllamacpp is missing)."""

from __future__ import annotations

import asyncio

import pytest
from local_testkit import ANSWER, VOTE, anyio_backend, build, collect, needs_llama_cpp, of_type, request  # noqa: F401
from massgen_core.plugin import ChatRequest, Done, Message, TextDelta, ToolCall, Usage

pytestmark = [pytest.mark.anyio, needs_llama_cpp]

SMALL = {"max_tokens": 24, "seed": 7, "temperature": 0.2}


async def test_streams_text_and_usage() -> None:
    backend = build("llamacpp", **SMALL)
    events = await collect(backend.stream(request("What is the capital of France?")))
    await backend.aclose()
    deltas = of_type(events, TextDelta)
    assert len(deltas) > 1  # streamed, not one block
    done = events[-1]
    assert isinstance(done, Done) and done.message.text == "".join(d.text for d in deltas)
    assert done.stop_reason in ("end_turn", "max_tokens")
    usage = of_type(events, Usage)[0]
    assert usage.input_tokens > 5 and 0 < usage.output_tokens <= SMALL["max_tokens"] + 2  # re-tokenized text


@pytest.mark.parametrize("choice", ["auto", "required", "vote"])
async def test_workflow_calls_are_always_valid(choice: str) -> None:
    """auto (forced by default), required and a named tool: a call the coordination accepts."""
    backend = build("llamacpp", **SMALL)
    question = request(
        "Two answers: agent1 says Paris, agent2 says Lyon. Capital of France?", tools=[ANSWER, VOTE]
    )
    events = await collect(
        backend.stream(ChatRequest(messages=question.messages, tools=question.tools, tool_choice=choice))
    )
    await backend.aclose()
    calls = [e.call for e in of_type(events, ToolCall)]
    assert len(calls) == 1 and events[-1].stop_reason == "tool_calls"
    call = calls[0]
    if call.name == "vote" or choice == "vote":
        assert call.name == "vote" and call.arguments["agent_id"] in ("agent1", "agent2")
    else:
        assert call.name == "new_answer" and call.arguments["content"].strip()
    assert events[-1].message.tool_calls == (call,)


async def test_without_forcing_text_stays_text() -> None:
    backend = build("llamacpp", force_tool_calls=False, **SMALL)
    events = await collect(backend.stream(request("Say hello.", tools=[ANSWER])))
    await backend.aclose()
    done = events[-1]
    assert isinstance(done, Done)
    assert done.message.tool_calls or done.message.text  # the model chose; either way nothing is lost


async def test_agents_share_one_model_and_take_turns() -> None:
    first = build("llamacpp", **SMALL)
    second = build("llamacpp", **SMALL)
    a, b = await asyncio.gather(
        collect(first.stream(request("Name a color."))), collect(second.stream(request("Name a fruit.")))
    )
    assert first.model is second.model  # type: ignore[attr-defined]
    assert isinstance(a[-1], Done) and isinstance(b[-1], Done)


async def test_cancelling_stops_generation() -> None:
    backend = build("llamacpp", max_tokens=400, temperature=0.8, seed=1)
    model = backend.model  # type: ignore[attr-defined]
    stream = backend.stream(request("Write a long story about a dragon."))
    async for event in stream:
        if isinstance(event, TextDelta):
            break
    await stream.aclose()  # what a cancelled agent's stream does
    # the worker stops at the next token and frees the model well before 400 tokens are done
    for _ in range(200):
        if model.lock.acquire(blocking=False):
            model.lock.release()
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail("generation went on after the stream was closed")
    events = await collect(build("llamacpp", **SMALL).stream(request("Hi")))
    assert isinstance(events[-1], Done)


async def test_multi_turn_with_a_tool_round_trip() -> None:
    backend = build("llamacpp", **SMALL)
    first = await collect(backend.stream(request("Vote now.", tools=[VOTE], tool_choice="vote")))
    call = first[-1].message.tool_calls[0]
    from massgen_core.plugin import ToolResultPart

    results = Message.tool_results([ToolResultPart(call_id=call.id, name=call.name, content="vote recorded")])
    second = await collect(
        backend.stream(request("Vote now.", first[-1].message, results, Message.user("Thanks. Say bye.")))
    )
    assert isinstance(second[-1], Done) and second[-1].stop_reason in ("end_turn", "max_tokens")


async def test_models_loaded_together_share_the_cores() -> None:
    """Two models in one team (here: one model at two context sizes) each get their share of the
    cores, sized when the first is loaded; agents on one model add no threads."""
    from massgen_local.embedded.threads import default_threads

    agents = [build("llamacpp", n_ctx=1024, **SMALL), build("llamacpp", n_ctx=1024, **SMALL)]
    other = build("llamacpp", n_ctx=1536, **SMALL)
    try:
        assert agents[0].model is agents[1].model  # type: ignore[attr-defined]
        assert agents[0].model.n_threads == default_threads(2)  # type: ignore[attr-defined]
        events = await collect(other.stream(request("Hi")))
        assert isinstance(events[-1], Done)
    finally:
        for backend in (*agents, other):
            await backend.aclose()
