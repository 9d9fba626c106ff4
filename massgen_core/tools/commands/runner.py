"""Running one shell command on this machine: a timeout, an output cap, its own process group,
optional sandbox. (:mod:`.docker_runner` runs it in a container, with the same result and cap.)"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import attrs

from ..sandbox import sandboxed_command

__all__ = ["CommandResult", "OutputCapture", "run_command"]

#: After the shell exits, how long to wait for background processes holding its pipes.
PIPE_GRACE = 0.5
EXIT_POLL = 0.01
SHELL = "/bin/sh"


@attrs.frozen(kw_only=True)
class CommandResult:
    exit_code: int
    stdout: str
    stderr: str
    duration: float
    timed_out: bool = False
    truncated: bool = False

    def text(self, command: str, work_dir: Path) -> str:
        """What the model reads."""
        status = (
            f"timed out after {self.duration:.1f}s (killed)"
            if self.timed_out
            else f"exit code {self.exit_code}"
        )
        lines = [f"$ {command}", f"[{status}; {self.duration:.2f}s; in {work_dir}]"]
        if self.stdout:
            lines += ["--- stdout ---", self.stdout.rstrip("\n")]
        if self.stderr:
            lines += ["--- stderr ---", self.stderr.rstrip("\n")]
        if not self.stdout and not self.stderr:
            lines.append("(no output)")
        return "\n".join(lines)


class OutputCapture:
    """Keeps the first ``limit`` bytes of a stream and counts the rest (local and docker modes)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.data = bytearray()
        self.dropped = 0

    def add(self, chunk: bytes) -> None:
        room = self.limit - len(self.data)
        if room > 0:
            self.data += chunk[:room]
        self.dropped += max(0, len(chunk) - max(room, 0))

    async def drain(self, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(65536):
            self.add(chunk)

    def text(self) -> str:
        text = self.data.decode("utf-8", "replace")
        if self.dropped:
            text += f"\n[... truncated: {self.dropped} more bytes]"
        return text


async def _exited(process: asyncio.subprocess.Process, timeout: float) -> bool:
    """Whether the process exited within ``timeout``.

    Polls ``returncode``: ``Process.wait()`` also waits for its pipes to close, which a
    background process that inherited them delays until the timeout.
    """
    deadline = time.monotonic() + timeout
    while process.returncode is None:
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(EXIT_POLL)
    return True


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


async def run_command(
    command: str,
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    max_output: int,
    sandbox: tuple[Sequence[str], Sequence[str]] | None = None,
) -> CommandResult:
    """Run ``command`` with ``/bin/sh -c`` in ``cwd``; never raises for the command's own failures.

    :param sandbox: ``(writable, protected)``: confine the command with Landlock, and start it
        without capabilities (as root it could otherwise read MassGen's environment in ``/proc``).
    """
    argv = [SHELL, "-c", command]
    if sandbox is not None:
        argv = sandboxed_command(argv, writable=sandbox[0], protected=sandbox[1], drop_capabilities=True)
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        *argv,
        cwd=cwd,
        env=dict(env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    assert process.stdout is not None and process.stderr is not None
    out, err = OutputCapture(max_output), OutputCapture(max_output)
    readers = asyncio.gather(out.drain(process.stdout), err.drain(process.stderr))
    try:
        timed_out = not await _exited(process, timeout)
    except asyncio.CancelledError:
        _kill_group(process.pid)
        readers.cancel()
        raise
    # the shell is done (or out of time): stop whatever it left running, then collect the output
    if timed_out:
        _kill_group(process.pid)
    try:
        await asyncio.wait_for(asyncio.shield(readers), PIPE_GRACE)
    except TimeoutError:
        _kill_group(process.pid)
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(readers, PIPE_GRACE)
    _kill_group(process.pid)
    code = await process.wait()
    return CommandResult(
        exit_code=-1 if timed_out else code,
        stdout=out.text(),
        stderr=err.text(),
        duration=time.monotonic() - started,
        timed_out=timed_out,
        truncated=bool(out.dropped or err.dropped),
    )
