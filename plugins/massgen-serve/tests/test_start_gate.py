"""Served runs set up one after another, in the order they came (``massgen_serve.runs.StartGate``).

The runs here are ``ServedRun``s of the core's scripted backend, in this process, through one
gate, as a worker's requests are.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import massgen_core
import pytest

from massgen_serve.catalog import ServedModel
from massgen_serve.runs import Finished, ServedRun, StartGate

LONG = "The capital of France is Paris, on the Seine."


def served(config: dict[str, object]) -> ServedModel:
    return ServedModel(name="team", config=massgen_core.load_config(config), source=Path("team.yaml"))


SCRIPTED = {
    "agents": [
        {
            "id": a,
            "backend": {"type": "scripted", "then": "coordinate", "answer": answer, "chunk_delay": 0.01},
        }
        for a, answer in (("short", "Paris."), ("long", LONG))
    ],
    "ui": {"display_type": "silent"},
}


async def answer(run: ServedRun) -> str:
    async for piece in run.pieces():
        if isinstance(piece, Finished):
            return piece.result.final_answer
    raise AssertionError("no result")


def test_the_gate_lets_runs_in_one_at_a_time_in_the_order_they_came() -> None:
    gate = StartGate(wait=5)
    inside: list[int] = []
    order: list[int] = []

    async def run(i: int) -> None:
        assert await gate.enter()
        inside.append(i)
        assert inside == [i]  # alone in the gate
        order.append(i)
        await asyncio.sleep(0.01)
        inside.remove(i)
        gate.leave()

    async def main() -> None:
        await asyncio.gather(*(run(i) for i in range(5)))

    asyncio.run(main())
    assert order == [0, 1, 2, 3, 4]


def test_a_run_that_waited_too_long_goes_on_without_the_gate() -> None:
    async def main() -> tuple[bool, float]:
        gate = StartGate(wait=0.05)
        assert await gate.enter()  # held, as by a run whose MCP server takes its time to start
        started = time.monotonic()
        taken = await gate.enter()
        return taken, time.monotonic() - started

    taken, waited = asyncio.run(main())
    assert not taken
    assert 0.04 <= waited < 2


def test_runs_at_once_through_the_gate_each_leave_it_when_their_agents_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gate orders the runs' setups, not the runs: all four are at work at once."""
    monkeypatch.chdir(tmp_path)
    model, gate = served(SCRIPTED), StartGate(wait=30)
    first_step: dict[int, float] = {}
    finished: list[float] = []

    async def timed(i: int) -> str:
        run = ServedRun(model, f"Capital? ({i})", gate=gate, progress=True)
        async for piece in run.pieces():
            first_step.setdefault(i, time.monotonic())
            if isinstance(piece, Finished):
                finished.append(time.monotonic())
                return piece.result.final_answer
        raise AssertionError("no result")

    async def main() -> list[str]:
        return list(await asyncio.gather(*(timed(i) for i in range(4))))

    assert asyncio.run(main()) == [LONG] * 4
    assert max(first_step.values()) < min(finished)  # the last began coordinating before the first ended


def test_a_run_whose_setup_fails_or_is_cancelled_leaves_the_gate_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    keyless = served({"agents": [{"id": "a", "backend": {"type": "chatcompletion", "model": "gpt-4o"}}]})
    model, gate = served(SCRIPTED), StartGate(wait=30)

    async def main() -> tuple[str, str]:
        with pytest.raises(massgen_core.MassgenError, match="OPENAI_API_KEY"):
            await answer(ServedRun(keyless, "Capital?", gate=gate))  # fails while it holds the gate
        after_failure = await asyncio.wait_for(answer(ServedRun(model, "Capital? (1)", gate=gate)), 15)
        pieces = ServedRun(model, "Capital? (2)", gate=gate).pieces()
        await anext(pieces)  # inside: its agents are writing
        await pieces.aclose()  # its client went away
        after_cancel = await asyncio.wait_for(answer(ServedRun(model, "Capital? (3)", gate=gate)), 15)
        return after_failure, after_cancel

    assert asyncio.run(main()) == (LONG, LONG)


def test_a_run_cancelled_while_it_waits_for_the_gate_is_no_longer_live(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its client went away before its setup began: the web view must not follow it forever."""
    from massgen_serve.web.tail import LiveRuns

    monkeypatch.chdir(tmp_path)
    model, gate, live = served(SCRIPTED), StartGate(wait=30), LiveRuns()

    async def main() -> None:
        assert await gate.enter()  # another run is setting up
        run = ServedRun(model, "Capital?", gate=gate, live=live)
        waiting = asyncio.ensure_future(answer(run))
        await asyncio.sleep(0.05)
        assert run.run_id in live
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert run.run_id not in live

    asyncio.run(main())
