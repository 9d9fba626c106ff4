"""Issue 18, item 5: one stalled agent does not hold up the run.

The ready agents go on (they vote on the answers they can see) once a stale turn has run past
the patience; once every other agent has voted, the run waits at most the straggler grace
(``timeout_settings.straggler_grace_seconds``, 60 s by default), then ends without the
straggler and reports it. The stall timeouts' messages say how long was really waited.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reliability_support import coordinating, needs_openai, team_config

from massgen_core.config import TimeoutSettings, load_config
from massgen_core.plugin.backend import ChatRequest
from massgen_core.plugin.errors import BackendTimeoutError
from massgen_core.plugin.messages import Message
from massgen_core.plugin.specs import Timeouts
from massgen_core.plugin.stream import StreamError, StreamEvent, TextDelta
from massgen_core.runtime.api import run
from massgen_core.runtime.coordination import CoordinationSettings
from massgen_core.runtime.coordination.state import MIN_PATIENCE, CoordinationState
from massgen_core.runtime.resilience import RetryPolicy, resilient_stream
from massgen_core.testing.fake_provider import FakeProviderServer, RecordedRequest, Reply, Stall

IDS = ("a", "b", "c")


# -- the pure rules -------------------------------------------------------------------------------
def first_answers(state: CoordinationState, *, at: float = 0.0, took: float = 0.5) -> None:
    """Every agent starts at ``at``; a and b answer ``took`` seconds later; c is still working."""
    for agent_id in IDS:
        state.start_turn(agent_id, now=at)
    state.record_answer("a", "A", now=at + took)
    state.record_answer("b", "B", now=at + took)


def test_a_stale_turn_holds_the_others_back_only_for_the_patience() -> None:
    state = CoordinationState(IDS, straggler_grace=60)
    first_answers(state, took=3.0)
    assert state.patience() == 6.0  # twice the longest turn so far
    assert state.ready_to_start() == []  # c works from an older view
    assert state.next_deadline() == 6.0
    assert state.observe(5.9).released == ()
    assert state.observe(6.0).released == ("c",)
    assert state.ready_to_start() == ["a", "b"]  # they go on with the answers they can see


def test_the_patience_has_a_floor_and_is_capped_by_the_grace() -> None:
    state = CoordinationState(IDS, straggler_grace=60)
    first_answers(state, took=0.01)
    assert state.patience() == MIN_PATIENCE
    capped = CoordinationState(IDS, straggler_grace=4)
    first_answers(capped, took=30)
    assert capped.patience() == 4


def test_once_the_others_voted_the_grace_runs_then_the_straggler_is_overdue() -> None:
    state = CoordinationState(IDS, straggler_grace=60)
    first_answers(state)
    state.observe(1.0)
    for agent_id in ("a", "b"):
        state.start_turn(agent_id, now=1.0)
        assert state.record_vote(agent_id, "b", "best", now=1.2) is not None
    assert state.end_reason() is None
    assert state.observe(1.2).overdue == ()
    assert state.waiting_since == 1.2 and state.next_deadline() == 61.2
    assert state.observe(61.1).overdue == ()
    assert state.observe(61.2).overdue == ("c",)
    state.record_straggler("c", "too slow")
    assert state.end_reason() == "consensus"
    assert state.stragglers == {"c": "too slow"} and state.failures == {"c": "too slow"}


def test_a_late_answer_within_the_grace_stops_the_clock() -> None:
    state = CoordinationState(IDS, straggler_grace=60)
    first_answers(state)
    state.observe(1.0)
    for agent_id in ("a", "b"):
        state.start_turn(agent_id, now=1.0)
        state.record_vote(agent_id, "b", "best", now=1.2)
    state.observe(1.2)
    state.record_answer("c", "C", now=30)  # the straggler's answer clears the votes
    assert state.observe(30).overdue == () and state.waiting_since is None
    assert state.ready_to_start() == list(IDS)


def test_a_minority_of_voters_does_not_start_the_grace() -> None:
    state = CoordinationState(IDS, straggler_grace=60)
    for agent_id in IDS:
        state.start_turn(agent_id, now=0)
    state.record_answer("a", "A", now=0.5)
    state.observe(1.0)  # b and c are released: a goes on alone
    state.start_turn("a", now=1.0)
    state.record_vote("a", "a", "mine", now=1.1)
    assert state.observe(500).overdue == ()  # one voter, two still working: wait for them
    assert state.waiting_since is None


def test_without_a_grace_nothing_is_released_or_left_out() -> None:
    state = CoordinationState(IDS, straggler_grace=None)
    first_answers(state)
    assert state.patience() is None
    clock = state.observe(10_000)
    assert clock.released == () and clock.overdue == () and state.next_deadline() is None
    assert state.ready_to_start() == []  # the old rule: wait for c, however long it takes


@given(
    data=st.data(),
    ids=st.lists(st.sampled_from("abcdef"), min_size=2, max_size=5, unique=True).map(tuple),
    grace=st.sampled_from([None, 0.5, 3.0, 60.0]),
)
@settings(max_examples=150, deadline=None)
def test_with_the_clock_any_run_ends_and_a_stale_turn_never_blocks_past_the_patience(
    data: st.DataObject, ids: tuple[str, ...], grace: float | None
) -> None:
    """The orchestrator's loop, played against the pure state with a random clock and outcomes."""
    state = CoordinationState(ids, max_rounds=4, straggler_grace=grace)
    now, turns = 0.0, 0
    while True:
        for agent_id in state.ready_to_start():
            state.start_turn(agent_id, now=now)
            turns += 1
        clock = state.observe(now)
        for agent_id in clock.overdue:
            state.record_straggler(agent_id, "left out")
        if clock.released or clock.overdue:
            continue
        patience = state.patience()
        if patience is not None:  # nothing stale is waited on for longer than the patience
            assert all(now < state.started_at[a] + patience for a in state._holding_back())
        if not state.running:
            assert state.end_reason() is not None
            break
        wake = state.next_deadline()
        if wake is not None and data.draw(st.booleans()):
            now = max(now, wake)  # the clock goes first
            continue
        now += data.draw(st.floats(min_value=0.0, max_value=5.0))
        agent_id = data.draw(st.sampled_from(sorted(state.running)))
        choice = data.draw(
            st.sampled_from(["answer", "vote", "fail"] if state.answers else ["answer", "fail"])
        )
        if choice == "answer":
            state.record_answer(agent_id, f"{agent_id}-{turns}", now=now)
        elif choice == "vote":
            state.record_vote(agent_id, data.draw(st.sampled_from(sorted(state.answers))), "", now=now)
        else:
            state.record_failure(agent_id, "boom")
    assert turns <= len(ids) * 4
    if grace is None:
        assert not state.stragglers
    if state.end_reason() == "consensus":
        assert set(state.votes) == set(state.live)


