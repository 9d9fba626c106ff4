"""Stopping a run stops the AG2 agent and the code it is executing."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import massgen_core
import pytest
from ag2_testkit import anyio_backend, config, fake, llm, workdir  # noqa: F401
from massgen_core.plugin import BuiltinToolActivity
from massgen_core.testing.fake_provider import FakeProviderServer, Reply

pytestmark = pytest.mark.anyio

SLOW_CODE = """\
import os, pathlib, time
pathlib.Path("pid").write_text(str(os.getpid()))
time.sleep(60)
pathlib.Path("finished").write_text("the code ran to its end")
"""


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in state  # a zombie has stopped


async def test_cancelling_the_run_stops_the_ag2_agent_and_kills_its_code(
    fake: FakeProviderServer, workdir: Path
) -> None:
    fake.enqueue(Reply(f"```python\n{SLOW_CODE}```"))
    workspace = workdir / "ws"
    agent = {
        "id": "coder",
        "backend": {
            "type": "ag2",
            "cwd": str(workspace),
            "agent_config": {
                "llm_config": llm(fake),
                "code_execution_config": {"executor": {"timeout": 120, "work_dir": "code"}},
            },
        },
    }
    started = asyncio.Event()

    async def consume() -> None:
        async for event in massgen_core.coordinate(config(agent), "Sleep a while."):
            inner: Any = getattr(event, "event", None)
            if isinstance(inner, BuiltinToolActivity) and inner.status == "started":
                started.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(started.wait(), 60)
    pid_file = workspace / "code" / "pid"
    deadline = time.monotonic() + 20
    while not pid_file.exists() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    pid = int(pid_file.read_text())
    assert running(pid)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    deadline = time.monotonic() + 5
    while running(pid) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert not running(pid)
    assert not (workspace / "code" / "finished").exists()
    assert len(fake.model_calls()) == 1  # the agent did not carry on
