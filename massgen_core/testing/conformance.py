"""Conformance tests for backend plugins: subclass, say how to reach your backend, run pytest.

Like LangChain's standard tests, the tests live here and a plugin opts in by subclassing
:class:`BackendConformance` in its own test suite::

    from massgen_core.testing.conformance import BackendConformance

    class TestAcmeConformance(BackendConformance):
        backend_type = "acme"
        model = "acme-1"
        wire = "openai"          # the fake provider's API your backend speaks: openai, anthropic, gemini

Every test drives the backend the way MassGen does (built through the config loader and the
registry, its stream inside the core's retry and timeout loop) against
:class:`~massgen_core.testing.fake_provider.FakeProviderServer` on loopback, through your
provider's real SDK. What is tested follows what the backend *declares*: tool-call tests run
when its spec has ``tool_calling`` (parallel calls with ``parallel_tool_calls``), and the
three-agent coordination when it can call tools. The tests:

- streaming text (in more than one delta) and usage, ending with exactly one ``Done``; the
  system message and the conversation reach the provider;
- a single, parallel and streamed-argument tool call; tool results reaching the provider on the
  next request; provider state (a reasoning signature) carried to the next turn;
- a real three-agent coordination of this backend to a final answer;
- 401 (an authentication error naming the key's env var), an unknown model, 429 with
  ``Retry-After`` (retried; and its delay kept when it is not), 5xx (retried), a dropped stream
  (retried), a stall (a timeout), an error event inside the stream, a malformed stream (a clear
  error, not retried); cancellation (the stream stops at once and the backend closes cleanly);
  and no secret in any error, even when the provider echoes the key.

Override :meth:`BackendConformance.base_url` or :attr:`BackendConformance.options` when your
backend needs more to reach the fake; set a ``skip_*`` attribute to a reason to skip a test
that cannot apply (say why: it shows in the test report).
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, Literal

import pytest

from ..plugin.backend import Backend, ToolDefinition
from ..plugin.errors import (
    AuthenticationError,
    BackendError,
    BackendTimeoutError,
    ModelNotFoundError,
    RateLimitError,
)
from ..plugin.messages import Message, ToolResultPart
from ..plugin.specs import Timeouts
from ..plugin.stream import Done, Restart, StreamError, StreamEvent, TextDelta, ToolCall, TurnAssembler, Usage
from .backends import backend_spec, build_backend, capabilities, chat_request, collect, of_type, resilient
from .fake_provider import (
    Disconnect,
    FakeProviderServer,
    HttpError,
    Malformed,
    Reasoning,
    RecordedRequest,
    Reply,
    Stall,
)
from .fake_provider import (
    StreamError as ScriptedStreamError,
)
from .fake_provider import (
    ToolCall as ScriptedToolCall,
)
from .fake_provider import (
    Usage as ScriptedUsage,
)
from .scripted import coordination_reply

__all__ = ["FAST", "BackendConformance"]

#: timeouts that keep the failure tests quick
FAST = Timeouts(connect=2.0, first_event=10.0, idle=10.0, total=30.0)

WEATHER = ToolDefinition(
    name="get_weather",
    description="The weather in a city.",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
TIME = ToolDefinition(
    name="get_time",
    description="The time in a city.",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)


class BackendConformance:
    """The conformance suite; subclass it (named ``Test...``) in your plugin's tests."""

    #: the backend type under test
    backend_type: ClassVar[str]
    #: the model the tests ask for (the fake provider serves it)
    model: ClassVar[str]
    #: which of the fake provider's APIs the backend speaks
    wire: ClassVar[Literal["openai", "anthropic", "gemini"]] = "openai"
    #: more ``backend:`` options for every test (e.g. ``{"api_version": "v1beta"}``)
    options: ClassVar[Mapping[str, Any]] = {}
    #: the key the tests send (long and unusual, so a leak is easy to find)
    api_key: ClassVar[str] = "sk-conformance-SECRET-7f3a9c21d4e5"
    #: a reason to skip each group of tests, when the backend cannot do what they test
    skip_tool_calls: ClassVar[str | None] = None
    skip_reasoning_state: ClassVar[str | None] = None
    skip_coordination: ClassVar[str | None] = None
    #: for an engine that runs the model calls itself and does not pass the provider's
    #: ``Retry-After`` on when it is told not to retry (Claude Code): say so, and the 429 is still
    #: tested as retried and as a :class:`RateLimitError`, only the kept delay is skipped
    skip_retry_after: ClassVar[str | None] = None

    # -- fixtures ------------------------------------------------------------------------------
    @pytest.fixture
    def anyio_backend(self) -> str:
        return "asyncio"

    @pytest.fixture
    def server(self) -> Iterator[FakeProviderServer]:
        with FakeProviderServer(models=(self.model,)) as server:
            yield server
        assert not server.handler_errors, server.handler_errors

    # -- how to reach the backend ----------------------------------------------------------------
    def base_url(self, server: FakeProviderServer) -> str:
        """Where the backend under test finds the fake provider."""
        return {
            "openai": server.openai_base_url,
            "anthropic": server.anthropic_base_url,
            "gemini": server.gemini_base_url,
        }[self.wire]

    def backend_block(self, server: FakeProviderServer, **extra: Any) -> dict[str, Any]:
        """The ``backend:`` block of an agent of this backend on ``server``."""
        return {
            "type": self.backend_type,
            "model": self.model,
            "base_url": self.base_url(server),
            "api_key": self.api_key,
            **self.options,
            **extra,
        }

    def build(self, server: FakeProviderServer, timeouts: Timeouts = FAST, **extra: Any) -> Backend:
        block = self.backend_block(server, **extra)
        block.pop("type")
        return build_backend(self.backend_type, timeouts=timeouts, **block)

    async def events(
        self, backend: Backend, *messages: Message | str, max_attempts: int = 3, **request: Any
    ) -> list[StreamEvent]:
        """The events of one request, inside the core's retry and timeout loop."""
        try:
            stream = resilient(
                backend,
                chat_request(*messages, **request),
                timeouts=FAST,
                max_attempts=max_attempts,
                name=self.backend_type,
            )
            return await collect(stream)
        finally:
            await backend.aclose()

    def _capable(self, kind: str) -> bool:
        return kind in capabilities(self.backend_type, self.model)

    def _need(self, kind: str, skip: str | None) -> None:
        if skip:
            pytest.skip(skip)
        if not self._capable(kind):
            pytest.skip(f"{self.backend_type} does not declare {kind!r}")

    @staticmethod
    def _error(events: list[StreamEvent]) -> BackendError:
        assert isinstance(events[-1], StreamError), f"expected the request to fail, got {events[-1]!r}"
        return events[-1].error

    @staticmethod
    def _done(events: list[StreamEvent]) -> Done:
        dones = of_type(events, Done)
        assert len(dones) == 1 and events[-1] is dones[0], f"expected exactly one Done, last: {events[-1]!r}"
        return dones[0]

    @staticmethod
    def _reply(events: list[StreamEvent]) -> Message:
        assembler = TurnAssembler()
        for event in events:
            assembler.add(event)
        return assembler.message(BackendConformance._done(events))

    # -- streaming -------------------------------------------------------------------------------
    @pytest.mark.anyio
    async def test_streams_text_and_usage(self, server: FakeProviderServer) -> None:
        text = "Conformance: the answer streams in pieces."
        server.enqueue(Reply(text, text_chunks=4, usage=ScriptedUsage(input_tokens=12, output_tokens=7)))
        events = await self.events(self.build(server), "Say something.")
        deltas = of_type(events, TextDelta)
        assert len(deltas) >= 2, "the text should arrive in several deltas, as it streams"
        assert "".join(d.text for d in deltas) == text
        assert self._reply(events).text == text
        usage = of_type(events, Usage)
        assert usage, "report the provider's token usage with a Usage event"
        assert usage[-1].input_tokens == 12 and usage[-1].output_tokens == 7

    @pytest.mark.anyio
    async def test_the_conversation_reaches_the_provider(self, server: FakeProviderServer) -> None:
        server.enqueue(Reply("Noted."))
        history = (
            Message.system("Conformance system message."),
            Message.user("First question."),
            Message.assistant("First answer."),
            Message.user("Second question."),
        )
        self._done(await self.events(self.build(server), *history))
        sent = server.model_calls()[-1]
        assert (sent.last_user_text or "").rstrip().endswith("Second question.")
        for text in ("Conformance system message.", "First question.", "First answer."):
            assert text.encode() in sent.raw_body, f"{text!r} was not sent to the provider"

    # -- tools -----------------------------------------------------------------------------------
    @pytest.mark.anyio
    async def test_a_tool_call(self, server: FakeProviderServer) -> None:
        self._need("tool_calling", self.skip_tool_calls)
        server.enqueue(Reply("", tool_calls=[ScriptedToolCall("get_weather", {"city": "Paris"})]))
        events = await self.events(self.build(server), "Weather in Paris?", tools=[WEATHER])
        calls = of_type(events, ToolCall)
        assert [(c.call.name, dict(c.call.arguments)) for c in calls] == [("get_weather", {"city": "Paris"})]
        assert self._done(events).stop_reason == "tool_calls"
        assert [c.name for c in self._reply(events).tool_calls] == ["get_weather"]
        assert "get_weather" in server.model_calls()[-1].tool_names

    @pytest.mark.anyio
    async def test_parallel_tool_calls(self, server: FakeProviderServer) -> None:
        self._need("parallel_tool_calls", self.skip_tool_calls)
        server.enqueue(
            Reply(
                "",
                tool_calls=[
                    ScriptedToolCall("get_weather", {"city": "Paris"}),
                    ScriptedToolCall("get_time", {"city": "Lima"}),
                ],
            )
        )
        events = await self.events(self.build(server), "Weather and time?", tools=[WEATHER, TIME])
        calls = [c.call for c in of_type(events, ToolCall)]
        assert [(c.name, dict(c.arguments)) for c in calls] == [
            ("get_weather", {"city": "Paris"}),
            ("get_time", {"city": "Lima"}),
        ]
        assert len({c.id for c in calls}) == 2, "each call needs its own id"

    @pytest.mark.anyio
    async def test_streamed_tool_arguments_arrive_whole(self, server: FakeProviderServer) -> None:
        self._need("tool_calling", self.skip_tool_calls)
        city = "Llanfair­pwllgwyngyll, Ynys Môn " * 4
        server.enqueue(Reply("", tool_calls=[ScriptedToolCall("get_weather", {"city": city}, chunks=6)]))
        events = await self.events(self.build(server), "Weather?", tools=[WEATHER])
        (call,) = of_type(events, ToolCall)
        assert dict(call.call.arguments) == {"city": city}

    @pytest.mark.anyio
    async def test_tool_results_and_provider_state_go_back(self, server: FakeProviderServer) -> None:
        """A tool turn round trip: the call, its result and the reply's provider state (a reasoning
        signature, where the API has one) reach the provider on the next request."""
        self._need("tool_calling", self.skip_tool_calls)
        signature = "conformance-signature-42"
        server.enqueue(
            Reply(
                "",
                reasoning=Reasoning("Let me look it up.", signature=signature),
                tool_calls=[ScriptedToolCall("get_weather", {"city": "Oslo"})],
            ),
            Reply("It is 22 degrees in Oslo."),
        )
        first = await self.events(self.build(server), "Weather in Oslo?", tools=[WEATHER])
        reply = self._reply(first)
        (call,) = reply.tool_calls
        result = Message.tool_results(
            [ToolResultPart(call_id=call.id, name=call.name, content="22 degrees, sunny")]
        )
        second = await self.events(
            self.build(server), Message.user("Weather in Oslo?"), reply, result, tools=[WEATHER]
        )
        assert self._reply(second).text == "It is 22 degrees in Oslo."
        sent = server.model_calls()[-1].raw_body
        assert b"22 degrees, sunny" in sent, "the tool result was not sent back"
        assert b"get_weather" in sent
        if self.skip_reasoning_state is None and self.wire in ("anthropic", "gemini"):
            encoded = base64.b64encode(signature.encode())
            assert signature.encode() in sent or encoded in sent, "the reasoning signature was not sent back"

    # -- coordination ------------------------------------------------------------------------------
    @pytest.mark.anyio
    async def test_three_agents_of_this_backend_coordinate(self, server: FakeProviderServer) -> None:
        self._need("tool_calling", self.skip_coordination)
        from ..runtime.api import run

        answers = {"first": "Paris.", "second": "Paris, France.", "third": "Paris, on the Seine, in France."}

        def respond(request: RecordedRequest) -> Reply:
            text = request.last_user_text or ""
            body = request.raw_body.decode(errors="replace")
            who = next((name for name in answers if f"agent {name}." in body), "first")
            spec = coordination_reply(text, request.tool_names, answer=answers[who])
            calls = [ScriptedToolCall(c["name"], c["arguments"]) for c in spec.get("tool_calls", ())]
            return Reply(spec.get("text", ""), tool_calls=calls)

        server.responder = respond
        config = {
            "agents": [
                {
                    "id": name,
                    "backend": self.backend_block(server),
                    "system_message": f"You are agent {name}.",
                }
                for name in answers
            ],
            "ui": {"display_type": "silent", "logging_enabled": False},
            "timeout_settings": {"orchestrator_timeout_seconds": 120},
        }
        result = await run(config, "What is the capital of France?")
        assert not result.failures, result.failures
        assert result.winner == "third" and result.final_answer == answers["third"]
        assert sum(result.vote_counts.values()) == 3

    # -- failures ----------------------------------------------------------------------------------
    @pytest.mark.anyio
    async def test_401_is_an_authentication_error_naming_the_key(self, server: FakeProviderServer) -> None:
        server.enqueue(HttpError(401, invalid_api_key=True))
        error = self._error(await self.events(self.build(server), "Hi"))
        assert isinstance(error, AuthenticationError), repr(error)
        env = backend_spec(self.backend_type).api_key_env
        if env:
            assert any(name in str(error) for name in env), f"name the env var to set ({env}): {error}"

    @pytest.mark.anyio
    async def test_an_unknown_model_says_so(self, server: FakeProviderServer) -> None:
        server.enqueue(HttpError(404))  # the provider's "model not found", naming the model sent
        error = self._error(await self.events(self.build(server, model="no-such-model-x9"), "Hi"))
        assert isinstance(error, ModelNotFoundError), repr(error)
        assert "no-such-model-x9" in str(error)

    @pytest.mark.anyio
    async def test_429_is_retried_after_its_retry_after(self, server: FakeProviderServer) -> None:
        server.enqueue(HttpError(429, headers={"retry-after": "0"}), Reply("After the wait."))
        events = await self.events(self.build(server), "Hi")
        assert self._reply(events).text == "After the wait."
        assert len(server.model_calls()) == 2

    @pytest.mark.anyio
    async def test_429_keeps_its_retry_after(self, server: FakeProviderServer) -> None:
        server.enqueue(HttpError(429, headers={"retry-after": "7"}))
        error = self._error(await self.events(self.build(server), "Hi", max_attempts=1))
        assert isinstance(error, RateLimitError), repr(error)
        assert error.retryable
        if self.skip_retry_after:
            pytest.skip(self.skip_retry_after)
        assert error.retry_after == 7

    @pytest.mark.anyio
    async def test_5xx_is_retried(self, server: FakeProviderServer) -> None:
        server.enqueue(HttpError(503), Reply("Back again."))
        assert self._reply(await self.events(self.build(server), "Hi")).text == "Back again."

    @pytest.mark.anyio
    async def test_a_dropped_stream_is_retried(self, server: FakeProviderServer) -> None:
        server.enqueue(
            Reply("This reply breaks off.", text_chunks=4, fault=Disconnect(after=1)), Reply("Whole.")
        )
        events = await self.events(self.build(server), "Hi")
        assert self._reply(events).text == "Whole.", "the retried reply is the one kept"
        assert len(server.model_calls()) == 2
        broken = [e for e in events[: events.index(next(iter(of_type(events, Restart)), events[-1]))]]
        assert not of_type(broken, Done)

    @pytest.mark.anyio
    async def test_a_stall_times_out(self, server: FakeProviderServer) -> None:
        server.enqueue(Reply("This reply stalls.", text_chunks=4, fault=Stall(after=1)))
        backend = self.build(server)
        stream = resilient(
            backend,
            chat_request("Hi"),
            timeouts=Timeouts(connect=2.0, first_event=5.0, idle=0.5, total=10.0),
            max_attempts=1,
        )
        try:
            events = await collect(stream)
        finally:
            await backend.aclose()
        error = self._error(events)
        assert isinstance(error, BackendTimeoutError), repr(error)

    @pytest.mark.anyio
    async def test_an_error_event_inside_the_stream_is_raised(self, server: FakeProviderServer) -> None:
        server.enqueue(Reply("Half an ans", text_chunks=4, fault=ScriptedStreamError(after=1)))
        error = self._error(await self.events(self.build(server), "Hi", max_attempts=1))
        assert isinstance(error, BackendError), repr(error)

    @pytest.mark.anyio
    async def test_a_malformed_stream_is_a_clear_error(self, server: FakeProviderServer) -> None:
        """Bytes that are not the API's events: an error (never a silently cut answer)."""
        for after in (0, 2):
            server.enqueue(Reply("Not what it seems at all.", text_chunks=4, fault=Malformed(after=after)))
            events = await self.events(self.build(server), "Hi", max_attempts=1)
            error = self._error(events)
            assert isinstance(error, BackendError) and "Traceback" not in str(error)
            assert not of_type(events, Done)

    @pytest.mark.anyio
    async def test_cancellation_stops_the_stream(self, server: FakeProviderServer) -> None:
        server.enqueue(Reply("Streams, then waits forever.", text_chunks=4, fault=Stall(after=1)))
        backend = self.build(server)
        first = asyncio.Event()

        async def consume() -> None:
            async for event in backend.stream(chat_request("Hi")):
                if isinstance(event, TextDelta):
                    first.set()

        task = asyncio.create_task(consume())
        try:
            await asyncio.wait_for(first.wait(), 10)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await asyncio.wait_for(task, 10)
        finally:
            await asyncio.wait_for(backend.aclose(), 5)

    @pytest.mark.anyio
    async def test_no_secret_in_any_error(self, server: FakeProviderServer) -> None:
        echo = f"Incorrect API key provided: {self.api_key}. You can find your key in your account."
        server.enqueue(
            HttpError(401, message=echo), HttpError(400, message=f"bad request for {self.api_key}")
        )
        for _ in range(2):
            error = self._error(await self.events(self.build(server), "Hi", max_attempts=1))
            assert self.api_key not in str(error) and self.api_key not in repr(error.args)
            assert self.api_key not in (error.provider_message or "")
