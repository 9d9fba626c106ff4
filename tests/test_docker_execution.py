"""``command_line_execution_mode: docker`` against a real Docker daemon (``nox -s docker``, which
starts one with scripts/docker/ensure_dockerd.sh).

Through the CLI: execute_command runs in a container (its hostname, /.dockerenv, host files it
cannot see), writes land in the workspace, context paths are read-only, there is no network, the
config's limits are applied (the container inspected while it runs), the timeout stops the whole
container, Ctrl-C removes it, and a missing image is a clear error. Through the toolbox: the final
presenter's writable context paths open and close per command, protected paths stay read-only,
and a cancelled call removes its container.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from massgen_core.testing.cli import run_massgen

pytestmark = pytest.mark.docker

TOOL = "mcp__command_line__execute_command"
LABEL = "io.massgen.command"


def _docker_client() -> Any:
    docker = pytest.importorskip("docker", reason="the Docker SDK: pip install 'massgen-core[docker]'")
    try:
        client = docker.from_env(timeout=30)
        client.ping()
    except Exception as exc:  # a failure, not a skip: `nox -s docker` starts the daemon first
        pytest.fail(f"no Docker daemon answers ({exc}): run scripts/docker/ensure_dockerd.sh as root")
    return client


@pytest.fixture(scope="module")
def docker_client() -> Iterator[Any]:
    """The daemon, with the default image (built by `massgen sandbox build` when missing)."""
    client = _docker_client()
    from massgen_core.plugin.options import DEFAULT_DOCKER_IMAGE

    if not client.images.list(name=DEFAULT_DOCKER_IMAGE):
        built = run_massgen("sandbox", "build", timeout=900)
        assert built.returncode == 0, built.stderr
    yield client
    client.close()


def our_containers(client: Any) -> list[Any]:
    return list(client.containers.list(all=True, filters={"label": LABEL}))


@pytest.fixture
def no_leftovers(docker_client: Any) -> Iterator[Any]:
    """Fails the test if a command container it started is still there afterwards."""
    before = {c.id for c in our_containers(docker_client)}
    yield docker_client
    left = [c for c in our_containers(docker_client) if c.id not in before]
    for container in left:
        container.remove(force=True)
    assert not left, f"containers left behind: {[c.name for c in left]}"


def config(*commands: str, timeout: float = 30, **backend: Any) -> str:
    """A one-agent config whose scripted model calls execute_command once per command."""
    block = {
        "type": "scripted",
        "enable_mcp_command_line": True,
        "command_line_execution_mode": "docker",
        "command_line_timeout": timeout,
        **backend,
        "replies": [
            *({"tool_calls": [{"name": TOOL, "arguments": {"command": c}}]} for c in commands),
            "done",
        ],
    }
    return json.dumps({"agent": {"id": "boxed", "backend": block}, "orchestrator": {}})


def with_context(text: str, *paths: tuple[Path, str]) -> str:
    data = json.loads(text)
    data["orchestrator"]["context_paths"] = [{"path": str(p), "permission": m} for p, m in paths]
    return json.dumps(data)


def tool_results(cwd: Path) -> list[str]:
    (events,) = (cwd / ".massgen" / "logs").glob("*/events.jsonl")
    records = [json.loads(line) for line in events.read_text().splitlines()]
    return [str(r["output"]) for r in records if r["kind"] == "tool_result"]


def workspace(cwd: Path) -> Path:
    return cwd / ".massgen" / "workspaces" / "boxed"


# -- through the CLI ---------------------------------------------------------------------------
def test_commands_run_in_a_container_that_sees_only_the_agents_paths(
    tmp_path: Path, no_leftovers: Any
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "notes.txt").write_text("context\n")
    outside = tmp_path / "outside.txt"
    outside.write_text("host only\n")
    probe = (
        "hostname > host.txt; test -f /.dockerenv && echo yes > dockerenv.txt; "
        f"cat {outside} > outside.txt 2>&1; ls {Path.cwd()} > cwd.txt 2>&1; "
        f"cat {project / 'notes.txt'} > context.txt; {{ echo changed >> {project / 'notes.txt'}; }} 2> ro.txt; "
        "python3 -c 'print(6 * 7)' > python.txt; id -u > uid.txt; env > env.txt; "
        "python3 -c 'import socket; socket.create_connection((\"1.1.1.1\", 53), timeout=3)' 2> net.txt; "
        "cat /proc/net/dev > netdev.txt"
    )
    (tmp_path / "team.json").write_text(with_context(config(probe), (project, "read")))
    run = run_massgen(
        "--config", "team.json", "--no-display", "q", cwd=tmp_path, env={"OPENAI_API_KEY": "sk-host-key-123"}
    )
    assert run.returncode == 0, run.stderr
    (result,) = tool_results(tmp_path)
    assert "exit code" in result and "--- stdout ---" not in result, result  # all went to files
    ws = workspace(tmp_path)
    assert (ws / "host.txt").read_text().strip() == "massgen-sandbox"
    assert (ws / "dockerenv.txt").read_text() == "yes\n"
    assert "No such file" in (ws / "outside.txt").read_text()  # a host file beside the mounts
    assert "No such file" in (ws / "cwd.txt").read_text()  # the checkout massgen runs from
    assert (ws / "context.txt").read_text() == "context\n"
    assert "Read-only file system" in (ws / "ro.txt").read_text()
    assert (project / "notes.txt").read_text() == "context\n"
    assert (ws / "python.txt").read_text() == "42\n"
    assert (ws / "uid.txt").read_text().strip() == str(os.getuid())
    env = (ws / "env.txt").read_text()
    assert "sk-host-key-123" not in env and "OPENAI_API_KEY" not in env
    assert f"TMPDIR={tmp_path / '.massgen' / 'scratch' / 'boxed'}" in env
    assert "Network is unreachable" in (ws / "net.txt").read_text()
    interfaces = [line.split(":")[0].strip() for line in (ws / "netdev.txt").read_text().splitlines()[2:]]
    assert interfaces == ["lo"]


def test_output_and_exit_codes_read_as_in_local_mode(tmp_path: Path, no_leftovers: Any) -> None:
    (tmp_path / "team.json").write_text(
        config(
            "echo out; echo err >&2; exit 3",
            "head -c 5000 /dev/zero | tr '\\0' a",
            command_line_max_output=100,
        )
    )
    run = run_massgen("--config", "team.json", "--no-display", "q", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    first, big = tool_results(tmp_path)
    assert "[exit code 3;" in first and "--- stdout ---\nout" in first and "--- stderr ---\nerr" in first
    assert f"in {workspace(tmp_path).resolve()}]" in first
    assert "a" * 100 in big and "4900 more bytes" in big


def test_the_timeout_stops_the_whole_container(tmp_path: Path, no_leftovers: Any) -> None:
    (tmp_path / "team.json").write_text(config("sleep 300 & echo started; sleep 300", "echo next", timeout=2))
    started = time.monotonic()
    run = run_massgen("--config", "team.json", "--no-display", "q", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert time.monotonic() - started < 60
    slow, following = tool_results(tmp_path)
    assert "timed out after" in slow and "started" in slow and "stopped" in slow
    assert "exit code 0" in following and "next" in following


def test_the_containers_limits_come_from_the_config_and_ctrl_c_removes_it(
    tmp_path: Path, no_leftovers: Any
) -> None:
    (tmp_path / "team.json").write_text(
        config(
            "touch started; sleep 300",
            timeout=600,
            command_line_docker_cpu_limit=1.5,
            command_line_docker_memory_limit="256m",
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASSGEN_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "massgen_core", "--config", "team.json", "--no-display", "q"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (workspace(tmp_path) / "started").exists():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the command never started"
            time.sleep(0.1)
        (container,) = [c for c in our_containers(no_leftovers) if c.status == "running"]
        host = container.attrs["HostConfig"]
        assert host["NanoCpus"] == 1_500_000_000
        assert host["Memory"] == host["MemorySwap"] == 256 * 1024 * 1024
        assert host["NetworkMode"] == "none" and host["CapDrop"] == ["ALL"] and host["PidsLimit"] > 0
        mounts = {m["Destination"]: m["RW"] for m in container.attrs["Mounts"]}
        assert mounts[str(workspace(tmp_path).resolve())] is True
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)
        assert process.returncode != 0
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    # `no_leftovers` checks the container is gone


def test_a_missing_image_is_a_clear_error_before_the_run(tmp_path: Path, docker_client: Any) -> None:
    (tmp_path / "team.json").write_text(config("echo hi", command_line_docker_image="massgen/absent:0"))
    run = run_massgen("--config", "team.json", "--no-display", "q", cwd=tmp_path)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "the Docker image massgen/absent:0 is not on the daemon" in run.stderr
    assert "massgen sandbox build --tag massgen/absent:0" in run.stderr
    assert not (tmp_path / ".massgen" / "logs").exists() or not tool_results(tmp_path)


# -- through the toolbox: permissions per command, cancellation ---------------------------------
@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@contextlib.asynccontextmanager
async def open_box(tmp_path: Path) -> AsyncIterator[Any]:
    """An agent's toolbox in docker mode, with a ``permission: write`` context path."""
    from massgen_core.config import AgentConfig, BackendConfig
    from massgen_core.host.plugin_host import PluginHost
    from massgen_core.plugin.options import ToolOptions
    from massgen_core.testing.scripted_options import ScriptedOptions
    from massgen_core.tools.toolbox import agent_toolbox
    from massgen_core.tools.workspace import AgentAccess

    for name in ("ws", "project", "state", "scratch"):
        (tmp_path / name).mkdir()
    (tmp_path / "project" / "main.py").write_text("print(1)\n")
    (tmp_path / "project" / ".env").write_text("KEY=1\n")
    access = AgentAccess(
        "a1",
        workspace=tmp_path / "ws",
        scratch=tmp_path / "scratch",
        context=[(tmp_path / "project", True, [tmp_path / "project" / ".env"])],
        hidden=[tmp_path / "state"],
        state_file=tmp_path / "state" / "a1.json",
    )
    options = ToolOptions(
        enable_mcp_command_line=True, command_line_execution_mode="docker", command_line_timeout=120
    )
    agent = AgentConfig(
        id="a1", backend=BackendConfig(type="scripted", options=ScriptedOptions(), tools=options)
    )
    async with agent_toolbox(agent, host=PluginHost(entry_points=False), access=access) as toolbox:
        yield toolbox


