"""The agent loop: call the backend, run the tools it asks for, feed results back, repeat.

:meth:`Agent.run` streams a turn. Tool calls the agent can run itself (its :class:`ToolSet`)
are run concurrently and their results sent back, until the model answers without tool calls,
asks for a tool the agent does not run itself (an *external* tool such as the coordination's
``vote``/``new_answer``; the caller handles those), or ``max_steps`` requests have been made.
The last event is always a :class:`TurnComplete`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Literal

import attrs

from ..plugin.backend import Backend, ChatRequest, ToolDefinition
from ..plugin.errors import BackendError
from ..plugin.messages import Message, ToolCallPart, ToolResultPart
from ..plugin.specs import ModelSpec, Timeouts
from ..plugin.stream import Done, StreamError, StreamEvent, ToolResult, TurnAssembler, Usage
from ..tools.toolset import Tool, ToolOutput, ToolSet
from .resilience import RetryPolicy, resilient_stream
from .usage import UsageLedger

__all__ = ["Agent", "TurnComplete", "TurnEndReason"]

TurnEndReason = Literal["answered", "external_tool_calls", "max_steps", "error"]
#: Returns why a tool may not run now (e.g. planning mode), or None to let it run.
ToolGate = Callable[[Tool], str | None]


@attrs.frozen(kw_only=True)
class TurnComplete:
    """The end of a turn.

    :param reason: why the turn ended.
    :param messages: the messages this turn added (assistant turns and tool results).
    :param text: the final assistant text.
    :param pending_calls: external tool calls for the caller to handle.
    :param error: the failure, when ``reason == "error"``.
    :param usage: tokens used by this turn's requests.
    """

    reason: TurnEndReason
    messages: tuple[Message, ...]
    text: str = ""
    pending_calls: tuple[ToolCallPart, ...] = ()
    error: BackendError | None = None
    usage: Usage = Usage()
    kind: Literal["turn_complete"] = "turn_complete"


class Agent:
    """One agent: an id, a backend, its tools, and how to call the backend."""

    def __init__(
        self,
        agent_id: str,
        backend: Backend,
        *,
        tools: ToolSet | None = None,
        system_message: str | None = None,
        model: ModelSpec | None = None,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        ledger: UsageLedger | None = None,
        backend_name: str | None = None,
    ) -> None:
        self.id = agent_id
        self.backend = backend
        self.tools = tools or ToolSet()
        self.system_message = system_message
        self.model = model
        self.timeouts = timeouts or Timeouts()
        self.retry = retry or RetryPolicy()
        self.ledger = ledger or UsageLedger()
        self.backend_name = backend_name or agent_id

    async def run(
        self,
        messages: Sequence[Message],
        *,
        external_tools: Sequence[ToolDefinition] = (),
        max_steps: int = 10,
        gate: ToolGate | None = None,
        tool_choice: str = "auto",
    ) -> AsyncIterator[StreamEvent | TurnComplete]:
        """Run one turn from ``messages``; yields stream events, tool results, then ``TurnComplete``."""
        history = list(messages)
        added: list[Message] = []
        definitions = (*self.tools.definitions, *external_tools)
        external_names = {d.name for d in external_tools}
        runner = _AgentToolRunner(self, external_names, gate)
        turn_usage = Usage()
        for _step in range(max_steps):
            request = ChatRequest(
                messages=history, tools=definitions, tool_choice=tool_choice, tool_runner=runner
            )
            done: Done | None = None
            assembler = TurnAssembler()
            reported = False  # whether the backend reported this request's usage
            answered: dict[str, ToolResult] = {}  # calls the backend ran through the runner
            async for event in resilient_stream(
                self.backend, request, timeouts=self.timeouts, policy=self.retry, name=self.backend_name
            ):
                if isinstance(event, Usage):
                    self.ledger.record(self.id, event, self.model)
                    turn_usage = turn_usage + event
                    reported = True
                elif isinstance(event, Done):
                    done = event
                elif isinstance(event, ToolResult):
                    answered[event.call_id] = event
                elif isinstance(event, StreamError):
                    yield event
                    yield TurnComplete(
                        reason="error", messages=tuple(added), error=event.error, usage=turn_usage
                    )
                    return
                assembler.add(event)
                yield event
            if done is None:  # a backend that ended without Done broke the contract
                error = BackendError(f"{self.backend_name}: the response ended without finishing")
                yield StreamError(error)
                yield TurnComplete(reason="error", messages=tuple(added), error=error, usage=turn_usage)
                return
            if not reported:  # counted, as unknown usage: not as zero tokens
                self.ledger.record(self.id, None, self.model)
            reply = assembler.message(done)
            history.append(reply)
            added.append(reply)
            calls = [c for c in reply.tool_calls if c.id not in answered]
            if answered:  # keep the transcript whole: every call is followed by its result
                ran = [c for c in reply.tool_calls if c.id in answered]
                ran_message = Message.tool_results(
                    ToolResultPart(
                        call_id=c.id,
                        name=c.name,
                        content=answered[c.id].output,
                        is_error=answered[c.id].is_error,
                    )
                    for c in ran
                )
                if ran_message.parts:
                    history.append(ran_message)
                    added.append(ran_message)
            if not calls:
                yield TurnComplete(
                    reason="answered", messages=tuple(added), text=reply.text, usage=turn_usage
                )
                return
            external = tuple(c for c in calls if c.name in external_names)
            local = [c for c in calls if c.name not in external_names]
            if local:
                results = await asyncio.gather(*(self._run_tool(c, gate) for c in local))
                for call, output in zip(local, results, strict=True):
                    yield ToolResult(
                        call_id=call.id, name=call.name, output=output.content, is_error=output.is_error
                    )
                tool_message = Message.tool_results(
                    ToolResultPart(call_id=c.id, name=c.name, content=o.content, is_error=o.is_error)
                    for c, o in zip(local, results, strict=True)
                )
                history.append(tool_message)
                added.append(tool_message)
            if external:
                yield TurnComplete(
                    reason="external_tool_calls",
                    messages=tuple(added),
                    text=reply.text,
                    pending_calls=external,
                    usage=turn_usage,
                )
                return
        yield TurnComplete(reason="max_steps", messages=tuple(added), text=history[-1].text, usage=turn_usage)

    async def _run_tool(self, call: ToolCallPart, gate: ToolGate | None) -> ToolOutput:
        tool = self.tools.get(call.name)
        if tool is None:
            return ToolOutput(
                f"unknown tool {call.name!r}; available tools: {', '.join(self.tools.names()) or 'none'}",
                is_error=True,
            )
        if gate is not None and (reason := gate(tool)):
            return ToolOutput(reason, is_error=True)
        try:
            return await tool.call(call.arguments)
        except Exception as exc:
            return ToolOutput(f"{call.name} failed: {type(exc).__name__}: {exc}", is_error=True)

    async def aclose(self) -> None:
        await self.backend.aclose()


class _AgentToolRunner:
    """The :class:`~massgen_core.plugin.backend.ToolRunner` an agent gives backends with their own loop."""

    __slots__ = ("_agent", "_external", "_gate")

    def __init__(self, agent: Agent, external: set[str], gate: ToolGate | None) -> None:
        self._agent = agent
        self._external = external
        self._gate = gate

    def runs(self, name: str) -> bool:
        return name not in self._external and self._agent.tools.get(name) is not None

    async def run(self, call: ToolCallPart) -> ToolResultPart:
        output = await self._agent._run_tool(call, self._gate)
        return ToolResultPart(
            call_id=call.id, name=call.name, content=output.content, is_error=output.is_error
        )
