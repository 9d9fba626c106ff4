"""The coordination's pure state: answers, votes, failures, and what may happen next.

No asyncio here: the orchestrator tells the state what happened (a turn started, an answer
or a vote arrived, an agent failed) and asks it what to do (who may start a turn, whether
coordination is over, who wins). That keeps every rule testable on its own.

Rules:

* every agent has one anonymous label (``agent1``, ``agent2``… in registration order) for the
  whole run, used for answers, votes and anything shown to the agents;
* each agent sees the answers in an order of its own, the same all run: the labels rotated to
  start after its own, so its own answer comes last and every answer comes first for one agent
  (models, small ones above all, favour the first answer they read);
* ``version`` counts the answers recorded so far; a turn sees the answers as of one version;
* a new answer clears every current vote: those voters must reconsider with it in view;
* a vote counts only if its voter saw the current version (otherwise the voter reconsiders);
* a turn may start only when no running turn works from an older version than the current one
  (whatever such a turn produces, everyone would have to reconsider it anyway), unless that
  turn is *released*: it has run for longer than the patience, ``max(1 s, 2 x the longest turn
  completed so far)`` capped at the straggler grace. The agents that are ready then go on with
  the answers they can see instead of waiting for a straggler;
* once every live agent that is not working has a current vote, and those voters are at least
  as many as the agents still working, the run waits at most the straggler grace for the
  working ones; then they are left out (recorded as failed, listed in ``stragglers``). A grace
  of ``None`` waits for every agent as long as it takes (no turn is ever released);
* coordination is over when every live agent has a current vote, when no live agent is left,
  or when nobody may take another turn (the round cap);
* the winner has most votes; among answers tied on votes (or when nobody voted) the one that
  agrees most with the other answers wins (its mean word overlap with each of them, as in
  self-consistency voting: two answers that say "Paris" outweigh one that says "Lyon"); what
  is still tied goes to the agent that comes first in ``tie_order``: the orchestrator draws it
  by lot for each run; by default registration order.

Times are whatever clock the caller passes as ``now`` (the orchestrator: the event loop's).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Literal

import attrs

__all__ = [
    "MIN_PATIENCE",
    "PATIENCE_FACTOR",
    "Answer",
    "AnswerView",
    "Clock",
    "CoordinationState",
    "EndReason",
    "Vote",
    "label_for",
    "tally",
]

#: a stale turn holds the others back for at least this long (seconds) ...
MIN_PATIENCE = 1.0
#: ... and for this many times the longest turn completed so far (capped at the straggler grace)
PATIENCE_FACTOR = 2.0

_WORDS = re.compile(r"[^\W_]+")

EndReason = Literal["consensus", "max_rounds", "timeout", "all_failed", "single_agent"]


def label_for(index: int) -> str:
    """The anonymous label of the agent at ``index`` (0-based) in registration order."""
    return f"agent{index + 1}"


@attrs.frozen(kw_only=True)
class Answer:
    """An agent's answer: its ``revision`` (1 for its first) and the ``version`` it made."""

    agent_id: str
    label: str
    content: str
    revision: int
    version: int


@attrs.frozen(kw_only=True)
class Vote:
    """A vote for ``target``'s answer, cast by an agent that saw the answers as of ``version``."""

    voter: str
    target: str
    reason: str
    version: int


@attrs.frozen(kw_only=True)
class AnswerView:
    """The answers one turn sees: as of ``version``, in the order that agent reads them."""

    version: int
    answers: tuple[Answer, ...] = ()

    def by_label(self, label: str) -> Answer | None:
        wanted = label.strip().lower()
        return next((a for a in self.answers if a.label == wanted), None)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(a.label for a in self.answers)


@attrs.frozen
class Clock:
    """What the passing of time changed: turns no longer waited for, agents whose grace ran out."""

    released: tuple[str, ...] = ()
    overdue: tuple[str, ...] = ()


def tally(votes: Iterable[Vote]) -> Counter[str]:
    """Votes received per target agent id."""
    return Counter(v.target for v in votes)


