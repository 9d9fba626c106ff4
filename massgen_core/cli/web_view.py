"""``massgen --web``: the run in a browser while it goes.

The page is the ``massgen view`` command's (a plugin command, from massgen-serve): it runs in a
child process over the log folder, on a free loopback port, for as long as this command runs.
The core only starts the command by name, as a user would; it imports nothing of the plugin.
A run's page is printed before the run starts; afterwards ``massgen view LOG_FOLDER`` shows it
again.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from ..plugin.errors import MassgenError

__all__ = ["WebView"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class WebView:
    """``massgen view ROOT`` in a child process; :meth:`page` is a run's address."""

    def __init__(self, root: Path) -> None:
        from ..host.commands import installed_commands
        from . import SUBCOMMANDS

        if "view" not in installed_commands(SUBCOMMANDS).commands:
            from ..host.registry import pip_install

            raise MassgenError(
                f"--web shows the run with `massgen view`, from the massgen-serve plugin, which is not "
                f"installed (or not loaded: `massgen plugins` shows it): {pip_install('massgen-serve')}"
            )
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.url = f"http://127.0.0.1:{_free_port()}"
        self._output = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 (closed in close())
        self._process = subprocess.Popen(
            [sys.executable, "-m", "massgen_core", "view", str(root), "--port", self.url.rsplit(":", 1)[1]],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._output,
        )

    def page(self, run_id: str) -> str:
        return f"{self.url}/runs/{run_id}"

    def problem(self) -> str | None:
        """Why the page is not served, if its process ended (what it printed last)."""
        if self._process.poll() is None:
            return None
        self._output.seek(0)
        lines = [line for line in self._output.read().splitlines() if line.strip()]
        return lines[-1] if lines else f"massgen view exited with status {self._process.returncode}"

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._output.close()
