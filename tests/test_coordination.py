"""Coordination end to end on scripted backends: agreement, disagreement, failures, bounds, planning."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from massgen_core.plugin.backend import ChatRequest
from massgen_core.plugin.specs import ToolSpec
from massgen_core.runtime.agent import Agent
from massgen_core.runtime.coordination import (
    AgentFailed,
    AgentNotice,
    AnswerSubmitted,
    CoordinationError,
    CoordinationEvent,
    CoordinationSettings,
    Orchestrator,
    RunFinished,
    RunResult,
    RunStarted,
    TurnStarted,
    VoteCast,
    VotesCleared,
)
from massgen_core.runtime.coordination.prompts import REMINDER
from massgen_core.runtime.usage import UsageLedger
from massgen_core.testing.scripted import (
    ScriptedBackend,
    new_answer_reply,
    offered_tools,
    scripted_agent,
    shown_answers,
    vote_reply,
)
from massgen_core.tools.toolset import FunctionTool, ToolSet

Responder = Callable[[ChatRequest], Any]


def collect(agents: list[Agent], question: str = "What is 2+2?", **settings: Any) -> list[CoordinationEvent]:
    async def go() -> list[CoordinationEvent]:
        orchestrator = Orchestrator(agents, CoordinationSettings(**settings))
        return [event async for event in orchestrator.run(question)]

    return asyncio.run(go())


def run(
    agents: list[Agent], question: str = "What is 2+2?", **settings: Any
) -> tuple[RunResult, list[CoordinationEvent]]:
    events = collect(agents, question, **settings)
    assert isinstance(events[0], RunStarted)
    final = events[-1]
    assert isinstance(final, RunFinished)
    return final.result, events


def requests(agent: Agent) -> list[ChatRequest]:
    assert isinstance(agent.backend, ScriptedBackend)
    return agent.backend.requests


def coordinating(n: int, **options: Any) -> list[Agent]:
    ledger = UsageLedger()
    return [
        scripted_agent(
            f"agent_{i}", then="coordinate", answer=f"answer {i} " + "detail " * i, ledger=ledger, **options
        )
        for i in range(n)
    ]


def of(events: list[CoordinationEvent], kind: type[Any]) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


@pytest.mark.parametrize("n", [3, 10])
def test_agents_answer_vote_and_the_winner_presents(n: int) -> None:
    agents = coordinating(n)
    result, events = run(agents)
    winner = f"agent_{n - 1}"  # the longest answer gets every vote
    assert result.end_reason == "consensus"
    assert result.winner == winner
    assert result.vote_counts == {winner: n}
    assert result.presented and result.final_answer == result.answers[winner]
    assert len(of(events, AnswerSubmitted)) == n and len(of(events, VoteCast)) == n
    assert result.total_usage.requests == 2 * n + 1  # an answer and a vote each, one presentation
    assert set(result.usage) == {a.id for a in agents}
    assert all(u.requests >= 2 for u in result.usage.values())
    presentation = requests(agents[n - 1])[-1]
    assert presentation.tools == ()  # no workflow tools in the final presentation
    assert f"Your own answer is agent{n}" in presentation.messages[-1].text
    first = requests(agents[0])[0]
    assert "<ORIGINAL MESSAGE>\nWhat is 2+2?\n<END OF ORIGINAL MESSAGE>" in first.messages[-1].text
    assert "(no answers available yet)" in first.messages[-1].text
    assert offered_tools(first) == {"new_answer"}
    assert offered_tools(requests(agents[0])[1]) == {"new_answer", "vote"}


def test_a_single_agent_answers_directly() -> None:
    agent = scripted_agent("solo", "Four.", system_message="Be brief.")
    result, events = run([agent])
    assert result.final_answer == "Four." and result.winner == "solo"
    assert result.end_reason == "single_agent" and result.presented
    (request,) = requests(agent)
    assert request.tools == ()
    assert [m.role for m in request.messages] == ["system", "user"]
    assert request.messages[-1].text == "What is 2+2?"
    assert not of(events, VoteCast)


def test_history_comes_before_the_question() -> None:
    agent = scripted_agent("solo", "Six.")

    async def go() -> list[CoordinationEvent]:
        orchestrator = Orchestrator([agent], history=[("What is 2+2?", "Four.")])
        return [e async for e in orchestrator.run("And 3+3?")]

    asyncio.run(go())
    roles = [(m.role, m.text) for m in requests(agent)[0].messages]
    assert roles == [("user", "What is 2+2?"), ("assistant", "Four."), ("user", "And 3+3?")]


def test_agents_disagree_then_converge() -> None:
    """A improves on B's answer; that clears the votes and B reconsiders, then both vote for A."""
    improved = "4, because 2+2 is 4 (improved)"

    def alice(request: ChatRequest) -> Any:
        answers = shown_answers(request)
        if not answers:
            return new_answer_reply("5")
        if improved not in answers.values():
            return {**new_answer_reply(improved), "delay": 0.2}  # bob votes meanwhile
        return vote_reply("agent1", "mine is now complete")

    def bob(request: ChatRequest) -> Any:
        answers = shown_answers(request)
        if not answers or answers.get("agent2") is None:
            return new_answer_reply("4")
        best = "agent1" if answers.get("agent1") == improved else "agent2"
        return vote_reply(best, "the best explanation")

    ledger = UsageLedger()
    agents = [
        scripted_agent("alice", responder=alice, ledger=ledger),
        scripted_agent("bob", responder=bob, ledger=ledger),
    ]
    result, events = run(agents)
    assert result.winner == "alice" and result.final_answer != "5"
    assert result.answers == {"alice": improved, "bob": "4"}
    assert result.vote_counts == {"alice": 2}
    assert {v.target for v in result.votes.values()} == {"alice"}
    (cleared,) = of(events, VotesCleared)
    assert cleared.by_agent_id == "alice" and cleared.voters == ("bob",)
    assert [v.target_id for v in of(events, VoteCast)] == ["bob", "alice", "alice"]


