"""``command_line_execution_mode: docker`` without Docker: clear errors through the CLI, never a
traceback. These need no daemon (so the default test session runs them too): the SDK is hidden
from the child process, and DOCKER_HOST points at a socket nobody listens on."""

from __future__ import annotations

import json
import os
import socket
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


def test_without_the_sdk_validation_says_what_to_install(tmp_path: Path) -> None:
    hide = tmp_path / "hide"
    hide.mkdir()
    (hide / "sitecustomize.py").write_text(
        "import sys\nsys.modules['docker'] = None  # as if not installed\n"
    )
    (tmp_path / "team.json").write_text(config())
    for args in (("validate", "team.json"), ("--config", "team.json", "--no-display", "q")):
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