class CoordinationState:
    """Answers, votes and turns of one coordination."""

    def __init__(
        self,
        agent_ids: Sequence[str],
        *,
        max_rounds: int | None = None,
        max_answers_per_agent: int | None = None,
        straggler_grace: float | None = None,
        tie_order: Sequence[str] | None = None,
    ) -> None:
        if len(set(agent_ids)) != len(agent_ids):
            raise ValueError("agent ids must be unique")
        self.agent_ids = tuple(agent_ids)
        if tie_order is not None and sorted(tie_order) != sorted(self.agent_ids):
            raise ValueError("tie_order must list every agent id once")
        self.tie_order = tuple(tie_order) if tie_order is not None else self.agent_ids
        self.labels = {agent_id: label_for(i) for i, agent_id in enumerate(self.agent_ids)}
        self.max_rounds = max_rounds
        self.max_answers_per_agent = max_answers_per_agent
        self.version = 0
        self.answers: dict[str, Answer] = {}
        self.votes: dict[str, Vote] = {}
        self.latest_votes: dict[str, Vote] = {}
        self.failures: dict[str, str] = {}
        self.turns: dict[str, int] = dict.fromkeys(self.agent_ids, 0)
        self.running: dict[str, int] = {}  # agent id -> version its running turn sees
        self.straggler_grace = straggler_grace
        self.started_at: dict[str, float] = {}  # agent id -> when its running turn started
        self.longest_turn = 0.0  # the longest turn that ended with an answer or a vote
        self.released: set[str] = set()  # running turns the others no longer wait for
        self.waiting_since: float | None = None  # since when only stragglers keep the run going
        self.stragglers: dict[str, str] = {}  # agents left out after the grace, and why

    # -- views --------------------------------------------------------------------------------
    @property
    def live(self) -> tuple[str, ...]:
        return tuple(a for a in self.agent_ids if a not in self.failures)

    def view(self, reader: str | None = None) -> AnswerView:
        """The current answers in label order, or in the order ``reader`` sees them: rotated to
        start after its own label."""
        start = self.agent_ids.index(reader) + 1 if reader is not None else 0
        rotated = self.agent_ids[start:] + self.agent_ids[:start]
        return AnswerView(
            version=self.version, answers=tuple(self.answers[a] for a in rotated if a in self.answers)
        )

    def agent_for(self, label: str) -> str:
        """The agent id behind an anonymous label."""
        return self.agent_ids[int(label.removeprefix("agent")) - 1]

    def answer_count(self, agent_id: str) -> int:
        answer = self.answers.get(agent_id)
        return answer.revision if answer else 0

    def may_answer(self, agent_id: str) -> bool:
        limit = self.max_answers_per_agent
        return limit is None or self.answer_count(agent_id) < limit

    def _exhausted(self, agent_id: str) -> bool:
        return self.max_rounds is not None and self.turns[agent_id] >= self.max_rounds

    def needs_turn(self, agent_id: str) -> bool:
        """Live, not running, without a current vote, and with rounds left."""
        return (
            agent_id not in self.failures
            and agent_id not in self.running
            and agent_id not in self.votes
            and not self._exhausted(agent_id)
        )

    def ready_to_start(self) -> list[str]:
        """Agents that should start a turn now (in registration order)."""
        if any(seen < self.version for a, seen in self.running.items() if a not in self.released):
            return []
        return [a for a in self.agent_ids if self.needs_turn(a)]

    # -- stragglers ---------------------------------------------------------------------------
    def patience(self) -> float | None:
        """How long a stale turn holds the others back; ``None``: for as long as it runs."""
        if self.straggler_grace is None:
            return None
        return min(self.straggler_grace, max(MIN_PATIENCE, PATIENCE_FACTOR * self.longest_turn))

    def _holding_back(self) -> list[str]:
        return [a for a, seen in self.running.items() if seen < self.version and a not in self.released]

    def _only_stragglers_left(self) -> bool:
        """Every live agent that is not working has voted, and the voters are not a minority."""
        working = [a for a in self.live if a in self.running]
        idle = [a for a in self.live if a not in self.running]
        return (
            bool(working) and bool(idle) and all(a in self.votes for a in idle) and len(idle) >= len(working)
        )

    def observe(self, now: float) -> Clock:
        """Let the clock act: release stale turns past the patience, and start (or stop) the
        straggler grace. Returns the newly released agents and those whose grace ran out
        (the caller stops their turns and calls :meth:`record_straggler`)."""
        patience = self.patience()
        released: tuple[str, ...] = ()
        if patience is not None:
            # the same sums as next_deadline(), so waking at that deadline always acts
            released = tuple(a for a in self._holding_back() if now >= self.started_at[a] + patience)
            self.released.update(released)
        if not self._only_stragglers_left():
            self.waiting_since = None
        elif self.waiting_since is None:
            self.waiting_since = now
        overdue: tuple[str, ...] = ()
        grace = self.straggler_grace
        if self.waiting_since is not None and grace is not None and now >= self.waiting_since + grace:
            overdue = tuple(a for a in self.agent_ids if a in self.running)
        return Clock(released=released, overdue=overdue)

    def next_deadline(self) -> float | None:
        """When :meth:`observe` may next have something to do (``None``: only when a turn ends)."""
        times: list[float] = []
        patience = self.patience()
        if patience is not None:
            times += [self.started_at[a] + patience for a in self._holding_back()]
        if self.waiting_since is not None and self.straggler_grace is not None:
            times.append(self.waiting_since + self.straggler_grace)
        return min(times, default=None)

    def end_reason(self) -> EndReason | None:
        """Why coordination is over, or ``None`` while it goes on."""
        live = self.live
        if not live:
            return "all_failed"
        if all(a in self.votes for a in live):
            return "consensus"
        if not self.running and not any(self.needs_turn(a) for a in live):
            return "max_rounds"
        return None

    # -- events -------------------------------------------------------------------------------
    def start_turn(self, agent_id: str, *, now: float = 0.0) -> AnswerView:
        """Record that ``agent_id`` starts a turn at ``now``; returns the answers it sees."""
        if not self.needs_turn(agent_id):
            raise ValueError(f"{agent_id} does not need a turn")
        self.turns[agent_id] += 1
        self.running[agent_id] = self.version
        self.started_at[agent_id] = now
        return self.view(agent_id)

    def _end_turn(self, agent_id: str, now: float | None) -> int:
        started = self.started_at.pop(agent_id, None)
        self.released.discard(agent_id)
        if now is not None and started is not None:
            self.longest_turn = max(self.longest_turn, now - started)
        return self.running.pop(agent_id)

    def record_answer(
        self, agent_id: str, content: str, *, now: float | None = None
    ) -> tuple[Answer, tuple[str, ...]]:
        """Store a new answer; returns it and the voters whose votes it cleared."""
        self._end_turn(agent_id, now)
        self.version += 1
        answer = Answer(
            agent_id=agent_id,
            label=self.labels[agent_id],
            content=content,
            revision=self.answer_count(agent_id) + 1,
            version=self.version,
        )
        self.answers[agent_id] = answer
        cleared = tuple(v for v in self.agent_ids if v in self.votes)
        self.votes.clear()
        return answer, cleared

    def record_vote(self, voter: str, target: str, reason: str, *, now: float | None = None) -> Vote | None:
        """Store a vote; ``None`` when the voter saw an older version (it must reconsider)."""
        seen = self._end_turn(voter, now)
        if target not in self.answers:
            raise ValueError(f"{target} has no answer to vote for")
        vote = Vote(voter=voter, target=target, reason=reason, version=seen)
        self.latest_votes[voter] = vote
        if seen != self.version:
            return None
        self.votes[voter] = vote
        return vote

    def record_failure(self, agent_id: str, reason: str) -> None:
        self.running.pop(agent_id, None)
        self.started_at.pop(agent_id, None)
        self.released.discard(agent_id)
        self.votes.pop(agent_id, None)
        self.failures[agent_id] = reason

    def record_straggler(self, agent_id: str, reason: str) -> None:
        """``agent_id`` was still working when the grace ran out: it is left out (a failure)."""
        self.record_failure(agent_id, reason)
        self.stragglers[agent_id] = reason

    # -- outcome ------------------------------------------------------------------------------
    def deciding_votes(self) -> tuple[Vote, ...]:
        """The votes that pick the winner: the current ones, or if none is current, each agent's latest."""
        return tuple((self.votes or self.latest_votes).values())

    def vote_counts(self) -> Counter[str]:
        """Votes per agent id, from :meth:`deciding_votes`."""
        return tally(self.deciding_votes())

    def agreement(self, among: Iterable[str] | None = None) -> dict[str, float]:
        """How much each answer (of ``among``, by default all) agrees with the others: its mean
        word overlap (Jaccard) with each other answer, rounded so that equal overlaps compare
        equal; 0 for a lone answer."""
        words = {a: set(_WORDS.findall(answer.content.lower())) for a, answer in self.answers.items()}

        def overlap(a: str, b: str) -> float:
            union = words[a] | words[b]
            return len(words[a] & words[b]) / len(union) if union else 1.0

        others = len(words) - 1
        return {
            a: round(sum(overlap(a, b) for b in words if b != a) / others, 9) if others else 0.0
            for a in (words if among is None else among)
        }

    def _contenders(self) -> list[tuple[str, float]]:
        """The answering agents with the most votes, best first: by :meth:`agreement` when more
        than one, then in ``tie_order``; each with its agreement (0 when it was not needed)."""
        counts = self.vote_counts()
        order = [a for a in self.tie_order if a in self.answers]
        top = max((counts[a] for a in order), default=0)
        tied = [a for a in order if counts[a] == top]
        if len(tied) < 2:
            return [(a, 0.0) for a in tied]
        agreement = self.agreement(tied)
        return sorted(((a, agreement[a]) for a in tied), key=lambda r: r[1], reverse=True)

    def winner(self) -> str | None:
        """The agent whose answer has most votes (ties: :meth:`agreement`, then ``tie_order``);
        ``None`` without answers."""
        contenders = self._contenders()
        return contenders[0][0] if contenders else None

    def tie_break(self) -> Literal["none", "agreement", "lot"]:
        """How :meth:`winner` was told apart from the answers with as many votes: it was not
        tied, it agrees most with the other answers, or ``tie_order`` (the lot) decided."""
        contenders = self._contenders()
        if len(contenders) < 2:
            return "none"
        return "lot" if contenders[1][1] == contenders[0][1] else "agreement"
