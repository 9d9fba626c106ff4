"""Garbage collection while runs are active (runtime/gc_policy.py), through the public API."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from typing import Any

import pytest

from massgen_core import coordinate
from massgen_core.runtime.gc_policy import YOUNG_THRESHOLD

QUESTION = "What is the capital of France?"


def team(n: int = 2) -> dict[str, Any]:
    agents = [
        {
            "id": f"agent_{i}",
            "backend": {
                "type": "scripted",
                "then": "coordinate",
                "chunk_delay": 0.01,
                "answer": f"Paris ({i}).",
            },
        }
        for i in range(n)
    ]
    return {"agents": agents, "ui": {"display_type": "silent", "logging_enabled": False}}


@pytest.fixture(autouse=True)
def default_threshold() -> Iterator[tuple[int, int, int]]:
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield gc.get_threshold()
    gc.set_threshold(*saved)


async def thresholds_during(config: dict[str, Any]) -> set[int]:
    """The young generation's threshold seen at every event of a run."""
    seen = set()
    async for _ in coordinate(config, QUESTION):
        seen.add(gc.get_threshold()[0])
    return seen


def test_raised_while_a_run_is_active_and_restored_after() -> None:
    assert asyncio.run(thresholds_during(team())) == {YOUNG_THRESHOLD}
    assert gc.get_threshold() == (700, 10, 10)


def test_concurrent_runs_restore_only_when_the_last_ends() -> None:
    async def both() -> tuple[set[int], set[int], tuple[int, ...]]:
        short, long = team(1), team(3)
        first, second = await asyncio.gather(thresholds_during(short), thresholds_during(long))
        return first, second, gc.get_threshold()

    first, second, after = asyncio.run(both())
    assert first == second == {YOUNG_THRESHOLD}
    assert after == (700, 10, 10)


def test_a_run_that_fails_restores_it_too() -> None:
    config = team(1)
    config["agents"][0]["backend"] = {"type": "scripted", "replies": [{"error": {"kind": "authentication"}}]}

    async def failing() -> None:
        async for _ in coordinate(config, QUESTION):
            pass

    with pytest.raises(Exception, match="failed"):
        asyncio.run(failing())
    assert gc.get_threshold() == (700, 10, 10)


def test_a_setting_changed_during_the_run_is_kept() -> None:
    async def change_it() -> None:
        async for event in coordinate(team(), QUESTION):
            if event.kind == "run_started":
                gc.set_threshold(1234, 5, 5)

    asyncio.run(change_it())
    assert gc.get_threshold() == (1234, 5, 5)


@pytest.mark.parametrize("threshold", [0, 100_000])
def test_collection_off_or_already_higher_is_left_alone(threshold: int) -> None:
    gc.set_threshold(threshold, 10, 10)
    assert asyncio.run(thresholds_during(team())) == {threshold}
    assert gc.get_threshold() == (threshold, 10, 10)
