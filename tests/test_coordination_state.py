"""The pure coordination state: labels, answers, votes, scheduling, end and winner rules."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from massgen_core.plugin.messages import ToolCallPart
from massgen_core.runtime.coordination.state import CoordinationState, Vote, tally
from massgen_core.runtime.coordination.workflow_tools import Answered, Voted, decide, workflow_tools

IDS = ("zeta", "alpha", "mid")


def answered(state: CoordinationState, agent_id: str, content: str) -> None:
    state.start_turn(agent_id)
    state.record_answer(agent_id, content)


def test_labels_follow_registration_order_and_never_change() -> None:
    state = CoordinationState(IDS)
    assert state.labels == {"zeta": "agent1", "alpha": "agent2", "mid": "agent3"}
    answered(state, "mid", "m")
    view = state.view()
    assert [a.label for a in view.answers] == ["agent3"]  # not renumbered by who has answered
    answered(state, "zeta", "z")
    assert state.view().labels == ("agent1", "agent3")
    assert state.agent_for("agent3") == "mid"


def test_a_new_answer_clears_votes_and_voters_need_a_turn() -> None:
    state = CoordinationState(IDS)
    for agent_id in IDS:
        answered(state, agent_id, agent_id)
    for agent_id in IDS:
        state.start_turn(agent_id)
    assert state.record_vote("zeta", "alpha", "good") is not None
    assert state.record_vote("alpha", "alpha", "mine") is not None
    assert "zeta" not in state.ready_to_start()
    _, cleared = state.record_answer("mid", "better")
    assert cleared == ("zeta", "alpha")
    assert state.votes == {}
    assert state.ready_to_start() == ["zeta", "alpha", "mid"]


def test_a_vote_from_an_older_view_does_not_count() -> None:
    state = CoordinationState(IDS)
    for agent_id in IDS:
        answered(state, agent_id, agent_id)
    state.start_turn("zeta")
    state.start_turn("alpha")
    state.record_answer("alpha", "improved")
    assert state.record_vote("zeta", "alpha", "late") is None
    assert "zeta" not in state.votes
    assert state.latest_votes["zeta"].target == "alpha"


def test_nobody_starts_while_a_turn_works_from_an_older_view() -> None:
    state = CoordinationState(IDS)
    for agent_id in IDS:
        state.start_turn(agent_id)
    state.record_answer("zeta", "z")
    assert state.ready_to_start() == []  # alpha and mid still work from version 0
    state.record_answer("alpha", "a")
    state.record_answer("mid", "m")
    assert state.ready_to_start() == list(IDS)


def test_end_reasons() -> None:
    state = CoordinationState(("a", "b"), max_rounds=1)
    assert state.end_reason() is None
    answered(state, "a", "x")
    state.record_failure("b", "auth")
    assert state.end_reason() == "max_rounds"
    state.record_failure("a", "crash")
    assert state.end_reason() == "all_failed"

    state = CoordinationState(("a", "b"))
    answered(state, "a", "x")
    answered(state, "b", "y")
    for agent_id in ("a", "b"):
        state.start_turn(agent_id)
        state.record_vote(agent_id, "b", "")
    assert state.end_reason() == "consensus"
    assert state.winner() == "b"


def test_answer_limit() -> None:
    state = CoordinationState(("a", "b"), max_answers_per_agent=1)
    assert state.may_answer("a")
    answered(state, "a", "x")
    assert not state.may_answer("a")
    assert [t.name for t in workflow_tools(state.view(), may_answer=False)] == ["vote"]
    assert [t.name for t in workflow_tools(CoordinationState(("a",)).view(), may_answer=True)] == [
        "new_answer"
    ]


def test_winner_falls_back_to_latest_votes_then_registration_order() -> None:
    state = CoordinationState(("a", "b", "c"))
    assert state.winner() is None
    answered(state, "c", "z")
    answered(state, "b", "y")
    assert state.winner() == "b"  # no votes: first in registration order
    state.start_turn("a")
    state.record_vote("a", "c", "")  # current
    assert state.winner() == "c"
    state.start_turn("b")
    state.record_answer("b", "y2")  # clears the current vote; the latest votes still speak
    assert state.votes == {}
    assert state.winner() == "c"


def _call(name: str, **arguments: object) -> ToolCallPart:
    return ToolCallPart(id=f"call_{name}", name=name, arguments=arguments)


def test_decide_checks_workflow_calls() -> None:
    state = CoordinationState(("a", "b"))
    answered(state, "a", "Paris")
    view = state.view()
    assert decide([_call("vote", agent_id="agent1", reason="ok")], view, may_answer=True) == Voted(
        "agent1", "ok"
    )
    assert decide([_call("vote", agent_id=" Agent1 ", reason="ok")], view, may_answer=True) == Voted(
        "agent1", "ok"
    )
    assert decide([_call("new_answer", content=" Lyon ")], view, may_answer=True) == Answered("Lyon")
    assert decide([_call("new_answer")], view, may_answer=True, fallback_text="from text") == Answered(
        "from text"
    )

    def error(calls: list[ToolCallPart], may_answer: bool = True) -> str:
        result = decide(calls, view, may_answer=may_answer)
        assert isinstance(result, list)
        assert all(r.is_error for r in result) and len(result) == len(calls)
        return result[0].content

    assert "Invalid agent_id 'agent7'" in error([_call("vote", agent_id="agent7", reason="")])
    assert "identical to agent1" in error([_call("new_answer", content="Paris")])
    assert "not both" in error([_call("vote", agent_id="agent1"), _call("new_answer", content="x")])
    assert "exactly once" in error([_call("vote", agent_id="agent1"), _call("vote", agent_id="agent1")])
    assert "answer limit" in error([_call("new_answer", content="x")], may_answer=False)
    assert "needs the answer" in error([_call("new_answer", content="")])
    empty = CoordinationState(("a",)).view()
    assert "no answers" in decide([_call("vote", agent_id="agent1")], empty, may_answer=True)[0].content  # type: ignore[index]


def test_state_rejects_impossible_events() -> None:
    with pytest.raises(ValueError):
        CoordinationState(("a", "a"))
    state = CoordinationState(("a", "b"))
    state.start_turn("a")
    with pytest.raises(ValueError):
        state.start_turn("a")
    with pytest.raises(ValueError):
        state.record_vote("a", "b", "b has no answer")


# -- properties ---------------------------------------------------------------------------------
agents = st.integers(min_value=1, max_value=8).map(lambda n: tuple(f"id{i}" for i in range(n)))


def voted_state(
    data: st.DataObject, ids: tuple[str, ...], content: Callable[[str], st.SearchStrategy[str]]
) -> tuple[CoordinationState, list[str]]:
    """A state where some agents answered (each answer drawn from ``content(agent_id)``) and
    some voted; with the agents that answered."""
    state = CoordinationState(ids)
    with_answers = data.draw(st.lists(st.sampled_from(ids), min_size=1, unique=True))
    for agent_id in with_answers:
        answered(state, agent_id, data.draw(content(agent_id)))
    votes = data.draw(st.dictionaries(st.sampled_from(ids), st.sampled_from(with_answers)))
    for voter, target in votes.items():
        state.start_turn(voter)
        state.record_vote(voter, target, "")
    return state, with_answers


@given(data=st.data(), ids=agents)
@settings(max_examples=100, deadline=None)
def test_winner_has_most_votes_and_ties_go_to_registration_order(
    data: st.DataObject, ids: tuple[str, ...]
) -> None:
    state, with_answers = voted_state(data, ids, st.just)  # no two answers share a word
    counts = tally(state.votes.values())
    winner = state.winner()
    assert winner in with_answers
    assert counts[winner] == max((counts[a] for a in with_answers), default=0)
    tied = [a for a in ids if a in with_answers and counts[a] == counts[winner]]
    assert winner == tied[0]


@given(data=st.data(), ids=agents)
@settings(max_examples=150, deadline=None)
def test_ties_on_votes_go_to_the_answer_that_agrees_most_then_to_the_lot(
    data: st.DataObject, ids: tuple[str, ...]
) -> None:
    # the rule, stated against agreement() over every answer (the state computes it only for the tied)
    words = st.lists(st.sampled_from(["paris", "is", "the", "capital", "lyon", "it"]), min_size=1, max_size=4)
    state, with_answers = voted_state(data, ids, lambda _: words.map(" ".join))
    counts, agreement = tally(state.votes.values()), state.agreement()
    top = max(counts[a] for a in with_answers)
    tied = [a for a in ids if a in with_answers and counts[a] == top]
    best = max(agreement[a] for a in tied)
    assert state.winner() == next(a for a in tied if agreement[a] == best)
    expected = (
        "none" if len(tied) == 1 else "lot" if sum(agreement[a] == best for a in tied) > 1 else "agreement"
    )
    assert state.tie_break() == expected


@given(votes=st.lists(st.tuples(st.sampled_from("abcd"), st.sampled_from("abcd"))), seed=st.randoms())
def test_tally_does_not_depend_on_vote_order(votes: list[tuple[str, str]], seed: object) -> None:
    records = [Vote(voter=v, target=t, reason="", version=0) for v, t in votes]
    shuffled = list(records)
    seed.shuffle(shuffled)  # type: ignore[attr-defined]
    assert tally(records) == tally(shuffled)


@given(data=st.data(), ids=agents, max_rounds=st.integers(min_value=1, max_value=4))
@settings(max_examples=100, deadline=None)
def test_any_sequence_of_outcomes_ends_within_the_round_limit(
    data: st.DataObject, ids: tuple[str, ...], max_rounds: int
) -> None:
    """Whatever agents do, coordination ends after at most agents x max_rounds turns."""
    state = CoordinationState(ids, max_rounds=max_rounds)
    turns = 0
    while state.end_reason() is None:
        for agent_id in state.ready_to_start():
            state.start_turn(agent_id)
            turns += 1
        assert state.running, "nothing runs, nothing may start, yet it is not over"
        agent_id = data.draw(st.sampled_from(sorted(state.running)))
        view_answers = [a for a in state.answers if a in ids]
        choice = data.draw(
            st.sampled_from(["answer", "vote", "fail"] if view_answers else ["answer", "fail"])
        )
        if choice == "answer":
            state.record_answer(agent_id, f"{agent_id}-{turns}")
        elif choice == "vote":
            state.record_vote(agent_id, data.draw(st.sampled_from(view_answers)), "")
        else:
            state.record_failure(agent_id, "boom")
        assert all(v.target in state.answers for v in state.votes.values())
    assert turns <= len(ids) * max_rounds
    if state.end_reason() == "consensus":
        assert set(state.votes) == set(state.live)
