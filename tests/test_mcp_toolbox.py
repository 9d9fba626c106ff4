"""The agent toolbox: plugin tools, configured and plugin MCP servers, file tools, the agent loop."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from mcp_servers.registry import FAULT_SERVER

from massgen_core.config import AgentConfig, BackendConfig, ContextPathConfig, OrchestratorConfig, RunConfig
from massgen_core.host.plugin_host import PluginHost
from massgen_core.plugin.errors import ConfigError
from massgen_core.plugin.hookspecs import hookimpl
from massgen_core.plugin.messages import Message
from massgen_core.plugin.options import ToolOptions
from massgen_core.plugin.specs import McpServerSpec, ToolContext, ToolSpec
from massgen_core.plugin.stream import ToolResult
from massgen_core.runtime.agent import Agent, TurnComplete
from massgen_core.runtime.coordination.turns import planning_gate
from massgen_core.testing.scripted import ScriptedBackend
from massgen_core.testing.scripted_options import ScriptedOptions
from massgen_core.tools.mcp import ToolNotice
from massgen_core.tools.toolbox import agent_toolbox, open_toolboxes
from massgen_core.tools.workspace import AgentAccess, RunWorkspaces

pytestmark = pytest.mark.anyio


def fault(name: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "command": sys.executable, "args": [str(FAULT_SERVER)], **fields}


class ToolPlugin:
    """A plugin offering a Python tool and an MCP server, as any third-party plugin would."""

    def __init__(self) -> None:
        self.contexts: list[ToolContext] = []

    @hookimpl
    def massgen_tools(self, context: ToolContext) -> Sequence[ToolSpec | McpServerSpec]:
        self.contexts.append(context)
        return [
            ToolSpec(name="add", description="Add.", function=lambda a, b: a + b, read_only=True),
            McpServerSpec(
                name="plugged", command=sys.executable, args=(str(FAULT_SERVER),), allowed_tools=("echo",)
            ),
        ]


def host_with(*plugins: object) -> PluginHost:
    host = PluginHost(entry_points=False)
    for plugin in plugins:
        host.register(plugin, name=type(plugin).__name__)
    return host


def agent(agent_id: str = "a1", **options: Any) -> AgentConfig:
    return AgentConfig(
        id=agent_id,
        backend=BackendConfig(type="scripted", options=ScriptedOptions(), tools=ToolOptions(**options)),
    )


async def test_one_toolbox_gathers_every_kind_of_tool(tmp_path: Path) -> None:
    plugin = ToolPlugin()
    access = AgentAccess("a1", workspace=tmp_path)
    notices: list[ToolNotice] = []
    config = agent(
        mcp_servers={
            "cfg": {
                "type": "stdio",
                "command": sys.executable,
                "args": [str(FAULT_SERVER)],
                "read_only": True,
            }
        },
        exclude_tools=("mcp__cfg__crash", "mcp__cfg__hang", "delete_path"),
    )
    async with agent_toolbox(config, host=host_with(plugin), access=access, notify=notices.append) as box:
        names = set(box.tools.names())
        assert {"add", "read_file", "write_file", "mcp__cfg__echo", "mcp__plugged__echo"} <= names
        assert not {"mcp__cfg__crash", "mcp__cfg__hang", "delete_path", "mcp__plugged__slow"} & names
        assert plugin.contexts[0].workspace == access.workspace
        assert sorted(n.source for n in notices if n.kind == "connected") == ["cfg", "plugged"]
        assert str(access.workspace) in box.instructions()

        backend = ScriptedBackend(
            ScriptedOptions(
                replies=[
                    {
                        "tool_calls": [
                            {"name": "mcp__cfg__echo", "arguments": {"text": "hi"}},
                            {"name": "mcp__plugged__echo", "arguments": {"text": "there"}},
                            {"name": "write_file", "arguments": {"path": "a.txt", "content": "A"}},
                            {"name": "add", "arguments": {"a": 2, "b": 3}},
                        ]
                    },
                    "done",
                ]
            )
        )
        loop = Agent("a1", backend, tools=box.tools)
        events = [e async for e in loop.run([Message.user("go")], gate=planning_gate)]
        results = {e.name: e for e in events if isinstance(e, ToolResult)}
        assert results["mcp__cfg__echo"].output == "echo: hi"  # read-only server: planning mode runs it
        assert results["add"].output == "5"
        assert results["mcp__plugged__echo"].is_error  # not read-only: planning mode refuses
        assert results["write_file"].is_error and not (tmp_path / "a.txt").exists()
        end = events[-1]
        assert isinstance(end, TurnComplete) and end.text == "done"


async def test_bad_servers_are_config_errors_before_anything_starts(tmp_path: Path) -> None:
    host = PluginHost(entry_points=False)
    config = agent(mcp_servers=[fault("fine"), {"name": "bad", "command": "bash", "args": ["-c", "x"]}])
    with pytest.raises(ConfigError) as info:
        async with agent_toolbox(config, host=host, origin="agents[0].backend", source="run.yaml"):
            pass
    assert "run.yaml: agents[0].backend.mcp_servers[1].command" in str(info.value)
    access = AgentAccess("a1", workspace=tmp_path, state_file=tmp_path / "s.json")
    clash = agent(mcp_servers=[fault("command_line")], enable_mcp_command_line=True)
    with pytest.raises(ConfigError, match="'command_line' is MassGen's own"):
        async with agent_toolbox(clash, host=host, access=access):
            pass


async def test_two_tools_with_one_name_are_a_config_error(tmp_path: Path) -> None:
    class Clash:
        @hookimpl
        def massgen_tools(self, context: ToolContext) -> Sequence[ToolSpec]:
            return [ToolSpec(name="read_file", description="mine", function=lambda path: path)]

    with pytest.raises(ConfigError, match="two tools are named 'read_file'"):
        async with agent_toolbox(
            agent(), host=host_with(Clash()), access=AgentAccess("a1", workspace=tmp_path)
        ):
            pass


async def test_toolboxes_for_a_run_start_in_parallel_with_shared_workspaces(tmp_path: Path) -> None:
    (tmp_path / "project").mkdir()
    config = RunConfig(
        agents=(agent("a1", mcp_servers=[fault("f", allowed_tools=["echo"])]), agent("a2")),
        orchestrator=OrchestratorConfig(
            context_paths=(ContextPathConfig(path=tmp_path / "project", permission="write"),)
        ),
    )
    workspaces = RunWorkspaces.from_config(config, root=tmp_path / ".massgen")
    async with open_toolboxes(config, host=PluginHost(entry_points=False), workspaces=workspaces) as boxes:
        assert set(boxes) == {"a1", "a2"}
        assert "mcp__f__echo" in boxes["a1"].tools and "mcp__f__echo" not in boxes["a2"].tools
        write = boxes["a2"].tools.get("write_file")
        assert write is not None
        target = str(tmp_path / "project" / "out.md")
        assert (await write.call({"path": target, "content": "x"})).is_error
        boxes["a2"].begin_final_presentation()
        assert not (await write.call({"path": target, "content": "x"})).is_error
        assert "read-write" in boxes["a2"].instructions()
        boxes["a2"].end_final_presentation()


def test_the_mcp_sdk_is_imported_only_for_agents_with_mcp_servers(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        from pathlib import Path
        from massgen_core.tools.toolbox import agent_toolbox
        from massgen_core.config import AgentConfig, BackendConfig
        from massgen_core.host.plugin_host import PluginHost
        from massgen_core.testing.scripted_options import ScriptedOptions
        from massgen_core.tools.workspace import AgentAccess

        async def main():
            config = AgentConfig(id="a", backend=BackendConfig(type="scripted", options=ScriptedOptions()))
            access = AgentAccess("a", workspace=Path({str(tmp_path)!r}))
            async with agent_toolbox(config, host=PluginHost(entry_points=False), access=access) as box:
                assert "write_file" in box.tools
        asyncio.run(main())
        print("mcp" in sys.modules)
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
