"""Real MCP servers from the registries, installed once into a cache directory and reused.

* ``@modelcontextprotocol/server-everything`` and ``@modelcontextprotocol/server-filesystem``
  (npm) go to ``$MASSGEN_TEST_CACHE/mcp-npm`` (default ``~/.cache/massgen-tests``);
* ``mcp-server-time`` (PyPI) goes to its own virtualenv ``$MASSGEN_TEST_CACHE/mcp-time-venv``
  (made with ``uv`` when it is there, else ``python -m venv`` + pip), so the test environment
  itself is not changed.

Tests that need npm are skipped, saying why, only when npm (or node) is not installed.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

NPM_PACKAGES = (
    "@modelcontextprotocol/server-everything@2026.8.31",
    "@modelcontextprotocol/server-filesystem@2026.8.31",
)
TIME_PACKAGE = "mcp-server-time==2026.10.19"
FAULT_SERVER = Path(__file__).with_name("fault_server.py")


def cache_root() -> Path:
    root = Path(os.environ.get("MASSGEN_TEST_CACHE", "~/.cache/massgen-tests")).expanduser()
    root.mkdir(parents=True, exist_ok=True)
    return root


@contextlib.contextmanager
def _locked(name: str) -> Iterator[None]:
    with open(cache_root() / f"{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@attrs.frozen
class NpmServers:
    node: str
    bin: Path

    @property
    def everything(self) -> str:
        return str(self.bin / "mcp-server-everything")

    @property
    def filesystem(self) -> str:
        return str(self.bin / "mcp-server-filesystem")


def npm_servers() -> NpmServers:
    """The npm servers (installed on first use); ``pytest.skip`` when node or npm is missing."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed for the MCP servers from npm (not installed)")
    target = cache_root() / "mcp-npm"
    servers = NpmServers(node=node, bin=target / "node_modules" / ".bin")
    with _locked("mcp-npm"):
        if not (Path(servers.everything).exists() and Path(servers.filesystem).exists()):
            target.mkdir(parents=True, exist_ok=True)
            if not (target / "package.json").exists():
                (target / "package.json").write_text('{"name": "massgen-test-mcp", "private": true}\n')
            subprocess.run(
                [npm, "install", "--no-audit", "--no-fund", "--loglevel=error", *NPM_PACKAGES],
                cwd=target,
                check=True,
                timeout=600,
                stdout=subprocess.DEVNULL,
            )
    return servers


def time_server() -> str:
    """The ``mcp-server-time`` executable (installed on first use)."""
    venv = cache_root() / "mcp-time-venv"
    executable = venv / "bin" / "mcp-server-time"
    with _locked("mcp-time"):
        if not executable.exists():
            uv = shutil.which("uv")
            if uv is not None:
                subprocess.run(
                    [uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True, timeout=300
                )
                subprocess.run(
                    [uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"), TIME_PACKAGE],
                    check=True,
                    timeout=600,
                )
            else:
                subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
                subprocess.run(
                    [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", TIME_PACKAGE],
                    check=True,
                    timeout=600,
                )
    return str(executable)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before listening")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout}s")


@contextlib.contextmanager
def http_server(
    command: list[str], env: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Start an HTTP MCP server on a free port (``PORT`` env and ``{port}`` in the command).

    Yields ``(url, process)``; the process is the server itself (no ``npx`` in between), so it
    is killed by its real PID.
    """
    port = free_port()
    full_env = {**os.environ, **(env or {}), "PORT": str(port)}
    argv = [part.replace("{port}", str(port)) for part in command]
    process = subprocess.Popen(argv, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}/mcp", process
    finally:
        process.kill()
        process.wait(timeout=10)
