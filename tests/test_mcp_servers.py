"""The MCP hub against real servers from npm and PyPI (stdio and streamable HTTP)."""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from mcp_servers.registry import NpmServers, http_server, npm_servers, time_server

from massgen_core.tools.mcp import McpHub, McpSettings, ToolNotice, parse_mcp_servers
from massgen_core.tools.sandbox import available as landlock_available
from massgen_core.tools.toolset import Tool
from massgen_core.tools.workspace import AgentAccess
from massgen_core.tools.workspace.filesystem_server import filesystem_server

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def npm() -> NpmServers:
    return npm_servers()


class Started:
    def __init__(self, hub: McpHub, notices: list[ToolNotice]) -> None:
        self.hub = hub
        self.notices = notices
        self.tools: dict[str, Tool] = {t.definition.name: t for t in hub.tools}


@pytest.fixture(scope="module")
def secret_in_environment() -> Iterator[str]:
    """An API key in MassGen's environment, which no MCP server may see."""
    old = os.environ.get("OPENAI_API_KEY")
    os.environ["OPENAI_API_KEY"] = "sk-test-secret-value-123"
    yield "sk-test-secret-value-123"
    if old is None:
        del os.environ["OPENAI_API_KEY"]
    else:
        os.environ["OPENAI_API_KEY"] = old


@pytest.fixture(scope="module")
async def stdio_hub(
    anyio_backend: str, npm: NpmServers, secret_in_environment: str
) -> AsyncIterator[Started]:
    entries = parse_mcp_servers(
        [
            {
                "name": "everything",
                "command": npm.node,
                "args": [npm.everything, "stdio"],
                "exclude_tools": ["toggle-simulated-logging", "toggle-subscriber-updates"],
            },
            {
                "name": "time",
                "type": "stdio",
                "command": time_server(),
                "args": ["--local-timezone", "UTC"],
                "allowed_tools": ["get_current_time"],
                "read_only": True,
            },
        ]
    )
    notices: list[ToolNotice] = []
    async with McpHub(entries, agent_id="a1", notify=notices.append) as hub:
        yield Started(hub, notices)


async def test_servers_connect_and_their_tools_are_prefixed_and_filtered(stdio_hub: Started) -> None:
    names = set(stdio_hub.tools)
    assert {"mcp__everything__echo", "mcp__everything__get-sum", "mcp__time__get_current_time"} <= names
    assert "mcp__everything__toggle-simulated-logging" not in names  # exclude_tools
    assert "mcp__time__convert_time" not in names  # allowed_tools
    assert [n.kind for n in stdio_hub.notices].count("connected") == 2
    assert stdio_hub.tools["mcp__time__get_current_time"].read_only
    assert not stdio_hub.tools["mcp__everything__echo"].read_only  # annotations are not trusted


async def test_calls_return_the_servers_results(stdio_hub: Started) -> None:
    echo = await stdio_hub.tools["mcp__everything__echo"].call({"message": "hi"})
    total = await stdio_hub.tools["mcp__everything__get-sum"].call({"a": 2, "b": 3})
    now = await stdio_hub.tools["mcp__time__get_current_time"].call({"timezone": "Europe/Paris"})
    assert (echo.content, echo.is_error) == ("Echo: hi", False)
    assert total.content == "The sum of 2 and 3 is 5."
    assert '"timezone": "Europe/Paris"' in now.content and not now.is_error


async def test_tool_errors_go_to_the_model_and_the_server_keeps_serving(stdio_hub: Started) -> None:
    bad = await stdio_hub.tools["mcp__time__get_current_time"].call({"timezone": "Nowhere/Bad"})
    assert bad.is_error and "Invalid timezone" in bad.content
    invalid = await stdio_hub.tools["mcp__everything__get-sum"].call({"a": "two"})
    assert invalid.is_error and "get-sum" in invalid.content
    again = await stdio_hub.tools["mcp__time__get_current_time"].call({"timezone": "UTC"})
    assert not again.is_error
    assert stdio_hub.hub.clients["time"].breaker.failures == 0


async def test_one_connection_per_server_serves_concurrent_calls(stdio_hub: Started) -> None:
    import asyncio

    client = stdio_hub.hub.clients["everything"]
    before = client.connection
    outputs = await asyncio.gather(
        *(stdio_hub.tools["mcp__everything__get-sum"].call({"a": i, "b": 1}) for i in range(6))
    )
    assert [o.content for o in outputs] == [f"The sum of {i} and 1 is {i + 1}." for i in range(6)]
    assert client.connection is before


async def test_servers_do_not_inherit_api_keys(stdio_hub: Started, secret_in_environment: str) -> None:
    env = await stdio_hub.tools["mcp__everything__get-env"].call({})
    assert "PATH" in env.content
    assert "OPENAI_API_KEY" not in env.content and secret_in_environment not in env.content