def test_a_vote_from_before_a_new_answer_is_set_aside() -> None:
    """Answers that arrive while agents decide make their votes stale: they vote again."""

    def improver(request: ChatRequest) -> Any:
        answers = shown_answers(request)
        if not answers:
            return new_answer_reply("draft")
        if "final" not in answers.values():
            return new_answer_reply("final")
        return vote_reply("agent1", "final")

    def slow_voter(label: str) -> Callable[[ChatRequest], Any]:
        def reply(request: ChatRequest) -> Any:
            answers = shown_answers(request)
            if label not in answers:
                return new_answer_reply(f"{label} answer")
            return {**vote_reply("agent1", "best"), "delay": 0.1}

        return reply

    ledger = UsageLedger()
    agents = [
        scripted_agent("a", responder=improver, ledger=ledger),
        scripted_agent("b", responder=slow_voter("agent2"), ledger=ledger),
        scripted_agent("c", responder=slow_voter("agent3"), ledger=ledger),
    ]
    result, events = run(agents)
    notices = [e for e in of(events, AgentNotice) if "reconsiders" in e.message]
    assert {n.agent_id for n in notices} == {"b", "c"}
    assert result.vote_counts == {"a": 3} and result.answers["a"] == "final"
    assert len(requests(agents[1])) == 3  # answer, stale vote, vote


def test_a_failing_agent_is_reported_and_the_others_carry_on() -> None:
    ledger = UsageLedger()
    agents = [
        *coordinating(2),
        scripted_agent("broken", {"error": {"kind": "authentication", "message": "bad key"}}, ledger=ledger),
    ]
    result, events = run(agents)
    (failure,) = of(events, AgentFailed)
    assert failure.agent_id == "broken" and failure.error_kind == "authentication"
    assert "bad key" in result.failures["broken"]
    assert result.end_reason == "consensus" and result.winner == "agent_1"
    assert "1 agent(s) failed: broken" in result.summary


