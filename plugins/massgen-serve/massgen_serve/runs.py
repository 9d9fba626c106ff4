"""One request's coordination, as the pieces a reply is made of.

:class:`ServedRun` runs the team with the request's question and history, saving the turn and
the run log where the CLI saves them (one session per request, whose id is the run id, and
``.massgen/logs/<run id>/``), and yields:

* :class:`Progress`: a line per coordination step (the lines ``ui.display_type: simple``
  prints), for clients that asked to see the coordination (``reasoning_content``);
* :class:`Content`: the final answer's text, as the winner writes it (the presentation, or a
  single agent's answer);
* :class:`Finished`: the result, last.

What a client shows is the content joined up, so it must end as the result's final answer.
Two things can make the text written differ from it. A reply that broke off is retried: a
:class:`Content` says so, and the retried reply's text follows. A presentation can be set aside
for the winning answer as given (see ``RunResult.presented``), or lose the coordination's
markup: after the text written, one more :class:`Content` says so and gives the final answer.
So a streaming client ends with the same answer a non-streaming one gets.

Stopping the iteration (the client went away, the time limit) closes the coordination: the
team's provider requests are cancelled, the turn is saved as cancelled.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from pathlib import Path

import attrs
import massgen_core
from massgen_core.events import AgentOutput, ProgressLines, Restart, RunFinished, RunStarted, TextDelta
from massgen_core.plugin import MediaPart

from .catalog import ServedModel
from .web.tail import LiveRuns

__all__ = ["Content", "Finished", "Piece", "Progress", "ServedRun", "correction"]

#: the phases whose text is the final answer as it is written
_ANSWER_PHASES = frozenset({"presentation", "answer"})


@attrs.frozen
class Progress:
    text: str


@attrs.frozen
class Content:
    text: str


@attrs.frozen(kw_only=True)
class Finished:
    result: massgen_core.RunResult
    run_id: str
    session: str
    log_dir: Path | None


Piece = Progress | Content | Finished


def _new_session(model: ServedModel) -> tuple[str, massgen_core.Session]:
    store = massgen_core.SessionStore.of(model.config)
    while True:
        run_id = massgen_core.new_run_id()
        try:
            return run_id, store.create(run_id)
        except FileExistsError:  # the same second and the same 32 random bits: draw again
            continue


def correction(result: massgen_core.RunResult, written: str) -> str | None:
    """What to add after ``written`` (the answer's text as streamed since the last restart) so
    the reply ends with the final answer; ``None`` when it already is the final answer."""
    if written.strip() == result.final_answer:
        return None
    why = result.summary if not result.presented else "the text above was not the final answer"
    separator = "\n\n" if written else ""
    return f"{separator}---\n[massgen: {why}]\n\n{result.final_answer}"


class StartGate:
    """Runs set up one after another, in the order they came.

    A run holds the gate from the start of its setup (backends, tools, log files) until its
    agents start their first turns. Without it, requests that arrive together set up side by
    side, each step of one waiting behind the same step of all the others, so none sends its
    first provider request before nearly all are set up. Through the gate, the first requests'
    agents are at work while the later ones set up: measured on 50 requests at once, the median
    request finished 0.05x the providers' critical path sooner. A run that has waited ``wait``
    seconds (another's setup is slow: an MCP server starting) goes on without the gate.
    """

    def __init__(self, wait: float = 0.25) -> None:
        self.wait = wait
        self._lock = asyncio.Lock()

    async def enter(self) -> bool:
        """Wait for the gate (at most ``wait``); whether it was taken (then :meth:`leave` it)."""
        try:
            async with asyncio.timeout(self.wait):
                await self._lock.acquire()
        except TimeoutError:
            return False
        return True

    def leave(self) -> None:
        self._lock.release()


class ServedRun:
    """``question`` for ``model``'s team, checked and ready to run (see the module docstring);
    ``gate``: the :class:`StartGate` its setup goes through (a server's, shared by its runs).

    :raises AttachmentError: an image cannot be given to an agent of the team (raised here,
        before anything runs, so the client gets a 400).
    """

    def __init__(
        self,
        model: ServedModel,
        question: str,
        *,
        history: Sequence[tuple[str, str]] = (),
        images: Sequence[str] = (),
        progress: bool = False,
        live: LiveRuns | None = None,
        gate: StartGate | None = None,
    ) -> None:
        self.model = model
        self.live = live
        self.gate = gate
        self.question = question
        self.history = tuple(history)
        self.progress = progress
        self.team = massgen_core.Team(model.config)
        self.attachments = tuple(MediaPart.from_url(url) for url in images)
        self.team.attachments(self.attachments)
        self.run_id, self.session = _new_session(model)
        self.log_dir = massgen_core.run_log_dir(model.config, self.run_id)

    async def pieces(self) -> AsyncGenerator[Piece, None]:
        """Run it; yields the pieces described in the module docstring."""
        session, log_dir = self.session, self.log_dir
        lines = ProgressLines() if self.progress else None
        written: list[str] = []  # the answer's text since the last restart
        live = self.live if log_dir is not None else None  # the web view follows the run's log
        if live is not None:
            live.started(self.run_id)
        gate: StartGate | None = None
        try:
            if self.gate is not None and await self.gate.enter():
                gate = self.gate
            async with (
                self.team as team,
                aclosing(
                    team.coordinate(
                        self.question,
                        history=self.history,
                        session=session,
                        log_dir=log_dir,
                        attachments=self.attachments,
                    )
                ) as events,
            ):
                async for event in events:
                    if gate is not None and not isinstance(event, RunStarted):  # its agents' turns began
                        gate.leave()
                        gate = None
                    if live is not None:
                        live.poke(self.run_id)  # its log has the event's line by now
                    if lines is not None and (line := lines.line(event)) is not None:
                        yield Progress(line + "\n")
                    if isinstance(event, AgentOutput) and event.phase in _ANSWER_PHASES:
                        if isinstance(event.event, TextDelta) and event.event.text:
                            written.append(event.event.text)
                            yield Content(event.event.text)
                        elif isinstance(event.event, Restart):
                            if written:
                                yield Content("\n\n---\n[massgen: the reply broke off and is retried]\n\n")
                            written.clear()
                    elif isinstance(event, RunFinished):
                        extra = correction(event.result, "".join(written))
                        if extra is not None:
                            yield Content(extra)
                        yield Finished(
                            result=event.result, run_id=self.run_id, session=session.id, log_dir=log_dir
                        )
        finally:
            if gate is not None:
                gate.leave()
            if live is not None:
                live.finished(self.run_id)  # its log is closed, with its last line