async def test_streamable_http_server_and_its_death(npm: NpmServers) -> None:
    notices: list[ToolNotice] = []
    with http_server([npm.node, npm.everything, "streamableHttp"]) as (url, process):
        entries = parse_mcp_servers([{"name": "remote", "type": "streamable-http", "url": url, "timeout": 5}])
        async with McpHub(entries, agent_id="a1", notify=notices.append) as hub:
            tools = {t.definition.name: t for t in hub.tools}
            result = await tools["mcp__remote__get-sum"].call({"a": 2, "b": 3})
            assert result.content == "The sum of 2 and 3 is 5."
            os.kill(process.pid, signal.SIGKILL)  # the real server process (node, no npx)
            process.wait(timeout=10)
            dead = await tools["mcp__remote__get-sum"].call({"a": 1, "b": 1})
            assert dead.is_error and "remote" in dead.content
    assert any(n.kind in ("crashed", "timeout") and n.source == "remote" for n in notices)


async def test_an_unreachable_http_server_is_reported_and_the_others_still_work(npm: NpmServers) -> None:
    from mcp_servers.registry import free_port

    notices: list[ToolNotice] = []
    entries = parse_mcp_servers(
        [
            {"name": "gone", "url": f"http://127.0.0.1:{free_port()}/mcp"},
            {
                "name": "everything",
                "command": npm.node,
                "args": [npm.everything, "stdio"],
                "allowed_tools": ["echo"],
            },
        ]
    )
    async with McpHub(entries, settings=McpSettings(connect_timeout=10), notify=notices.append) as hub:
        assert [t.definition.name for t in hub.tools] == ["mcp__everything__echo"]
    failed = [n for n in notices if n.kind == "connect_failed"]
    assert [n.source for n in failed] == ["gone"]


# -- the filesystem server, with the agent's permissions -----------------------------------------
@pytest.fixture
def tree(tmp_path: Path) -> dict[str, Path]:
    paths = {name: tmp_path / name for name in ("workspace", "project", "views", "outside", "internal")}
    for path in paths.values():
        path.mkdir()
    (paths["project"] / "README.md").write_text("project readme\n")
    (paths["project"] / ".env").write_text("SECRET=1\n")
    (paths["outside"] / "target.txt").write_text("untouched\n")
    (paths["internal"] / "state.json").write_text("{}\n")
    return paths


def make_access(tree: dict[str, Path]) -> AgentAccess:
    return AgentAccess(
        "a1",
        workspace=tree["workspace"],
        snapshots=tree["views"],
        context=[(tree["project"], True, [tree["project"] / ".env"])],
        hidden=[tree["internal"]],
        state_file=tree["internal"] / "a1.json",
    )


async def test_filesystem_server_follows_the_agents_permissions(
    npm: NpmServers, tree: dict[str, Path]
) -> None:
    access = make_access(tree)
    entry = filesystem_server(access, (npm.node, npm.filesystem), npm_cache=tree["internal"] / "npm")
    async with McpHub([entry], agent_id="a1") as hub:
        tools = {t.definition.name: t for t in hub.tools}
        assert tools["mcp__filesystem__read_text_file"].read_only
        assert not tools["mcp__filesystem__write_file"].read_only
        write = tools["mcp__filesystem__write_file"]
        readme = str(tree["project"] / "README.md")

        read = await tools["mcp__filesystem__read_text_file"].call({"path": readme})
        assert read.content == "project readme\n"
        ok = await write.call({"path": "notes.txt", "content": "mine"})  # relative: the workspace
        assert not ok.is_error and (tree["workspace"] / "notes.txt").read_text() == "mine"

        during = await write.call({"path": readme, "content": "changed"})
        assert during.is_error and "final agent" in during.content
        hidden = await tools["mcp__filesystem__read_text_file"].call(
            {"path": str(tree["internal"] / "state.json")}
        )
        assert hidden.is_error and "outside the paths you can access" in hidden.content

        access.begin_final_presentation()
        final = await write.call({"path": readme, "content": "final"})
        assert not final.is_error and (tree["project"] / "README.md").read_text() == "final"
        protected = await write.call({"path": str(tree["project"] / ".env"), "content": "X"})
        assert protected.is_error and "protected" in protected.content
        escape = await write.call({"path": "../outside/target.txt", "content": "X"})
        assert escape.is_error

        if landlock_available():  # outside the roots the kernel says no too, to a call that skips our check
            connection = hub.clients["filesystem"].connection
            assert connection is not None
            for target in (
                tree["outside"] / "target.txt",
                tree["views"] / "new.txt",
                tree["internal"] / "state.json",
            ):
                raw = await connection.call_tool("write_file", {"path": str(target), "content": "X"}, 10)
                assert raw.is_error
        access.end_final_presentation()
    assert (tree["project"] / ".env").read_text() == "SECRET=1\n"
    assert (tree["outside"] / "target.txt").read_text() == "untouched\n"
    assert (tree["internal"] / "state.json").read_text() == "{}\n"
    assert not (tree["views"] / "new.txt").exists()