def test_a_timing_out_agent_is_out() -> None:
    agents = [*coordinating(2), scripted_agent("slow", {"text": "zzz", "delay": 30})]
    result, events = run(agents, round_timeout=0.5)
    (failure,) = of(events, AgentFailed)
    assert failure.agent_id == "slow" and failure.error_kind == "timeout"
    assert "round time limit (0.5s" in failure.reason
    assert result.end_reason == "consensus" and result.winner == "agent_1"


def test_an_agent_over_its_time_budget_is_out() -> None:
    slow = scripted_agent("slow", new_answer_reply("slow answer"), {"text": "zzz", "delay": 30})
    result, events = run([*coordinating(2), slow], agent_timeout=0.5)
    (failure,) = of(events, AgentFailed)
    assert failure.agent_id == "slow" and "time budget (0.5s" in failure.reason
    assert result.answers["slow"] == "slow answer"


def test_an_agent_that_never_calls_a_workflow_tool_is_reminded_then_out() -> None:
    chatty = scripted_agent("chatty", "I think it is 4.", then="repeat")
    result, events = run([*coordinating(2), chatty], max_reminders=2)
    chatty_requests = requests(chatty)
    assert len(chatty_requests) == 3
    assert chatty_requests[1].messages[-1].text == REMINDER
    reminders = [e for e in of(events, AgentNotice) if e.agent_id == "chatty"]
    assert [r.message.endswith(f"(reminder {i} of 2)") for i, r in enumerate(reminders, 1)] == [True, True]
    (failure,) = of(events, AgentFailed)
    assert failure.error_kind == "no_workflow_call" and "after 2 reminder(s)" in failure.reason
    assert result.end_reason == "consensus"


def test_an_invalid_vote_is_refused_and_the_agent_corrects_it() -> None:
    def voter(request: ChatRequest) -> Any:
        if not shown_answers(request):
            return new_answer_reply("mine")
        last = request.messages[-1]
        if last.role == "tool":
            assert "Invalid agent_id 'agent9'" in last.tool_results_parts[0].content
            return vote_reply("agent1", "fixed")
        return vote_reply("agent9", "oops")

    ledger = UsageLedger()
    agents = [scripted_agent("a", then="coordinate", answer="the longest answer here", ledger=ledger)]
    agents.append(scripted_agent("b", responder=voter, ledger=ledger))
    result, events = run(agents)
    assert result.votes["b"].target == "a"
    assert any(e.agent_id == "b" and "refused" in e.message for e in of(events, AgentNotice))


def self_voter(label: str, answer: str) -> Callable[[ChatRequest], Any]:
    """An agent that gives ``answer``, votes for itself (``label``) and presents its answer."""

    def reply(request: ChatRequest) -> Any:
        if answer not in shown_answers(request).values():
            return new_answer_reply(answer)
        if "vote" not in {t.name for t in request.tools}:
            return answer  # the presentation
        return vote_reply(label, "mine")

    return reply


def test_a_tie_is_broken_by_lot_for_each_run() -> None:
    # ties used to go to the first agent in registration order: with models that vote
    # positionally, agent1 won every run (#17)
    winners = set()
    for _ in range(30):
        ledger = UsageLedger()
        agents = [
            scripted_agent("zed", responder=self_voter("agent1", "agent1's view"), ledger=ledger),
            scripted_agent("amy", responder=self_voter("agent2", "agent2's view"), ledger=ledger),
        ]
        result, _ = run(agents)
        assert result.vote_counts == {"zed": 1, "amy": 1}
        assert "tie, broken by lot" in result.summary
        winners.add(result.winner)
    assert winners == {"zed", "amy"}  # 1 in 2**29 to fail by chance


def test_a_tie_goes_to_the_answer_the_others_agree_with() -> None:
    # small models vote at random: two of three answers said Paris, the lot picked the third (#17)
    answers = {
        "amy": "Paris is the capital of France.",
        "bob": "The capital of France is Paris, on the Seine.",
        "cy": "It is Lyon.",
    }

    winners = set()
    for _ in range(12):
        ledger = UsageLedger()
        agents = [
            scripted_agent(a, responder=self_voter(f"agent{i + 1}", text), ledger=ledger)
            for i, (a, text) in enumerate(answers.items())
        ]
        result, _ = run(agents)
        assert result.vote_counts == {"amy": 1, "bob": 1, "cy": 1}
        assert "tie, broken by agreement: it agrees most with the other answers" in result.summary
        winners.add(result.winner)
    assert winners <= {"amy", "bob"} and "Paris" in result.final_answer