def test_the_grace_is_a_config_key_60_seconds_by_default() -> None:
    assert TimeoutSettings().straggler_grace_seconds == 60
    config = load_config(
        "agent: {backend: {type: scripted}}\ntimeout_settings: {straggler_grace_seconds: 5}\n"
    )
    assert CoordinationSettings.from_config(config).straggler_grace == 5
    default = load_config("agent: {backend: {type: scripted}}\n")
    assert CoordinationSettings.from_config(default).straggler_grace == 60


# -- through the SDKs -----------------------------------------------------------------------------
ANSWERS = {"m-0": "Paris.", "m-1": "Paris, on the Seine.", "m-2": "never said"}


def stalling_third(request: RecordedRequest) -> Reply:
    if request.model == "m-2":
        return Reply("", fault=Stall(after=0))  # headers, then nothing: a stalled agent
    return coordinating(ANSWERS)(request)


@needs_openai
@pytest.mark.anyio
async def test_a_stalled_agent_is_left_out_after_the_grace_with_default_stall_timeouts() -> None:
    with FakeProviderServer(responder=stalling_third, models=list(ANSWERS)) as server:
        # default first_event/idle timeouts (120 s, retried): only the grace may end the wait
        config = team_config(server, list(ANSWERS), timeout_settings={"straggler_grace_seconds": 1})
        started = time.monotonic()
        result = await asyncio.wait_for(run(config, "What is the capital of France?"), 30)
        took = time.monotonic() - started
    assert took < 15  # not the 3 x 120 s of the stalled agent's first-event timeouts
    assert result.end_reason == "consensus" and result.presented
    assert result.vote_counts == {"m-1": 2} and result.winner == "m-1"
    assert result.stragglers == ("m-2",)
    assert "straggler_grace_seconds" in result.failures["m-2"]
    assert "Left out while still working: m-2" in result.summary


@needs_openai
@pytest.mark.anyio
async def test_with_an_orchestrator_timeout_the_ready_agents_have_voted_and_the_straggler_is_named() -> None:
    with FakeProviderServer(responder=stalling_third, models=list(ANSWERS)) as server:
        config = team_config(server, list(ANSWERS), timeout_settings={"orchestrator_timeout_seconds": 4})
        result = await asyncio.wait_for(run(config, "What is the capital of France?"), 30)
    assert result.end_reason == "timeout"
    assert result.vote_counts == {"m-1": 2} and result.final_answer == ANSWERS["m-1"]
    assert result.stragglers == ("m-2",)
    assert "orchestrator_timeout_seconds" in result.failures["m-2"]


# -- the stall timeouts say how long was waited --------------------------------------------------
class Silent:
    """A backend whose response never starts."""

    def __init__(self) -> None:
        self.attempts = 0

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        self.attempts += 1
        await asyncio.Event().wait()
        yield TextDelta("never")  # pragma: no cover

    async def aclose(self) -> None:
        pass


@pytest.mark.anyio
async def test_a_retried_stall_reports_every_attempt_and_the_time_it_really_took() -> None:
    backend = Silent()
    started = time.monotonic()
    events = [
        e
        async for e in resilient_stream(
            backend,  # type: ignore[arg-type]
            ChatRequest(messages=[Message.user("hi")]),
            timeouts=Timeouts(first_event=0.2),
            policy=RetryPolicy(max_attempts=3, initial_delay=0.01, jitter=0),
            name="slow",
        )
    ]
    took = time.monotonic() - started
    error = events[-1].error  # type: ignore[union-attr]
    assert isinstance(events[-1], StreamError) and isinstance(error, BackendTimeoutError)
    assert backend.attempts == 3
    message = str(error)
    assert "no response started within 0.2s" in message and "first_event_timeout" in message
    reported = float(message.split("attempts over ")[1].split("s)")[0])
    assert "gave up after 3 attempts" in message and abs(reported - took) < 0.2 and reported >= 0.6
