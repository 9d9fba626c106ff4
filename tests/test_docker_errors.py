"""``command_line_execution_mode: docker`` without Docker: clear errors through the CLI, never a
traceback. None needs a daemon: the SDK is hidden from the child process, and DOCKER_HOST points
at a socket nobody listens on. The default session runs those that need no SDK; the one that needs
it is marked ``docker`` (the session that installs the SDK)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from massgen_core.testing.cli import run_massgen

TOOL = "mcp__command_line__execute_command"


def config(**backend: object) -> str:
    block = {
        "type": "scripted",
        "enable_mcp_command_line": True,
        "command_line_execution_mode": "docker",
        **backend,
        "replies": [{"tool_calls": [{"name": TOOL, "arguments": {"command": "echo hi"}}]}, "done"],
    }
    return json.dumps({"agent": {"id": "boxed", "backend": block}}, indent=1)


def test_without_the_sdk_validation_warns_a_run_refuses_and_both_say_what_to_install(tmp_path: Path) -> None:
    hide = tmp_path / "hide"
    hide.mkdir()
    (hide / "sitecustomize.py").write_text(
        "import sys\nsys.modules['docker'] = None  # as if not installed\n"
    )
    (tmp_path / "team.json").write_text(config())
    warned = run_massgen("validate", "team.json", cwd=tmp_path, pythonpath=hide)  # the machine, not the file
    assert warned.returncode == 0, warned.stderr
    assert (
        "warning: " in warned.stdout
        and "team.json:7:35: agent.backend.command_line_execution_mode" in warned.stdout
    )
    assert "pip install 'massgen-core[docker]'" in warned.stdout
    for args in (("validate", "--strict", "team.json"), ("--config", "team.json", "--no-display", "q")):
        run = run_massgen(*args, cwd=tmp_path, pythonpath=hide)
        assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
        assert "team.json:7:35: agent.backend.command_line_execution_mode" in run.stderr  # file:line:column
        assert "command_line_execution_mode: docker needs the Docker SDK for Python" in run.stderr
        assert "pip install 'massgen-core[docker]'" in run.stderr


def test_an_unknown_mode_or_limit_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "team.json").write_text(
        config(command_line_execution_mode="podman", command_line_docker_memory_limit="lots")
    )
    run = run_massgen("validate", "team.json", cwd=tmp_path)
    assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
    assert "command_line_execution_mode: expected one of 'local', 'docker'" in run.stderr
    assert "must be a size such as 512m or 2g" in run.stderr
    (tmp_path / "team.json").write_text(config(command_line_docker_shm_size="1g"))
    run = run_massgen("validate", "team.json", cwd=tmp_path)
    assert run.returncode == 2 and "command_line_docker_shm_size" in run.stderr


@pytest.mark.docker  # needs the SDK, which `nox -s docker` installs (no daemon)
def test_without_a_daemon_the_run_stops_before_it_starts_and_says_how_to_start_one(tmp_path: Path) -> None:
    pytest.importorskip("docker", reason="the Docker SDK: pip install 'massgen-core[docker]'")
    dead = tmp_path / "dead.sock"
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(dead))  # a socket file nobody accepts on
    listener.close()
    (tmp_path / "team.json").write_text(config())
    for host in (f"unix://{dead}", f"unix://{tmp_path / 'missing.sock'}"):
        run = run_massgen(
            "--config", "team.json", "--no-display", "q", cwd=tmp_path, env={"DOCKER_HOST": host}
        )
        assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
        assert f"no Docker daemon answers at {host}" in run.stderr
        assert "dockerd --bridge=none --iptables=false" in run.stderr and "DOCKER_HOST" in run.stderr
        assert not (tmp_path / ".massgen" / "workspaces" / "boxed" / "out.txt").exists()
    assert os.path.exists(dead)


def test_the_docker_sdk_is_imported_only_when_a_config_uses_docker_mode(tmp_path: Path) -> None:
    """Validating a local-mode config, importing the command server's modules, `massgen sandbox
    --help`: none imports the SDK (it is imported by the daemon check that a docker-mode config
    gets, and the runner)."""
    (tmp_path / "team.json").write_text(
        config(command_line_execution_mode="local", command_line_sandbox="off")
    )
    code = (
        "import sys, io, contextlib\n"
        "from massgen_core.cli import main\n"
        "import massgen_core.tools.commands.server, massgen_core.tools.commands.launch\n"
        "import massgen_core.tools.commands.docker_runner, massgen_core.tools.sandbox.image\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
        "    main(['validate', 'team.json'])\n"
        "    try:\n"
        "        main(['sandbox', '--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print('docker' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    assert out.stdout.strip() == "False", out.stderr
