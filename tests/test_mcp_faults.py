"""Faults: tool errors, crashes, hangs, servers that die at start, the circuit breaker.

Against ``tests/mcp_servers/fault_server.py``, an MCP server written with the ``mcp`` SDK.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import Any

import pytest
from mcp_servers.registry import FAULT_SERVER

from massgen_core.runtime.resilience import RetryPolicy
from massgen_core.tools.mcp import BreakerSettings, McpHub, McpSettings, ToolNotice, parse_mcp_servers
from massgen_core.tools.toolset import Tool, ToolOutput

pytestmark = pytest.mark.anyio

FAST = McpSettings(
    call_timeout=20,
    retry=RetryPolicy(max_attempts=3, initial_delay=0.05, max_delay=0.1),
    breaker=BreakerSettings(max_failures=2, reset_seconds=600),
)


def fault_server(name: str = "fault", *extra: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "command": sys.executable, "args": [str(FAULT_SERVER), *extra], **fields}


class Hub:
    def __init__(self, hub: McpHub, notices: list[ToolNotice]) -> None:
        self.hub = hub
        self.notices = notices

    async def call(self, name: str, **arguments: Any) -> ToolOutput:
        tools: dict[str, Tool] = {t.definition.name: t for t in self.hub.tools}
        return await tools[name].call(arguments)

    def kinds(self) -> list[str]:
        return [n.kind for n in self.notices]


async def pid_of(hub: Hub, name: str = "mcp__fault__calls") -> int:
    out = await hub.call(name)
    return int(out.content.split("pid=")[1])


async def test_errors_crashes_and_restarts_of_one_server() -> None:
    notices: list[ToolNotice] = []
    async with McpHub(
        parse_mcp_servers([fault_server()]), settings=FAST, agent_id="a1", notify=notices.append
    ) as mcp:
        hub = Hub(mcp, notices)
        assert (await hub.call("mcp__fault__echo", text="x")).content == "echo: x"

        failed = await hub.call("mcp__fault__fail", message="boom")
        assert failed.is_error and "boom" in failed.content
        assert mcp.clients["fault"].breaker.failures == 0  # a tool error is not a server failure

        slow, quick = await asyncio.gather(
            hub.call("mcp__fault__slow", seconds=0.3), hub.call("mcp__fault__echo", text="y")
        )
        assert (slow.content, quick.content) == ("slept 0.3", "echo: y")

        first = await pid_of(hub)
        crashed = await hub.call("mcp__fault__crash")
        assert (
            crashed.is_error
            and "crashed" in crashed.content
            and "Continue without this tool" in crashed.content
        )
        assert hub.kinds().count("crashed") == 1
        # the next call restarts the server; the crashing call was not sent again (not read-only)
        second = await pid_of(hub)
        assert second != first and "reconnected" in hub.kinds()
        assert (await hub.call("mcp__fault__echo", text="z")).content == "echo: z"

        # killed while idle (by its real pid): the next call notices and restarts it
        os.kill(second, signal.SIGKILL)
        await asyncio.sleep(0.1)
        after_kill = await hub.call("mcp__fault__echo", text="again")
        assert (after_kill.content, after_kill.is_error) == ("echo: again", False)
        assert await pid_of(hub) not in (first, second)
        assert mcp.clients["fault"].breaker.state == "closed"


async def test_a_read_only_server_that_keeps_crashing_is_retried_then_cut_off() -> None:
    notices: list[ToolNotice] = []
    entries = parse_mcp_servers([fault_server("ro", read_only=True)])
    async with McpHub(entries, settings=FAST, notify=notices.append) as mcp:
        hub = Hub(mcp, notices)
        out = await hub.call("mcp__ro__crash")
        assert out.is_error and "(after 2 attempts)" in out.content  # resent once, then the breaker opened
        assert "circuit_open" in hub.kinds()
        cut_off = await hub.call("mcp__ro__echo", text="x")
        assert cut_off.is_error and "unavailable" in cut_off.content and "paused" in cut_off.content
        assert mcp.clients["ro"].breaker.state == "open"


async def test_a_hung_server_times_out_and_is_replaced() -> None:
    notices: list[ToolNotice] = []
    entries = parse_mcp_servers([fault_server(timeout=1)])
    async with McpHub(entries, settings=FAST, notify=notices.append) as mcp:
        hub = Hub(mcp, notices)
        first = await pid_of(hub)
        hung = await hub.call("mcp__fault__hang")
        assert hung.is_error and "did not answer 'hang' within 1s" in hung.content
        assert "timeout" in hub.kinds()
        # the next call finds it unresponsive (ping), restarts it, and goes through
        assert (await hub.call("mcp__fault__echo", text="x")).content == "echo: x"
        assert await pid_of(hub) != first


async def test_a_server_that_dies_at_start_is_left_out_and_its_stderr_explains() -> None:
    notices: list[ToolNotice] = []
    entries = parse_mcp_servers([fault_server("dead", "--exit-at-start"), fault_server("alive")])
    async with McpHub(entries, settings=FAST, notify=notices.append) as mcp:
        names = {t.definition.name for t in mcp.tools}
        assert "mcp__alive__echo" in names and not any(n.startswith("mcp__dead__") for n in names)
    [failure] = [n for n in notices if n.kind == "connect_failed"]
    assert failure.source == "dead" and "exiting at start as asked" in failure.message


async def test_sandboxed_server_cannot_write_outside_its_roots(tmp_path: Any) -> None:
    from massgen_core.tools.mcp.servers import ServerEntry
    from massgen_core.tools.sandbox import available

    if not available():
        pytest.skip("Landlock is not available on this machine")
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    [entry] = parse_mcp_servers([fault_server()])
    confined = ServerEntry(spec=entry.spec, origin=entry.origin, sandbox=((str(allowed),), ()))
    async with McpHub([confined], settings=FAST) as mcp:
        hub = Hub(mcp, [])
        inside = await hub.call("mcp__fault__write_file", path=str(allowed / "ok.txt"), content="ok")
        outside = await hub.call("mcp__fault__write_file", path=str(tmp_path / "no.txt"), content="no")
    assert not inside.is_error and (allowed / "ok.txt").read_text() == "ok"
    assert outside.is_error and "Permission denied" in outside.content
    assert not (tmp_path / "no.txt").exists()
