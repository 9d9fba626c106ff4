"""The orchestrator's run hooks, with no tools at all; and the tool side's notice relay."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from massgen_core.runtime.agent import Agent
from massgen_core.runtime.coordination import (
    AgentFailed,
    AgentNotice,
    AnswerSubmitted,
    CoordinationEvent,
    CoordinationSettings,
    Orchestrator,
    PresentationStarted,
    RunFinished,
    RunStarted,
)
from massgen_core.runtime.coordination.events import AgentOutput
from massgen_core.runtime.coordination.milestones import RunMilestones
from massgen_core.runtime.coordination.state import AnswerView
from massgen_core.runtime.coordination.turns import Emit
from massgen_core.testing.scripted import scripted_agent
from massgen_core.tools.mcp import ToolNotice
from massgen_core.tools.milestones import NoticeRelay


class Recorder(RunMilestones):
    """Records each milestone into the run's own event list, so the order can be checked."""

    def __init__(self, fail_turn_of: str | None = None) -> None:
        self.log: list[Any] = []
        self.fail_turn_of = fail_turn_of
        self._emit: Emit | None = None

    def note(self, *what: Any) -> None:
        assert self._emit is not None, "a hook was called outside the run"
        self._emit(AgentNotice(agent_id="hooks", message=repr(what)))
        self.log.append(what)

    def run_started(self, emit: Emit) -> None:
        self._emit = emit
        self.note("run_started")

    def run_ended(self) -> None:
        self.note("run_ended")
        self._emit = None

    async def turn_starting(self, agent_id: str, view: AnswerView) -> None:
        if agent_id == self.fail_turn_of:
            raise OSError("no space left on device")
        self.note("turn_starting", agent_id, view.labels)

    async def answer_ready(self, agent_id: str) -> None:
        await asyncio.sleep(0.01)  # the answer waits for the hook
        self.note("answer_ready", agent_id)

    def final_presentation(self, agent_id: str) -> AbstractAsyncContextManager[None]:
        return self._presenting(agent_id)

    @asynccontextmanager
    async def _presenting(self, agent_id: str) -> AsyncIterator[None]:
        self.note("presentation_begins", agent_id)
        try:
            yield
        finally:
            self.note("presentation_ends", agent_id)


def run(agents: list[Agent], hooks: RunMilestones) -> list[CoordinationEvent]:
    async def go() -> list[CoordinationEvent]:
        orchestrator = Orchestrator(agents, CoordinationSettings(), hooks=hooks)
        return [e async for e in orchestrator.run("What is 2+2?")]

    return asyncio.run(go())


def milestones(events: list[CoordinationEvent]) -> list[str]:
    """The events and the hook notes, in stream order, as short strings."""
    out = []
    for event in events:
        if isinstance(event, AgentNotice) and event.agent_id == "hooks":
            out.append(event.message)
        elif isinstance(event, AnswerSubmitted):
            out.append(f"answer {event.agent_id}")
        elif isinstance(event, AgentOutput) and event.phase != "coordination":
            out.append(f"output {event.agent_id} {event.phase}")
        elif not isinstance(event, AgentOutput):
            out.append(event.kind)
    return [m for i, m in enumerate(out) if i == 0 or m != out[i - 1]]  # collapse streamed chunks


def coordinating(agent_id: str, answer: str) -> Agent:
    return scripted_agent(agent_id, then="coordinate", answer=answer)


def test_hooks_follow_the_runs_milestones_in_order() -> None:
    hooks = Recorder()
    events = run([coordinating("a", "4"), coordinating("b", "Four, since 2+2=4.")], hooks)
    order = milestones(events)
    assert isinstance(events[0], RunStarted) and isinstance(events[-1], RunFinished)
    assert order[1] == repr(("run_started",)) and order[-2] == repr(("run_ended",))
    for agent_id in ("a", "b"):  # each answer is ready (snapshotted) before the others see it
        assert order.index(repr(("answer_ready", agent_id))) < order.index(f"answer {agent_id}")
    first_turns = [w for w in hooks.log if w[0] == "turn_starting" and w[2] == ()]
    assert sorted(w[1] for w in first_turns) == ["a", "b"]
    # later turns see both answers, each agent its own order: the others' first
    assert ("turn_starting", "a", ("agent2", "agent1")) in hooks.log
    begin = order.index(repr(("presentation_begins", "b")))
    end = order.index(repr(("presentation_ends", "b")))
    assert order.index("presentation_started") < begin < order.index("output b presentation") < end
    assert [w for w in hooks.log if w[0].startswith("presentation")] == [
        ("presentation_begins", "b"),
        ("presentation_ends", "b"),
    ]


def test_a_single_agent_answers_inside_the_final_presentation_hook() -> None:
    hooks = Recorder()
    order = milestones(run([scripted_agent("solo", "Four.")], hooks))
    assert order[1:] == [
        repr(("run_started",)),
        repr(("presentation_begins", "solo")),
        "output solo answer",
        repr(("presentation_ends", "solo")),
        "answer solo",
        repr(("run_ended",)),
        "run_finished",
    ]
    assert not [w for w in hooks.log if w[0] in ("turn_starting", "answer_ready")]


def test_a_failing_turn_hook_puts_that_agent_out_and_the_others_carry_on() -> None:
    events = run([coordinating("a", "4"), coordinating("b", "Four.")], Recorder(fail_turn_of="a"))
    failed = [e for e in events if isinstance(e, AgentFailed)]
    assert [(e.agent_id, e.error_kind) for e in failed] == [("a", "crash")]
    assert "no space left on device" in failed[0].reason
    result = events[-1]
    assert isinstance(result, RunFinished) and result.result.winner == "b"
    assert any(isinstance(e, PresentationStarted) for e in events)


def test_the_notice_relay_holds_notices_until_the_run_starts() -> None:
    relay = NoticeRelay()
    got: list[CoordinationEvent] = []

    def notice(message: str, agent_id: str | None = "a") -> ToolNotice:
        return ToolNotice(agent_id=agent_id, source="fault", kind="connected", message=message)

    relay(notice("connected early"))
    relay(notice("nobody's", agent_id=None))
    assert got == []
    relay.connect(got.append)
    relay(notice("during the run"))
    relay.disconnect()
    relay(notice("after the run"))
    assert got == [
        AgentNotice(agent_id="a", message="connected early"),
        AgentNotice(agent_id="a", message="during the run"),
    ]
