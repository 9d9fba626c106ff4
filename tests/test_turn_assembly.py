"""The core assembles the assistant turn from what a backend streamed (``Done`` without a message)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from massgen_core.plugin.backend import ChatRequest, ToolDefinition
from massgen_core.plugin.errors import ConnectionFailedError
from massgen_core.plugin.messages import Message, ReasoningPart, TextPart, ToolCallPart
from massgen_core.plugin.stream import (
    BackendEvent,
    Done,
    ReasoningDelta,
    Restart,
    TextDelta,
    ToolCall,
    TurnAssembler,
    Usage,
)
from massgen_core.runtime.agent import Agent, TurnComplete
from massgen_core.runtime.resilience import RetryPolicy

pytestmark = pytest.mark.anyio


def test_parts_follow_the_events_with_their_state_and_boundaries() -> None:
    assembler = TurnAssembler()
    call = ToolCallPart(id="c1", name="look", arguments={"q": 1}, provider_state={"sig": "t"})
    for event in (
        ReasoningDelta("think "),
        ReasoningDelta("more"),
        ReasoningDelta("", state={"signature": "s1"}),
        ReasoningDelta("", new_part=True, state={"redacted": "xyz"}),
        TextDelta("Hel"),
        TextDelta("lo", state={"id": "m1"}),
        ToolCall(call),
        TextDelta("after"),
    ):
        assembler.add(event)
    message = assembler.message(Done(stop_reason="tool_calls", state={"response_id": "r1"}))
    assert message.parts == (
        ReasoningPart(text="think more", provider_state={"signature": "s1"}),
        ReasoningPart(text="", provider_state={"redacted": "xyz"}),
        TextPart(text="Hello", provider_state={"id": "m1"}),
        call,
        TextPart(text="after"),
    )
    assert message.provider_state == {"response_id": "r1"}
    assert list(message.tool_calls) == [call]


def test_a_message_the_backend_built_wins_and_a_restart_drops_the_broken_reply() -> None:
    assembler = TurnAssembler()
    assembler.add(TextDelta("broken"))
    assembler.add(Restart(attempt=1, reason="dropped"))
    assembler.add(TextDelta("whole"))
    assert assembler.message(Done(stop_reason="end_turn")).text == "whole"
    own = Message.assistant("mine")
    assert assembler.message(Done(stop_reason="end_turn", message=own)) is own


class BreaksOnce:
    """Streams a little, breaks off once (a retryable failure), then answers with a tool call;
    it never builds a message: the core does."""

    def __init__(self) -> None:
        self.requests: list[ChatRequest] = []

    async def stream(self, request: ChatRequest) -> AsyncIterator[BackendEvent]:
        self.requests.append(request)
        if len(self.requests) == 1:
            yield TextDelta("half an ans")
            raise ConnectionFailedError("the connection dropped", retryable=True)
        if len(self.requests) == 2:
            yield ReasoningDelta("plan", state={"signature": "sig-1"})
            yield TextDelta("Let me vote.")
            yield ToolCall(ToolCallPart(id="v1", name="vote", arguments={"agent_id": "agent1"}))
            yield Done(stop_reason="tool_calls")
            return
        raise AssertionError("one retry expected")

    async def aclose(self) -> None:
        pass


async def test_the_agent_keeps_the_retried_reply_assembled_from_its_events() -> None:
    backend = BreaksOnce()
    vote = ToolDefinition(name="vote", description="vote", parameters={"type": "object"})
    agent = Agent("a1", backend, retry=RetryPolicy(initial_delay=0.01))
    events: list[Any] = [e async for e in agent.run([Message.user("q")], external_tools=[vote])]
    end = events[-1]
    assert isinstance(end, TurnComplete) and end.reason == "external_tool_calls"
    assert any(isinstance(e, Restart) for e in events)
    (reply,) = end.messages
    assert [type(p).__name__ for p in reply.parts] == ["ReasoningPart", "TextPart", "ToolCallPart"]
    assert reply.text == "Let me vote."
    assert reply.parts[0].provider_state == {"signature": "sig-1"}
    assert [c.name for c in end.pending_calls] == ["vote"]


def test_a_cost_the_backend_reports_is_used_instead_of_model_prices() -> None:
    from massgen_core.plugin.specs import ModelSpec
    from massgen_core.runtime.usage import UsageLedger

    ledger = UsageLedger()
    priced = ModelSpec(name="m", input_price=1.0, output_price=1.0)
    assert ledger.record("a", Usage(input_tokens=10, output_tokens=10, cost=0.25), None) == 0.25
    assert ledger.record("b", Usage(input_tokens=1_000_000, output_tokens=0), priced) == 1.0
    assert ledger.record("c", Usage(input_tokens=5, output_tokens=5), None) is None
    assert (Usage(cost=0.1) + Usage(cost=0.2)).cost == pytest.approx(0.3)
    assert (Usage(cost=0.1) + Usage()).cost is None