def test_without_votes_the_answer_the_others_agree_with_is_chosen() -> None:
    from massgen_core.runtime.coordination.state import CoordinationState

    state = CoordinationState(["a", "b", "c"], tie_order=["c", "b", "a"])
    for agent, text in zip("abc", ["It is 4.", "The answer is 4.", "Surely it is five."], strict=True):
        state.start_turn(agent)
        state.record_answer(agent, text)
    agreement = state.agreement()  # "It is 4." shares the most with both others
    assert agreement["a"] > max(agreement["b"], agreement["c"])
    assert (state.winner(), state.tie_break()) == ("a", "agreement")


def test_how_the_winner_was_told_apart() -> None:
    from massgen_core.runtime.coordination.state import CoordinationState

    state = CoordinationState(["a", "b"])
    state.start_turn("a")
    state.record_answer("a", "It is 4.")
    assert state.tie_break() == "none"  # the only answer
    state.start_turn("b")
    state.record_answer("b", "Four, it is.")
    assert state.tie_break() == "lot"  # each agrees with the other as much
    for voter in ("a", "b"):
        state.start_turn(voter)
        state.record_vote(voter, "a", "right")
    assert (state.winner(), state.tie_break()) == ("a", "none")


def test_answer_limit_leaves_only_vote() -> None:
    def eager(request: ChatRequest) -> Any:
        if "new_answer" in offered_tools(request):
            return new_answer_reply(f"answer {len(shown_answers(request))}")
        return vote_reply("agent1", "limit reached")

    ledger = UsageLedger()
    agents = [scripted_agent("a", responder=eager, ledger=ledger), *coordinating(1)]
    result, _ = run(agents, max_answers_per_agent=1)
    second = requests(agents[0])[1]
    assert offered_tools(second) == {"vote"}
    assert "as many answers as allowed" in second.messages[0].text
    assert result.end_reason == "consensus"


def test_round_limit_ends_with_the_best_answer_and_says_why() -> None:
    def restless(name: str) -> Callable[[ChatRequest], Any]:
        count = iter(range(100))
        return lambda request: new_answer_reply(f"{name} draft {next(count)}")

    ledger = UsageLedger()
    agents = [scripted_agent(n, responder=restless(n), ledger=ledger) for n in ("a", "b")]
    result, events = run(agents, max_rounds=2)
    assert result.end_reason == "max_rounds"
    assert "round limit (2)" in result.summary
    assert result.final_answer  # never nothing when an agent answered
    assert [e.round for e in of(events, TurnStarted)] == [1, 1, 2, 2]


def test_total_timeout_ends_with_the_stored_answer() -> None:
    def then_hang(request: ChatRequest) -> Any:
        if not shown_answers(request):
            return new_answer_reply("quick answer")
        return {"text": "thinking", "delay": 30}

    agents = [scripted_agent(n, responder=then_hang) for n in ("a", "b")]
    result, _ = run(agents, total_timeout=0.5)
    assert result.end_reason == "timeout" and not result.presented
    assert result.final_answer == "quick answer"
    assert "time limit" in result.summary and "no time left for a presentation" in result.summary


def test_every_agent_failing_is_a_clear_error() -> None:
    agents = [
        scripted_agent("a", {"error": {"kind": "authentication", "message": "no key for a"}}),
        scripted_agent("b", {"error": {"kind": "server_error", "message": "b is down"}}),
    ]
    with pytest.raises(CoordinationError) as caught:
        collect(agents)
    assert "every agent failed" in str(caught.value)
    assert "a: no key for a" in str(caught.value) and "b: b is down" in str(caught.value)