@pytest.fixture
async def box(anyio_backend: str, tmp_path: Path, no_leftovers: Any) -> AsyncIterator[Any]:
    async with open_box(tmp_path) as toolbox:
        yield toolbox


async def call(box: Any, command: str) -> str:
    tool = box.tools.get(TOOL)
    assert tool is not None
    out = await tool.call({"command": command})
    return str(out.content)


@pytest.mark.anyio
async def test_the_final_presenter_writes_context_paths_protected_paths_never(
    box: Any, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    tool = box.tools.get(TOOL)
    assert (
        "fresh Linux container (image massgen/mcp-runtime:latest, no network)" in tool.definition.description
    )
    during = await call(box, f"echo X >> {project / 'main.py'}; ls {tmp_path / 'state'}")
    assert "Read-only file system" in during and (project / "main.py").read_text() == "print(1)\n"
    assert "a1.json" not in during  # MassGen's own directory is hidden
    box.begin_final_presentation()
    try:
        final = await call(box, f"echo X >> {project / 'main.py'}; echo Y > {project / '.env'}")
        assert (project / "main.py").read_text() == "print(1)\nX\n"
        assert "Read-only file system" in final and (project / ".env").read_text() == "KEY=1\n"
    finally:
        box.end_final_presentation()
    after = await call(box, f"echo W >> {project / 'main.py'}")
    assert "Read-only file system" in after and (project / "main.py").read_text() == "print(1)\nX\n"


@pytest.mark.anyio
async def test_a_cancelled_call_and_a_closed_toolbox_remove_their_containers(
    anyio_backend: str, tmp_path: Path, no_leftovers: Any
) -> None:
    async with open_box(tmp_path) as box:
        for name in ("cancelled", "abandoned"):
            task = asyncio.ensure_future(call(box, f"touch {name}; sleep 300"))
            deadline = time.monotonic() + 60
            while not (tmp_path / "ws" / name).exists():
                assert time.monotonic() < deadline and not task.done()
                await asyncio.sleep(0.1)
            assert [c.status for c in our_containers(no_leftovers)] == ["running"]
            if name == "cancelled":
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
                deadline = time.monotonic() + 30
                while our_containers(no_leftovers) and time.monotonic() < deadline:
                    await asyncio.sleep(0.2)
                assert our_containers(no_leftovers) == []
        # the toolbox closes with the second command still running
    assert our_containers(no_leftovers) == []
    task.cancel()
