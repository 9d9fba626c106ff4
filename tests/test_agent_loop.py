"""The agent loop: backend turns, concurrent tool calls, external tools, bounds and gates."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest

from massgen_core.plugin.backend import ToolDefinition
from massgen_core.plugin.messages import Message
from massgen_core.plugin.specs import ModelSpec, ToolSpec
from massgen_core.plugin.stream import StreamError, ToolResult
from massgen_core.runtime.agent import Agent, TurnComplete
from massgen_core.runtime.resilience import RetryPolicy
from massgen_core.runtime.usage import UsageLedger
from massgen_core.testing.scripted import ScriptedBackend
from massgen_core.testing.scripted_options import ScriptedOptions
from massgen_core.tools.toolset import FunctionTool, Tool, ToolOutput, ToolSet


def scripted(*replies: Any, then: str = "echo") -> ScriptedBackend:
    return ScriptedBackend(ScriptedOptions(replies=list(replies), then=then))


async def run(agent: Agent, text: str = "question", **kwargs: Any) -> tuple[list[Any], TurnComplete]:
    events = [e async for e in agent.run([Message.user(text)], **kwargs)]
    end = events[-1]
    assert isinstance(end, TurnComplete)
    return events, end


class Rendezvous:
    """Two tools that can only both finish if they run at the same time."""

    def __init__(self) -> None:
        self.a_started = asyncio.Event()
        self.b_started = asyncio.Event()

    def tools(self) -> list[Tool]:
        async def tool_a() -> str:
            self.a_started.set()
            await asyncio.wait_for(self.b_started.wait(), 5)
            return "a done"

        async def tool_b() -> str:
            self.b_started.set()
            await asyncio.wait_for(self.a_started.wait(), 5)
            return "b done"

        return [
            FunctionTool(ToolSpec(name="tool_a", description="a", function=tool_a)),
            FunctionTool(ToolSpec(name="tool_b", description="b", function=tool_b)),
        ]


@pytest.mark.anyio
async def test_tool_calls_of_one_turn_run_concurrently_and_results_go_back() -> None:
    backend = scripted({"tool_calls": [{"name": "tool_a"}, {"name": "tool_b"}]}, "all done")
    agent = Agent("a1", backend, tools=ToolSet(Rendezvous().tools()))
    events, end = await run(agent)
    results = [e for e in events if isinstance(e, ToolResult)]
    assert [(r.name, r.output) for r in results] == [("tool_a", "a done"), ("tool_b", "b done")]
    assert end.reason == "answered" and end.text == "all done"
    second = backend.requests[1].messages
    assert [m.role for m in second] == ["user", "assistant", "tool"]
    assert [p.content for p in second[2].tool_results_parts] == ["a done", "b done"]
    assert [d.name for d in backend.requests[0].tools] == ["tool_a", "tool_b"]


@pytest.mark.anyio
async def test_external_tool_calls_end_the_turn_for_the_caller() -> None:
    vote = ToolDefinition(name="vote", description="vote", parameters={"type": "object"})
    backend = scripted(
        {"text": "I pick agent1", "tool_calls": [{"name": "vote", "arguments": {"agent_id": "agent1"}}]}
    )
    _, end = await run(Agent("a1", backend), external_tools=[vote])
    assert end.reason == "external_tool_calls"
    assert [(c.name, dict(c.arguments)) for c in end.pending_calls] == [("vote", {"agent_id": "agent1"})]
    assert end.text == "I pick agent1"


@pytest.mark.anyio
async def test_unknown_tools_and_failing_tools_are_reported_to_the_model() -> None:
    def explode() -> None:
        raise RuntimeError("kaboom")

    tools = ToolSet([FunctionTool(ToolSpec(name="explode", description="x", function=explode))])
    backend = scripted(
        {"tool_calls": [{"name": "nope"}, {"name": "explode"}, {"name": "explode", "arguments": {"x": 1}}]},
        "ok",
    )
    events, end = await run(Agent("a1", backend, tools=tools))
    results = [e for e in events if isinstance(e, ToolResult)]
    assert all(r.is_error for r in results)
    assert "unknown tool 'nope'; available tools: explode" in results[0].output
    assert "RuntimeError: kaboom" in results[1].output
    assert "bad arguments" in results[2].output
    assert end.reason == "answered"


@pytest.mark.anyio
async def test_max_steps_bounds_a_tool_loop() -> None:
    tools = ToolSet([FunctionTool(ToolSpec(name="again", description="x", function=lambda: "more"))])
    backend = scripted({"tool_calls": [{"name": "again"}]}, then="repeat")
    _, end = await run(Agent("a1", backend, tools=tools), max_steps=3)
    assert end.reason == "max_steps" and len(backend.requests) == 3


@pytest.mark.anyio
async def test_a_gate_blocks_side_effect_tools() -> None:
    calls: list[str] = []
    tools = ToolSet(
        [
            FunctionTool(
                ToolSpec(
                    name="read", description="r", function=lambda: calls.append("read") or "r", read_only=True
                )
            ),
            FunctionTool(
                ToolSpec(name="write", description="w", function=lambda: calls.append("write") or "w")
            ),
        ]
    )
    backend = scripted({"tool_calls": [{"name": "read"}, {"name": "write"}]}, "planned")

    def gate(tool: Tool) -> str | None:
        return None if tool.read_only else "planning mode: describe this action instead of running it"

    events, _ = await run(Agent("a1", backend, tools=tools), gate=gate)
    assert calls == ["read"]
    blocked = [e for e in events if isinstance(e, ToolResult) and e.is_error]
    assert [b.name for b in blocked] == ["write"] and "planning mode" in blocked[0].output


@pytest.mark.anyio
async def test_backend_failure_ends_the_turn_with_an_error() -> None:
    backend = scripted({"error": {"kind": "authentication", "message": "set OPENAI_API_KEY"}})
    events, end = await run(Agent("a1", backend, retry=RetryPolicy(max_attempts=1)))
    assert isinstance(events[-2], StreamError)
    assert end.reason == "error" and end.error is not None and "OPENAI_API_KEY" in str(end.error)


@pytest.mark.anyio
async def test_usage_and_cost_are_accounted_per_agent_and_run() -> None:
    ledger = UsageLedger()
    price = ModelSpec(name="m", input_price=2.0, output_price=10.0)
    reply = {"text": "hi", "usage": {"input_tokens": 1000, "output_tokens": 100}}
    for agent_id in ("a1", "a2"):
        await run(Agent(agent_id, scripted(reply), ledger=ledger, model=price))
    assert ledger.agents["a1"].usage.input_tokens == 1000
    assert ledger.agents["a1"].cost == pytest.approx(0.003)
    assert ledger.total.cost == pytest.approx(0.006) and ledger.total.requests == 2
    await run(Agent("a3", scripted(reply), ledger=ledger, model=None))
    assert ledger.total.cost is None  # an unpriced model makes the total unknown, not wrong


class CountingTool:
    definition = ToolDefinition(name="count", description="c")
    read_only = True

    def __init__(self) -> None:
        self.seen: list[Mapping[str, Any]] = []

    async def call(self, arguments: Mapping[str, Any]) -> ToolOutput:
        self.seen.append(arguments)
        return ToolOutput(str(len(self.seen)))


@pytest.mark.anyio
async def test_any_object_with_the_tool_protocol_is_a_tool() -> None:
    tool = CountingTool()
    backend = scripted({"tool_calls": [{"name": "count", "arguments": {"n": 1}}]}, "done")
    await run(Agent("a1", backend, tools=ToolSet([tool])))
    assert tool.seen == [{"n": 1}]


class LoopingBackend:
    """A backend with its own agent loop (as Claude Code and AG2 have): it runs the core's tools
    through the request's tool runner and stops at a call the runner does not run."""

    def __init__(self) -> None:
        self.requests: list[Any] = []

    async def stream(self, request: Any) -> Any:
        from massgen_core.plugin.messages import TextPart, ToolCallPart
        from massgen_core.plugin.stream import Done, TextDelta, ToolCall

        self.requests.append(request)
        runner = request.tool_runner
        assert runner is not None
        read = ToolCallPart(id="c1", name="read_note", arguments={})
        vote = ToolCallPart(id="c2", name="vote", arguments={"agent_id": "agent1"})
        assert runner.runs("read_note") and not runner.runs("vote") and not runner.runs("nope")
        yield ToolCall(read)
        result = await runner.run(read)
        yield ToolResult(call_id=result.call_id, name=result.name, output=result.content)
        yield TextDelta(f"the note says {result.content}")
        yield ToolCall(vote)
        parts = (read, TextPart(text=f"the note says {result.content}"), vote)
        yield Done(stop_reason="tool_calls", message=Message(role="assistant", parts=parts))

    async def aclose(self) -> None:
        pass


@pytest.mark.anyio
async def test_a_backend_with_its_own_loop_runs_core_tools_through_the_runner_once() -> None:
    calls: list[str] = []

    def read_note() -> str:
        calls.append("read")
        return "42"

    vote = ToolDefinition(name="vote", description="vote", parameters={"type": "object"})
    backend = LoopingBackend()
    tools = ToolSet([FunctionTool(ToolSpec(name="read_note", description="r", function=read_note))])
    events, end = await run(Agent("a1", backend, tools=tools), external_tools=[vote])
    assert calls == ["read"]  # run once, by the backend through the runner; not again by the core
    assert len(backend.requests) == 1
    assert end.reason == "external_tool_calls"
    assert [c.name for c in end.pending_calls] == ["vote"]
    assert [m.role for m in end.messages] == ["assistant", "tool"]
    assert [(p.name, p.content) for p in end.messages[1].tool_results_parts] == [("read_note", "42")]
    assert [e.output for e in events if isinstance(e, ToolResult)] == ["42"]
