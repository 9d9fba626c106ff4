"""The core's one retry and timeout loop, driven by backends that fail on purpose."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from massgen_core.plugin.backend import ChatRequest
from massgen_core.plugin.errors import (
    AuthenticationError,
    BackendError,
    BackendTimeoutError,
    ProviderServerError,
    RateLimitError,
)
from massgen_core.plugin.messages import Message
from massgen_core.plugin.specs import Timeouts
from massgen_core.plugin.stream import Done, Restart, StreamError, StreamEvent, TextDelta
from massgen_core.runtime.resilience import RetryPolicy, resilient_stream

REQUEST = ChatRequest(messages=[Message.user("hi")])


class Flaky:
    """Fails with the given errors (one per attempt), then answers; or stalls on request."""

    def __init__(
        self, *failures: BackendError | None, stall_after: int | None = None, pause: float = 0
    ) -> None:
        self.failures = list(failures)
        self.attempts = 0
        self.stall_after = stall_after
        self.pause = pause

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        self.attempts += 1
        if self.pause:
            await asyncio.sleep(self.pause)
        if self.failures:
            failure = self.failures.pop(0)
            if failure is not None:
                raise failure
        for i in range(3):
            if self.stall_after is not None and i >= self.stall_after:
                await asyncio.Event().wait()
            yield TextDelta(f"t{i}")
        yield Done(stop_reason="end_turn", message=Message.assistant("t0t1t2"))

    async def aclose(self) -> None:
        pass


async def collect(backend: Flaky, **kwargs: object) -> tuple[list[StreamEvent], list[float]]:
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    events = [e async for e in resilient_stream(backend, REQUEST, sleep=fake_sleep, **kwargs)]  # type: ignore[arg-type]
    return events, waits


@pytest.mark.anyio
async def test_retryable_errors_before_the_first_event_are_retried_with_backoff() -> None:
    backend = Flaky(ProviderServerError("500"), RateLimitError("429"))
    events, waits = await collect(backend, policy=RetryPolicy(max_attempts=3, jitter=0))
    assert backend.attempts == 3
    assert waits == [0.5, 1.0]
    assert isinstance(events[-1], Done)


@pytest.mark.anyio
async def test_retry_after_is_honoured_and_capped() -> None:
    events, waits = await collect(Flaky(RateLimitError("429", retry_after=7)), policy=RetryPolicy())
    assert waits == [7] and isinstance(events[-1], Done)

    events, waits = await collect(Flaky(RateLimitError("429", retry_after=600)), policy=RetryPolicy())
    assert waits == []
    assert isinstance(events[-1], StreamError) and isinstance(events[-1].error, RateLimitError)


@pytest.mark.anyio
async def test_non_retryable_errors_fail_at_once() -> None:
    backend = Flaky(AuthenticationError("no key; set OPENAI_API_KEY"))
    events, waits = await collect(backend)
    assert backend.attempts == 1 and waits == []
    assert [type(e) for e in events] == [StreamError]
    assert "OPENAI_API_KEY" in str(events[0].error)  # type: ignore[union-attr]


@pytest.mark.anyio
async def test_attempts_are_bounded() -> None:
    backend = Flaky(*[ProviderServerError("500")] * 5)
    events, waits = await collect(backend, policy=RetryPolicy(max_attempts=3))
    assert backend.attempts == 3 and len(waits) == 2
    assert isinstance(events[-1], StreamError)


@pytest.mark.anyio
async def test_a_reply_that_breaks_after_deltas_only_is_retried() -> None:
    class MidStream(Flaky):
        async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
            self.attempts += 1
            yield TextDelta("partial")
            if self.attempts == 1:
                raise ProviderServerError("overloaded")
            yield Done(stop_reason="end_turn", message=Message.assistant("whole"))

    backend = MidStream()
    events, _ = await collect(backend)
    assert backend.attempts == 2
    assert [type(e) for e in events] == [TextDelta, Restart, TextDelta, Done]  # Restart: drop the first


@pytest.mark.anyio
async def test_failures_after_the_reply_was_used_are_not_retried() -> None:
    class AfterDone(Flaky):
        async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
            self.attempts += 1
            yield Done(stop_reason="end_turn", message=Message.assistant("whole"))
            raise ProviderServerError("overloaded")

    backend = AfterDone()
    events, _ = await collect(backend)
    assert backend.attempts == 1
    assert [type(e) for e in events] == [Done, StreamError]


@pytest.mark.anyio
async def test_an_unexpected_exception_becomes_a_stream_error() -> None:
    events, _ = await collect(Flaky(None, stall_after=None), policy=RetryPolicy())
    assert isinstance(events[-1], Done)

    class Buggy(Flaky):
        async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
            raise KeyError("oops")
            yield TextDelta("")  # pragma: no cover

    events, _ = await collect(Buggy())
    assert isinstance(events[0], StreamError) and "KeyError" in str(events[0].error)


@pytest.mark.anyio
async def test_idle_timeout_fires_when_a_stream_stalls() -> None:
    events, _ = await collect(
        Flaky(stall_after=1), timeouts=Timeouts(idle=0.05, first_event=5), policy=RetryPolicy(max_attempts=1)
    )
    assert [type(e) for e in events] == [TextDelta, StreamError]
    error = events[-1].error  # type: ignore[union-attr]
    assert isinstance(error, BackendTimeoutError) and "stalled" in str(error) and "idle_timeout" in str(error)


@pytest.mark.anyio
async def test_first_event_timeout_is_retried_then_reported() -> None:
    backend = Flaky(stall_after=0)
    events, waits = await collect(
        backend, timeouts=Timeouts(first_event=0.05), policy=RetryPolicy(max_attempts=2)
    )
    assert backend.attempts == 2 and len(waits) == 1
    assert isinstance(events[-1], StreamError) and "no response started" in str(events[-1].error)


@pytest.mark.anyio
async def test_total_timeout_bounds_the_whole_response() -> None:
    backend = Flaky(pause=0.2)
    events, _ = await collect(backend, timeouts=Timeouts(total=0.05, first_event=10))
    assert isinstance(events[-1], StreamError) and "longer than" in str(events[-1].error)


@pytest.mark.anyio
async def test_consumer_time_is_not_counted_as_idle() -> None:
    out = []
    async for event in resilient_stream(Flaky(), REQUEST, timeouts=Timeouts(idle=0.05)):
        await asyncio.sleep(0.1)  # a slow consumer must not trip the backend's idle timeout
        out.append(event)
    assert isinstance(out[-1], Done)


class Trickle:
    """Streams ``count`` events ``gap`` seconds apart."""

    def __init__(self, count: int, gap: float) -> None:
        self.count, self.gap = count, gap

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        for i in range(self.count):
            await asyncio.sleep(self.gap)
            yield TextDelta(f"t{i}")
        yield Done(stop_reason="end_turn", message=Message.assistant("done"))

    async def aclose(self) -> None:
        pass


@pytest.mark.anyio
async def test_a_steady_stream_outlasting_the_idle_timeout_is_not_cut() -> None:
    # 12 events 30 ms apart: 0.36 s in all, each gap well under the 0.1 s idle timeout
    events, _ = await collect(Trickle(12, 0.03), timeouts=Timeouts(idle=0.1, first_event=0.1))  # type: ignore[arg-type]
    assert [type(e) for e in events] == [TextDelta] * 12 + [Done]


@pytest.mark.anyio
async def test_an_outside_cancellation_is_not_reported_as_a_timeout() -> None:
    async def consume() -> list[StreamEvent]:
        return [e async for e in resilient_stream(Flaky(stall_after=1), REQUEST, timeouts=Timeouts(idle=5))]  # type: ignore[arg-type]

    task = asyncio.ensure_future(consume())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


@pytest.mark.anyio
async def test_a_timeout_leaves_the_task_uncancelled_and_its_timer_gone() -> None:
    events, _ = await collect(Flaky(stall_after=1), timeouts=Timeouts(idle=0.05, first_event=5))
    assert isinstance(events[-1], StreamError)
    task = asyncio.current_task()
    assert task is not None and task.cancelling() == 0
    await asyncio.sleep(0.1)  # a stray timer would cancel this sleep


@pytest.mark.anyio
async def test_the_deadline_cancels_the_task_that_is_waiting() -> None:
    stream = resilient_stream(
        Flaky(stall_after=1),  # type: ignore[arg-type]
        REQUEST,
        timeouts=Timeouts(idle=0.05, first_event=5),
        policy=RetryPolicy(max_attempts=1),
    )
    first = await asyncio.create_task(anext(stream))  # the first event, in one task ...

    async def rest() -> list[StreamEvent]:  # ... the rest in another
        return [event async for event in stream]

    loop = asyncio.get_running_loop()
    started = loop.time()
    later = await asyncio.wait_for(asyncio.create_task(rest()), timeout=5)
    assert loop.time() - started < 2  # the 0.05 s idle timeout, not the 5 s guard, ended it
    assert isinstance(first, TextDelta)
    assert [type(e) for e in later] == [StreamError] and "stalled" in str(later[0].error)  # type: ignore[union-attr]
