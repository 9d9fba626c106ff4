"""The round loop: agents work in parallel until every live agent has voted; the winner presents.

:class:`Orchestrator` owns the asyncio side only. Each agent turn is a task; whenever one
ends, its outcome goes into the pure :class:`~.state.CoordinationState`, which says who starts
next and when coordination is over. Events stream out through :meth:`Orchestrator.run`.

Bounds end the run gracefully: a turn over ``round_timeout`` or an agent over
``agent_timeout`` puts that agent out; ``max_rounds`` stops new turns; ``total_timeout``
stops everything and the best stored answer becomes the final answer. A slow agent does not
hold the others up: the state releases its stale turn after a patience, and once every other
agent has voted the run waits at most ``straggler_grace`` for it, then stops its turn and goes
on without it (see :mod:`.state`). The run ends with a non-empty answer free of coordination
markup (:mod:`.markup`) whenever any agent answered usably, and with
:class:`~.result.CoordinationError` otherwise.

What lives around the coordination (workspaces, tools) follows it through :class:`~.hooks.RunMilestones`.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncGenerator, Mapping, Sequence
from contextlib import suppress

from ...plugin.messages import Part
from ..agent import Agent
from ..gc_policy import relaxed_gc
from ..usage import UsageLedger
from .channel import Channel
from .degenerate import presentation_problem
from .events import (
    AgentFailed,
    AgentInfo,
    AgentNotice,
    AnswerSubmitted,
    CoordinationEnded,
    CoordinationEvent,
    PresentationStarted,
    RunFinished,
    RunStarted,
    TurnStarted,
    VoteCast,
    VotesCleared,
)
from .markup import strip_markup
from .milestones import RunMilestones
from .presentation import answer_directly, present
from .prompts import coordination_messages
from .result import CoordinationError, RunResult, snapshot_usage
from .settings import CoordinationSettings
from .state import AnswerView, CoordinationState, EndReason, label_for
from .turns import Emit, TurnFailed, TurnOutcome, run_coordination_turn
from .workflow_tools import Answered

__all__ = ["Orchestrator"]


class Orchestrator:
    """Runs one question through a set of agents.

    All agents record usage into one :class:`~massgen_core.runtime.usage.UsageLedger` (``ledger``, by
    default the first agent's), so the result can report usage per agent and in total.
    ``history`` holds earlier (question, final answer) turns of a session. ``hooks`` are told
    about the run's milestones (by default nothing is). ``attachments`` are the parts each agent
    gets with the question (by agent id: its ``upload_files`` and the question's files).
    """

    def __init__(
        self,
        agents: Sequence[Agent],
        settings: CoordinationSettings | None = None,
        *,
        history: Sequence[tuple[str, str]] = (),
        infos: Mapping[str, AgentInfo] | None = None,
        ledger: UsageLedger | None = None,
        hooks: RunMilestones | None = None,
        attachments: Mapping[str, Sequence[Part]] | None = None,
    ) -> None:
        if not agents:
            raise ValueError("a run needs at least one agent")
        self.agents = {a.id: a for a in agents}
        if len(self.agents) != len(agents):
            raise ValueError("agent ids must be unique")
        self.settings = settings or CoordinationSettings()
        self.history = tuple(history)
        self.hooks = hooks or RunMilestones()
        self.attachments = {k: tuple(v) for k, v in (attachments or {}).items()}
        self.ledger = ledger or agents[0].ledger
        for agent in agents:
            agent.ledger = self.ledger
        self.infos = {
            a.id: (infos or {}).get(a.id)
            or AgentInfo(
                agent_id=a.id,
                label=label_for(i),
                backend=a.backend_name,
                model=a.model.name if a.model else None,
            )
            for i, a in enumerate(agents)
        }
        self._spent: dict[str, float] = dict.fromkeys(self.agents, 0.0)

    # -- streaming ------------------------------------------------------------------------------
    async def run(self, question: str) -> AsyncGenerator[CoordinationEvent, None]:
        """Yield the run's events, ending with :class:`RunFinished`; raises ``CoordinationError``
        when every agent failed. Closing the iterator (or cancelling its consumer) cancels the run."""
        with relaxed_gc():  # see gc_policy: fewer collections while the requests go out
            channel: Channel[CoordinationEvent] = Channel()
            driver = asyncio.create_task(self._drive(question, channel.put))
            driver.add_done_callback(lambda _: channel.close())
            try:
                async for event in channel.drain():
                    yield event
                driver.result()
            finally:
                if not driver.done():
                    driver.cancel()
                    with suppress(asyncio.CancelledError):
                        await driver

    async def _drive(self, question: str, emit: Emit) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        total = self.settings.total_timeout
        deadline = None if total is None else started + total
        single = len(self.agents) == 1
        emit(
            RunStarted(
                question=question,
                agents=tuple(self.infos.values()),
                mode="single" if single else "coordination",
                planning_mode=self.settings.planning_mode and not single,
            )
        )
        state = CoordinationState(
            tuple(self.agents),
            max_rounds=self.settings.max_rounds,
            max_answers_per_agent=self.settings.max_answers_per_agent,
            straggler_grace=self.settings.straggler_grace,
            tie_order=random.sample(tuple(self.agents), len(self.agents)),  # a lot for each run
        )
        self.hooks.run_started(emit)
        try:
            if single:
                final, summary, presented, reason = await self._single(state, question, emit, deadline)
            else:
                final, summary, presented, reason = await self._coordinate(state, question, emit, deadline)
        finally:
            self.hooks.run_ended()
        usage, total_usage = snapshot_usage(self.ledger, state.agent_ids)
        winner = state.winner()
        assert winner is not None
        emit(
            RunFinished(
                result=RunResult(
                    question=question,
                    final_answer=final,
                    winner=winner,
                    end_reason=reason,
                    summary=summary,
                    presented=presented,
                    answers={a: ans.content for a, ans in state.answers.items()},
                    labels=dict(state.labels),
                    votes={v.voter: v for v in state.deciding_votes()},
                    vote_counts=dict(state.vote_counts()),
                    failures=dict(state.failures),
                    stragglers=tuple(state.stragglers),
                    usage=usage,
                    total_usage=total_usage,
                    duration=loop.time() - started,
                )
            )
        )

    # -- one agent --------------------------------------------------------------------------------
    async def _single(
        self, state: CoordinationState, question: str, emit: Emit, deadline: float | None
    ) -> tuple[str, str, bool, EndReason]:
        agent_id = state.agent_ids[0]
        agent = self.agents[agent_id]
        try:
            async with (
                self.hooks.final_presentation(agent_id),
                asyncio.timeout_at(self._limit_at(agent_id, deadline)),
            ):
                text, failure = await answer_directly(
                    agent,
                    question,
                    history=self.history,
                    settings=self.settings,
                    emit=emit,
                    attachments=self.attachments.get(agent_id, ()),
                )
        except TimeoutError:
            text, failure = "", TurnFailed("it ran out of time", "timeout")
        if failure is None and not (text := strip_markup(text)):
            failure = TurnFailed("its answer held nothing but coordination markup", "empty_answer")
        if failure is not None:
            self._fail(state, agent_id, failure, emit)
            raise CoordinationError(state.failures)
        state.start_turn(agent_id)
        answer, _ = state.record_answer(agent_id, text)
        emit(AnswerSubmitted(agent_id=agent_id, label=answer.label, revision=answer.revision, content=text))
        return text, f"{agent_id} answered directly (single agent).", True, "single_agent"

    # -- coordination -----------------------------------------------------------------------------
    async def _coordinate(
        self, state: CoordinationState, question: str, emit: Emit, deadline: float | None
    ) -> tuple[str, str, bool, EndReason]:
        reason: EndReason
        try:
            async with asyncio.timeout_at(deadline):
                reason = await self._rounds(state, question, emit)
        except TimeoutError:
            reason = "timeout"
        if reason == "timeout":
            limit = f"({self.settings.total_timeout:g}s, timeout_settings.orchestrator_timeout_seconds)"
            if not state.answers:
                for agent_id in state.live:
                    state.record_failure(agent_id, f"no answer within the run's time limit {limit}")
            for agent_id in [a for a in state.agent_ids if a in state.running]:
                why = f"still working when the run's time limit {limit} ran out: left out"
                state.record_straggler(agent_id, why)
                emit(AgentFailed(agent_id=agent_id, reason=why, error_kind="straggler"))
        if not state.answers:
            raise CoordinationError(state.failures)
        winner = state.winner()
        assert winner is not None
        summary = self._summary(state, reason, winner)
        emit(
            CoordinationEnded(
                reason=reason, winner=winner, vote_counts=dict(state.vote_counts()), summary=summary
            )
        )
        if reason == "timeout":
            stored, source = self._stored_answer(state, winner)
            return (
                stored,
                f"{summary} There was no time left for a presentation: this is {source} as given.",
                False,
                reason,
            )
        emit(PresentationStarted(agent_id=winner))
        try:
            async with (
                self.hooks.final_presentation(winner),
                asyncio.timeout_at(self._limit_at(winner, deadline)),
            ):
                text, error = await present(
                    self.agents[winner],
                    state,
                    question,
                    history=self.history,
                    settings=self.settings,
                    emit=emit,
                    attachments=self.attachments.get(winner, ()),
                )
        except TimeoutError:
            text, error = "", "it ran out of time"
        failed = "failed"
        if error is None and (error := presentation_problem(text, state.answers[winner].content)):
            failed = "was set aside"  # it came back, but worse than the answer it presents
        if error is not None:
            emit(AgentNotice(agent_id=winner, message=f"presentation {failed}: {error}"))
            stored, source = self._stored_answer(state, winner)
            return (
                stored,
                f"{summary} The presentation {failed} ({error}): this is {source} as given.",
                False,
                reason,
            )
        return strip_markup(text), summary, True, reason

    @staticmethod
    def _stored_answer(state: CoordinationState, winner: str) -> tuple[str, str]:
        """The best stored answer without coordination markup, and whose it is: the winner's,
        else the next by votes (ties: the run's lot). Raises when no answer has any content."""
        counts = state.vote_counts()
        order = sorted(state.answers, key=lambda a: (a != winner, -counts[a], state.tie_order.index(a)))
        for agent_id in order:
            text = strip_markup(state.answers[agent_id].content)
            if text:
                return text, f"{agent_id}'s answer"
        raise CoordinationError(
            {
                **state.failures,
                **{a: "its answer held nothing but coordination markup" for a in order},
            },
            headline="no agent gave a usable answer, so there is none",
        )

    async def _rounds(self, state: CoordinationState, question: str, emit: Emit) -> EndReason:
        running: dict[asyncio.Task[TurnOutcome], str] = {}
        order = {agent_id: i for i, agent_id in enumerate(state.agent_ids)}
        loop = asyncio.get_running_loop()
        try:
            while True:
                now = loop.time()
                for agent_id in state.ready_to_start():
                    may_answer = state.may_answer(agent_id)
                    view = state.start_turn(agent_id, now=now)
                    emit(
                        TurnStarted(
                            agent_id=agent_id, round=state.turns[agent_id], answers_seen=len(view.answers)
                        )
                    )
                    turn = self._turn(agent_id, question, view, may_answer, emit)
                    running[asyncio.create_task(turn)] = agent_id
                started_at = dict(state.started_at)
                clock = state.observe(now)
                for agent_id in clock.released:
                    emit(
                        AgentNotice(
                            agent_id=agent_id,
                            message=f"still working after {now - started_at[agent_id]:.1f}s on answers "
                            "that have changed since: the others go on without waiting for it",
                        )
                    )
                if clock.overdue:
                    await self._leave_out(state, clock.overdue, running, started_at, now, emit)
                if clock.released or clock.overdue:
                    continue
                if not running:
                    reason = state.end_reason()
                    assert reason is not None, "nothing runs and nothing may start, yet coordination goes on"
                    return reason
                wake = state.next_deadline()
                timeout = None if wake is None else max(0.0, wake - loop.time())
                done, _ = await asyncio.wait(running, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
                now = loop.time()
                for task in sorted(done, key=lambda t: order[running[t]]):
                    self._apply(state, running.pop(task), task.result(), emit, now)
        finally:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)

    async def _turn(
        self, agent_id: str, question: str, view: AnswerView, may_answer: bool, emit: Emit
    ) -> TurnOutcome:
        agent = self.agents[agent_id]
        settings = self.settings
        messages = coordination_messages(
            question,
            view,
            history=self.history,
            system_message=agent.system_message,
            may_answer=may_answer,
            planning_instruction=settings.planning_instruction if settings.planning_mode else None,
            attachments=self.attachments.get(agent_id, ()),
        )
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            await self.hooks.turn_starting(agent_id, view)
            async with asyncio.timeout_at(self._limit_at(agent_id, None)):
                outcome = await run_coordination_turn(
                    agent, messages, view, may_answer=may_answer, settings=settings, emit=emit
                )
            if isinstance(outcome, Answered):
                await self.hooks.answer_ready(agent_id)
            return outcome
        except TimeoutError:
            return TurnFailed(self._timeout_reason(agent_id, loop.time() - started), "timeout")
        except Exception as exc:
            return TurnFailed(f"crashed: {type(exc).__name__}: {exc}", "crash")
        finally:
            self._spent[agent_id] += loop.time() - started

    async def _leave_out(
        self,
        state: CoordinationState,
        agents: Sequence[str],
        running: dict[asyncio.Task[TurnOutcome], str],
        started_at: Mapping[str, float],
        now: float,
        emit: Emit,
    ) -> None:
        """Stop the turns of agents still working when the straggler grace ran out."""
        tasks = [t for t, a in running.items() if a in agents]
        for task in tasks:
            del running[task]
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        grace = self.settings.straggler_grace
        for agent_id in agents:
            reason = (
                f"still working ({now - started_at[agent_id]:.0f}s into its turn) {grace:g}s after the "
                "other agents had voted: left out (raise timeout_settings.straggler_grace_seconds "
                "to wait longer)"
            )
            state.record_straggler(agent_id, reason)
            emit(AgentFailed(agent_id=agent_id, reason=reason, error_kind="straggler"))

    def _limit_at(self, agent_id: str, deadline: float | None) -> float | None:
        """When the agent's current turn must end: round limit, its time budget, the run deadline."""
        now = asyncio.get_running_loop().time()
        limits = [deadline]
        if self.settings.round_timeout is not None:
            limits.append(now + self.settings.round_timeout)
        if self.settings.agent_timeout is not None:
            limits.append(now + max(0.0, self.settings.agent_timeout - self._spent[agent_id]))
        return min((t for t in limits if t is not None), default=None)

    def _timeout_reason(self, agent_id: str, elapsed: float) -> str:
        budget = self.settings.agent_timeout
        if budget is not None and self._spent[agent_id] + elapsed >= budget - 1e-3:
            return f"used up its time budget ({budget:g}s, timeout_settings.agent_timeout_seconds)"
        limit = self.settings.round_timeout
        if limit is None:
            return f"timed out after {elapsed:.1f}s"
        return f"took longer than the round time limit ({limit:g}s, timeout_settings.round_timeout_seconds)"

    # -- outcomes ---------------------------------------------------------------------------------
    def _apply(
        self, state: CoordinationState, agent_id: str, outcome: TurnOutcome, emit: Emit, now: float
    ) -> None:
        if isinstance(outcome, TurnFailed):
            self._fail(state, agent_id, outcome, emit)
        elif isinstance(outcome, Answered):
            answer, cleared = state.record_answer(agent_id, outcome.content, now=now)
            emit(
                AnswerSubmitted(
                    agent_id=agent_id, label=answer.label, revision=answer.revision, content=answer.content
                )
            )
            if cleared:
                emit(VotesCleared(by_agent_id=agent_id, voters=cleared))
        else:
            target = state.agent_for(outcome.label)
            vote = state.record_vote(agent_id, target, outcome.reason, now=now)
            if vote is None:
                emit(
                    AgentNotice(
                        agent_id=agent_id, message="new answers arrived while it decided: it reconsiders"
                    )
                )
            else:
                emit(
                    VoteCast(
                        agent_id=agent_id, target_id=target, target_label=outcome.label, reason=vote.reason
                    )
                )

    @staticmethod
    def _fail(state: CoordinationState, agent_id: str, failure: TurnFailed, emit: Emit) -> None:
        state.record_failure(agent_id, failure.reason)
        emit(AgentFailed(agent_id=agent_id, reason=failure.reason, error_kind=failure.error_kind))

    def _summary(self, state: CoordinationState, reason: EndReason, winner: str) -> str:
        counts = state.vote_counts()
        votes = sum(counts.values())
        tie_break = state.tie_break()
        how = {
            "none": "as the only answer",
            "agreement": "by agreement: it agrees most with the other answers",
            "lot": "by lot",
        }[tie_break]
        pick = f"{winner}'s answer won with {counts[winner]} of {votes} vote(s)"
        if tie_break != "none":
            pick += f" (a tie, broken {how})"
        if not votes:
            pick = f"no votes were cast, so {winner}'s answer was chosen {how}"
        why = {
            "consensus": "Every live agent voted",
            "max_rounds": f"Stopped at the round limit ({self.settings.max_rounds}) before every agent voted",
            "timeout": (
                f"Stopped at the run's time limit ({self.settings.total_timeout}s, "
                "timeout_settings.orchestrator_timeout_seconds)"
            ),
            "all_failed": "Every agent failed before voting finished",
            "single_agent": "One agent answered",
        }[reason]
        failed_ids = [a for a in state.failures if a not in state.stragglers]
        failed = f" {len(failed_ids)} agent(s) failed: {', '.join(failed_ids)}." if failed_ids else ""
        if state.stragglers:
            failed += f" Left out while still working: {', '.join(state.stragglers)}."
        return f"{why}: {pick}.{failed}"
