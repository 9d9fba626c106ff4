"""Issue 18, item 7: SIGTERM does what Ctrl-C does, in a real ``massgen`` process.

The running question is cancelled, its session turn saved as ``cancelled``, the run log
flushed, the MCP servers stopped, and the process exits with 143.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mcp_servers.registry import FAULT_SERVER
from reliability_support import coordinating, needs_openai

from massgen_core.testing.fake_provider import FakeProviderServer, Reply, Stall

pytestmark = [
    needs_openai,
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals"),
]


def massgen(*args: str, cwd: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASSGEN_")}
    return subprocess.Popen(
        [sys.executable, "-m", "massgen_core", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def alive(pid: int) -> bool:
    """Running (a zombie waiting for a reaper does not count)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_until(condition: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def write_config(tmp_path: Path, server: FakeProviderServer) -> Path:
    def agent(agent_id: str) -> dict[str, object]:
        return {
            "id": agent_id,
            "backend": {
                "type": "chatcompletion",
                "model": f"m-{agent_id}",
                "base_url": server.openai_base_url,
                "mcp_servers": [{"name": "fault", "command": sys.executable, "args": [str(FAULT_SERVER)]}],
            },
        }

    path = tmp_path / "team.yaml"
    path.write_text(json.dumps({"agents": [agent("a"), agent("b")]}))
    return path


def test_sigterm_mid_run_saves_the_turn_flushes_the_log_stops_mcp_servers_and_exits_143(
    tmp_path: Path,
) -> None:
    stalled = Reply("", fault=Stall(after=0))
    with FakeProviderServer(responder=lambda request: stalled, models=["m-a", "m-b"]) as server:
        process = massgen("--config", str(write_config(tmp_path, server)), "--no-display", "Q?", cwd=tmp_path)
        try:
            server.wait_for_requests(2, timeout=60)  # both agents are waiting on their model
            mcp_servers = children(process.pid)
            assert len(mcp_servers) >= 2, "the agents' MCP servers run as child processes"
            process.send_signal(signal.SIGTERM)
            _, err = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 143, err
    assert "terminated" in err and "Traceback" not in err
    (turn,) = (tmp_path / ".massgen" / "sessions").glob("*/turn_*/turn.json")
    record = json.loads(turn.read_text())
    assert record["question"] == "Q?" and record["status"] == "cancelled"
    (events,) = (tmp_path / ".massgen" / "logs").glob("*/events.jsonl")
    kinds = [json.loads(line)["kind"] for line in events.read_text().splitlines()]
    assert "run_started" in kinds and kinds.count("turn_started") == 2
    wait_until(lambda: not any(alive(pid) for pid in mcp_servers), timeout=10)


def test_sigterm_at_the_interactive_prompt_exits_143(tmp_path: Path) -> None:
    answers = {"m-a": "4", "m-b": "2+2 is 4"}
    with FakeProviderServer(responder=coordinating(answers), models=list(answers)) as server:
        process = massgen("--config", str(write_config(tmp_path, server)), cwd=tmp_path)
        try:
            assert process.stdin is not None
            process.stdin.write("What is 2+2?\n")
            process.stdin.flush()
            server.wait_for_requests(2, timeout=60)
            # the first question is answered; massgen waits for the next line
            wait_until(lambda: any(tmp_path.glob(".massgen/sessions/*/turn_*/turn.json")))
            mcp_servers = children(process.pid)
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 143, err
    assert out.strip() == "2+2 is 4"
    wait_until(lambda: not any(alive(pid) for pid in mcp_servers), timeout=10)