def test_a_single_agent_failing_is_a_clear_error() -> None:
    with pytest.raises(CoordinationError, match="solo: bad key"):
        collect([scripted_agent("solo", {"error": {"kind": "authentication", "message": "bad key"}})])


def test_total_timeout_without_answers_is_a_clear_error() -> None:
    agents = [scripted_agent(n, {"text": "x", "delay": 30}) for n in ("a", "b")]
    with pytest.raises(CoordinationError, match="no answer within the run's time limit"):
        collect(agents, total_timeout=0.3)


def test_a_failed_presentation_falls_back_to_the_stored_answer() -> None:
    ledger = UsageLedger()
    winner = scripted_agent(
        "w",
        new_answer_reply("the stored answer, which is long"),
        vote_reply("agent1"),
        {"error": "server_error"},
        ledger=ledger,
    )
    result, _ = run([winner, *coordinating(1)])
    assert result.winner == "w" and not result.presented
    assert result.final_answer == "the stored answer, which is long"
    assert "presentation failed" in result.summary


def test_planning_mode_holds_side_effects_until_the_presentation() -> None:
    written: list[str] = []
    read_calls: list[str] = []

    def write_file(path: str) -> str:
        written.append(path)
        return "written"

    def read_file(path: str) -> str:
        read_calls.append(path)
        return "contents"

    def tools() -> ToolSet:
        params = {"type": "object", "properties": {"path": {"type": "string"}}}
        return ToolSet(
            [
                FunctionTool(
                    ToolSpec(name="write_file", description="w", parameters=params, function=write_file)
                ),
                FunctionTool(
                    ToolSpec(
                        name="read_file",
                        description="r",
                        parameters=params,
                        function=read_file,
                        read_only=True,
                    )
                ),
            ]
        )

    def planner(request: ChatRequest) -> Any:
        last = request.messages[-1]
        if last.role == "tool":
            results = {r.name: r for r in last.tool_results_parts}
            if "write_file" in results and "new_answer" not in offered_tools(request):
                return {"text": "Done: report.txt written."}
            if "new_answer" in offered_tools(request):
                assert results["write_file"].is_error and "planning mode" in results["write_file"].content
                assert not results["read_file"].is_error
                return new_answer_reply("Plan: write report.txt")
        if "vote" in offered_tools(request) and shown_answers(request):
            return vote_reply("agent1", "plan is fine")
        calls = [{"name": "write_file", "arguments": {"path": "report.txt"}}]
        if "new_answer" in offered_tools(request):
            calls.append({"name": "read_file", "arguments": {"path": "input.txt"}})
        return {"tool_calls": calls}

    ledger = UsageLedger()
    agents = [
        scripted_agent("planner", responder=planner, ledger=ledger, tools=tools()),
        *coordinating(1),
    ]
    result, _ = run(agents, planning_mode=True)
    assert read_calls == ["input.txt"]
    assert written == ["report.txt"]  # only once: in the presentation
    assert result.winner == "planner" and result.final_answer == "Done: report.txt written."
    system = requests(agents[0])[0].messages[0].text
    assert "## Planning mode" in system


def test_closing_the_event_stream_cancels_the_run() -> None:
    agents = [scripted_agent(n, {"text": "x", "delay": 30}) for n in ("a", "b")]

    async def go() -> None:
        stream = Orchestrator(agents).run("Q")
        async for event in stream:
            if event.kind == "turn_started":
                break
        await stream.aclose()  # type: ignore[attr-defined]
        pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        assert pending == []

    asyncio.run(go())


def test_a_crashing_agent_is_reported() -> None:
    class Crashing(ScriptedBackend):
        async def stream(self, request: ChatRequest) -> Any:
            raise RuntimeError("boom")
            yield

    crashing = scripted_agent("crash")
    crashing.backend = Crashing(crashing.backend.options)  # type: ignore[attr-defined]
    result, events = run([*coordinating(2), crashing])
    (failure,) = of(events, AgentFailed)
    assert failure.agent_id == "crash" and "boom" in failure.reason
    assert result.end_reason == "consensus"
