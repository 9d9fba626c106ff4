"""``execute_command``: patterns, environment, the runner, and the MCP server with permissions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from massgen_core.config import AgentConfig, BackendConfig
from massgen_core.host.plugin_host import PluginHost
from massgen_core.plugin.errors import ConfigError
from massgen_core.plugin.options import ToolOptions
from massgen_core.testing.scripted_options import ScriptedOptions
from massgen_core.tools.commands import CommandPolicy, compile_patterns, scrub_environment
from massgen_core.tools.commands.policy import split_commands
from massgen_core.tools.commands.runner import run_command
from massgen_core.tools.sandbox import available as landlock_available
from massgen_core.tools.toolbox import AgentToolbox, agent_toolbox
from massgen_core.tools.toolset import ToolOutput
from massgen_core.tools.workspace import AgentAccess

TOOL = "mcp__command_line__execute_command"


def test_commands_are_split_at_separators_outside_quotes() -> None:
    assert split_commands("ls -la; echo 'a;b' && cat \"x|y\" | wc -l || true & sleep 1\nid") == [
        "ls -la",
        "echo 'a;b'",
        'cat "x|y"',
        "wc -l",
        "true",
        "sleep 1",
        "id",
    ]


def test_allowed_patterns_apply_to_every_command_of_a_line() -> None:
    policy = CommandPolicy(allowed=compile_patterns([r"ls\b", r"echo\b", r"python -m pytest\b"], option="x"))
    assert policy.check("ls -la && echo done") is None
    assert policy.check("python -m pytest -q") is None
    assert "'rm -rf x' matches none" in (policy.check("echo hi; rm -rf x") or "")
    assert "substitution" in (policy.check("echo $(rm -rf x)") or "")
    assert "substitution" in (policy.check("echo `id`") or "")


def test_blocked_patterns_and_the_built_in_refusals() -> None:
    policy = CommandPolicy(blocked=compile_patterns([r"curl\s", r"\bgit\s+push\b"], option="x"))
    assert "curl" in (policy.check("echo a && curl http://x") or "")
    assert policy.check("git status") is None and policy.check("git push origin") is not None
    for command in ("sudo rm -rf /", "echo x; su root", ":(){ :|:& };:"):
        assert policy.check(command) is not None
    assert CommandPolicy().check("   ") == "the command is empty"


def test_invalid_patterns_are_config_errors_with_their_position() -> None:
    with pytest.raises(ConfigError) as info:
        compile_patterns(
            ["ok", "(unclosed"], option="agents[0].backend.command_line_allowed_commands", source="r.yaml"
        )
    assert str(info.value).startswith(
        "r.yaml: agents[0].backend.command_line_allowed_commands[1]: invalid regular"
    )


def test_the_environment_loses_secrets() -> None:
    env = {
        "PATH": "/bin",
        "HOME": "/h",
        "OPENAI_API_KEY": "sk-1",
        "GITHUB_TOKEN": "t",
        "AWS_SECRET_ACCESS_KEY": "s",
        "DB_PASSWORD": "p",
        "MY_CUSTOM": "the-configured-api-key",
        "XDG_SESSION_TYPE": "x11",
        "LANG": "C.UTF-8",
    }
    scrubbed = scrub_environment(env, drop=["MY_PROVIDER_VAR"], secret_values=["the-configured-api-key"])
    assert scrubbed == {"PATH": "/bin", "HOME": "/h", "XDG_SESSION_TYPE": "x11", "LANG": "C.UTF-8"}


@pytest.mark.anyio
async def test_the_runner_stops_commands_and_caps_output(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin"}
    ok = await run_command(
        "echo out; echo err >&2; exit 3", cwd=tmp_path, env=env, timeout=10, max_output=1000
    )
    assert (ok.exit_code, ok.stdout, ok.stderr, ok.timed_out) == (3, "out\n", "err\n", False)
    slow = await run_command("echo before; sleep 30", cwd=tmp_path, env=env, timeout=0.5, max_output=1000)
    assert slow.timed_out and slow.exit_code == -1 and slow.stdout == "before\n"
    big = await run_command(
        "head -c 5000 /dev/zero | tr '\\0' a", cwd=tmp_path, env=env, timeout=10, max_output=100
    )
    assert big.truncated and big.stdout.startswith("a" * 100) and "4900 more bytes" in big.stdout
    background = await run_command(
        "sleep 30 & echo started", cwd=tmp_path, env=env, timeout=10, max_output=100
    )
    assert background.stdout == "started\n" and not background.timed_out


# -- the MCP server, through the agent's toolbox ----------------------------------------------
@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("exec")
    paths = {n: root / n for n in ("ws", "project", "outside", "state", "scratch")}
    for path in paths.values():
        path.mkdir()
    (paths["project"] / "main.py").write_text("print(1)\n")
    (paths["project"] / ".env").write_text("KEY=1\n")
    (paths["project"] / "src").mkdir()
    (paths["outside"] / "secret.txt").write_text("secret\n")
    return paths


def agent(api_key: str | None = None, **options: Any) -> AgentConfig:
    return AgentConfig(
        id="a1",
        backend=BackendConfig(
            type="scripted",
            options=ScriptedOptions(api_key=api_key),
            tools=ToolOptions(enable_mcp_command_line=True, **options),
        ),
    )


@pytest.fixture(scope="module")
async def box(anyio_backend: str, tree: dict[str, Path]) -> AsyncIterator[AgentToolbox]:
    if not landlock_available():
        pytest.skip("Landlock is not available on this machine")
    access = AgentAccess(
        "a1",
        workspace=tree["ws"],
        scratch=tree["scratch"],
        context=[(tree["project"], True, [tree["project"] / ".env"])],
        state_file=tree["state"] / "a1.json",
    )
    environ = {"PATH": "/usr/bin:/bin", "OPENAI_API_KEY": "sk-live-123", "HOME": str(tree["ws"])}
    config = agent(
        command_line_timeout=3, command_line_blocked_commands=(r"\bcurl\b",), api_key="sk-config-secret-9"
    )
    environ["SOME_VAR"] = "sk-config-secret-9"
    async with agent_toolbox(
        config, host=PluginHost(entry_points=False), access=access, environ=environ
    ) as toolbox:
        yield toolbox


async def run(box: AgentToolbox, command: str, **extra: Any) -> ToolOutput:
    tool = box.tools.get(TOOL)
    assert tool is not None
    return await tool.call({"command": command, **extra})


@pytest.mark.anyio
async def test_commands_run_in_the_workspace_with_a_clean_environment(
    box: AgentToolbox, tree: dict[str, Path]
) -> None:
    out = await run(box, "echo hello > out.txt && cat out.txt && pwd && echo $TMPDIR")
    assert not out.is_error
    assert "exit code 0" in out.content and "hello" in out.content and str(tree["ws"]) in out.content
    assert str(tree["scratch"]) in out.content
    assert (tree["ws"] / "out.txt").read_text() == "hello\n"
    env = await run(box, "env")
    assert "PATH=" in env.content
    for secret in ("OPENAI_API_KEY", "sk-live-123", "sk-config-secret-9"):
        assert secret not in env.content
    failing = await run(box, "ls /nonexistent-dir")
    assert not failing.is_error and "exit code 2" in failing.content


@pytest.mark.anyio
async def test_commands_write_only_where_the_agent_may(box: AgentToolbox, tree: dict[str, Path]) -> None:
    main, env = tree["project"] / "main.py", tree["project"] / ".env"
    out = await run(
        box,
        f"echo X > {tree['outside'] / 'secret.txt'}; echo X >> {main}; echo X > {tree['project'] / 'src' / 'new.py'}; ls",
    )
    assert "Permission denied" in out.content
    assert (tree["outside"] / "secret.txt").read_text() == "secret\n"
    assert main.read_text() == "print(1)\n" and not (tree["project"] / "src" / "new.py").exists()
    box.begin_final_presentation()
    try:
        final = await run(
            box,
            f"echo X >> {main}; echo Y > {tree['project'] / 'src' / 'new.py'}; echo Z > {env}; rm -f {env}",
        )
        assert (
            main.read_text() == "print(1)\nX\n" and (tree["project"] / "src" / "new.py").read_text() == "Y\n"
        )
        assert env.read_text() == "KEY=1\n" and "Permission denied" in final.content
    finally:
        box.end_final_presentation()
    again = await run(box, f"echo W >> {main}")
    assert "Permission denied" in again.content and main.read_text() == "print(1)\nX\n"


@pytest.mark.anyio
async def test_refusals_timeouts_and_work_dirs(box: AgentToolbox, tree: dict[str, Path]) -> None:
    blocked = await run(box, "curl http://example.com")
    assert blocked.is_error and "blocked pattern" in blocked.content
    slow = await run(box, "sleep 20")
    assert slow.is_error and "longer than 3s" in slow.content
    outside = await run(box, "ls", work_dir=str(tree["outside"]))
    assert outside.is_error and "work_dir refused" in outside.content
    inside = await run(box, "ls", work_dir=str(tree["project"]))
    assert not inside.is_error and "main.py" in inside.content


@pytest.mark.anyio
async def test_an_allow_list_limits_what_runs(tree: dict[str, Path], tmp_path: Path) -> None:
    access = AgentAccess("a2", workspace=tmp_path, state_file=tmp_path.parent / f"{tmp_path.name}-a2.json")
    config = agent(command_line_allowed_commands=(r"echo\b", r"ls\b"), command_line_sandbox="off")
    async with agent_toolbox(config, host=PluginHost(entry_points=False), access=access) as toolbox:
        assert not (await run(toolbox, "echo ok && ls")).is_error
        refused = await run(toolbox, "echo ok; rm -rf /tmp/x")
        assert refused.is_error and "matches none of the allowed" in refused.content


@pytest.mark.anyio
async def test_execute_command_needs_a_workspace_and_valid_settings(tmp_path: Path) -> None:
    host = PluginHost(entry_points=False)
    with pytest.raises(ConfigError, match="needs a workspace"):
        async with agent_toolbox(agent(), host=host):
            pass
    access = AgentAccess("a1", workspace=tmp_path, state_file=tmp_path / "s.json")
    with pytest.raises(ConfigError, match=r"command_line_blocked_commands\[0\]"):
        async with agent_toolbox(agent(command_line_blocked_commands=("(",)), host=host, access=access):
            pass
