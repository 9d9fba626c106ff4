"""``massgen --web``: the run in a browser while it goes.

The page is the ``massgen view`` command's (a plugin command, from massgen-serve): it runs in a
child process over the log folder, on a free loopback port, for as long as this command runs.
The core only starts the command by name, as a user would; it imports nothing of the plugin.
A run's page is printed before the run starts, once the page answers (the view starts while
the team is assembled, so this rarely waits); afterwards ``massgen view LOG_FOLDER`` shows it
again.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ..plugin.errors import MassgenError

__all__ = ["WebView"]

#: how long the first run waits for the view to answer before saying it does not
READY_SECONDS = 15.0


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
            from ..host.registry import install_command

            raise MassgenError(
                f"--web shows the run with `massgen view`, from the massgen-serve plugin, which is not "
                f"installed (or not loaded: `massgen plugins` shows it): {install_command('massgen-serve')}"
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
        self._ready = False

    def page(self, run_id: str) -> str:
        return f"{self.url}/runs/{run_id}"

    def problem(self) -> str | None:
        """Why the page is not served: what its process printed last if it ended, or that it did
        not answer within ``READY_SECONDS``; waits for the first answer (a link printed before
        the page answers would be refused if followed at once)."""
        port = int(self.url.rsplit(":", 1)[1])
        deadline = time.monotonic() + READY_SECONDS
        while not self._ready and self._process.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                self._ready = True
            except OSError:
                if time.monotonic() > deadline:
                    return f"massgen view did not answer on {self.url} within {READY_SECONDS:g} s"
                time.sleep(0.02)
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
