"""The Claude Code CLI process: where its state lives, its environment, how it starts and stops.

Every request runs the CLI once through a launcher script (its ``cli_path``) that puts it in a
process group of its own (:mod:`.launch`): stopping it stops the whole group, so no process
outlives a request. Claude Code's Bash commands run through a prefix program that confines each
(and everything it starts) with Linux Landlock to what the agent may write right now, plus the
CLI's own state directory, as MassGen confines ``execute_command``. Claude Code's file tools are
checked path by path instead (:mod:`.paths`).
"""

from __future__ import annotations

import atexit
import os
import re
import shlex
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from massgen_core.plugin import FileAccess, sandbox_available, sandboxed_command

__all__ = ["CliState", "bundled_cli", "can_confine", "cli_environment", "group_members", "stop_group"]

#: Variables whose names look like secrets: the CLI's Bash commands must not see other
#: providers' keys (Claude Code's own key is the one it needs).
_SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|CREDENTIALS?)$|^AWS_|^AZURE_", re.IGNORECASE)


def bundled_cli() -> str:
    """The Claude Code CLI shipped in the claude-agent-sdk wheel."""
    import claude_agent_sdk

    path = Path(claude_agent_sdk.__file__).parent / "_bundled" / "claude"
    return str(path)


class CliState:
    """The directories of one agent's Claude Code: settings and transcripts (``CLAUDE_CONFIG_DIR``),
    a private temporary directory, and the launcher script.

    ``config_dir`` given: kept after the run (for reading its transcripts); otherwise a private
    temporary directory, removed by :meth:`remove`. A private workspace (for an agent the core
    gave none) lives here too.
    """

    def __init__(self, agent_id: str | None, config_dir: str | None) -> None:
        label = re.sub(r"[^A-Za-z0-9_.-]", "_", agent_id or "agent")
        if config_dir is None:
            self.root = Path(tempfile.mkdtemp(prefix=f"massgen-claude-code-{label}-"))
            self.owned = True
            atexit.register(shutil.rmtree, self.root, ignore_errors=True)  # if never closed
        else:
            self.root = Path(config_dir).expanduser().resolve()
            self.root.mkdir(parents=True, exist_ok=True)
            self.owned = False
        self.config_dir = self.root / "config"
        self.tmp_dir = self.root / "tmp"
        self.run_dir = self.root / "run"
        for directory in (self.config_dir, self.tmp_dir, self.run_dir):
            directory.mkdir(parents=True, exist_ok=True)

    def private_workspace(self) -> Path:
        path = self.root / "workspace"
        path.mkdir(exist_ok=True)
        return path

    def launcher(self, cli: str) -> tuple[Path, Path]:
        """Write the launcher for one CLI run (it runs the CLI in a process group of its own and
        records its pid); returns ``(launcher, pidfile)``."""
        fd, pid_name = tempfile.mkstemp(prefix="cli-", suffix=".pid", dir=self.run_dir)
        os.close(fd)
        pidfile = Path(pid_name)
        launch = Path(__file__).with_name("launch.py")
        command = [sys.executable, "-I", "-S", str(launch), str(pidfile), "--", cli]
        return self._script(pidfile.with_suffix(".sh"), command), pidfile

    def shell_prefix(self, access: FileAccess, pidfile: Path) -> Path:
        """Write the program Claude Code runs each Bash command through (its
        ``CLAUDE_CODE_SHELL_PREFIX``, given the command line as arguments): bash, confined by
        Landlock to what ``access`` allows now, plus this state directory (Claude Code's shell
        snapshots and temporary files)."""
        writable, protected = access.sandbox_paths()
        bash = shutil.which("bash") or "/bin/bash"
        command = sandboxed_command([bash, "-c"], writable=[*writable, str(self.root)], protected=protected)
        return self._script(pidfile.with_suffix(".bash.sh"), command)

    @staticmethod
    def _script(path: Path, command: Sequence[str]) -> Path:
        path.write_text("#!/bin/sh\nexec " + shlex.join(command) + ' "$@"\n', encoding="utf-8")
        path.chmod(0o700)
        return path

    def remove(self) -> None:
        if self.owned:
            shutil.rmtree(self.root, ignore_errors=True)


def can_confine() -> bool:
    return sandbox_available()


def cli_environment(
    *,
    api_key: str,
    base_url: str | None,
    state: CliState,
    shell_prefix: Path | None,
    sandboxed_root: bool,
    inherited: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The CLI's environment on top of the inherited one (which the SDK passes through).

    Offline-friendly and private: no telemetry, no update checks, no traffic besides the model
    calls, its state in ``state``, no retries of its own (the core retries): neither its API
    retries nor its re-sending without streaming of a stream that failed, MCP tools offered
    directly (no deferred tool search), and other providers' secrets blanked.

    Two re-sends have no switch that keeps Claude Code whole, and stay: a streaming call answered
    404 is sent once more without streaming (hard-coded), and a call answered 400 is sent again
    without a newer beta header (only ``CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS`` stops it, at the
    cost of context management and the other betas). Each is a changed request, not a retry; a
    provider answers it as it answered the first.
    """
    env = {
        name: ""
        for name in (inherited if inherited is not None else os.environ)
        if _SECRET_NAME.search(name) and name != "ANTHROPIC_API_KEY"
    }
    env.update(
        {
            "ANTHROPIC_API_KEY": api_key,
            "CLAUDE_CONFIG_DIR": str(state.config_dir),
            "TMPDIR": str(state.tmp_dir),
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "DISABLE_TELEMETRY": "1",
            "DISABLE_AUTOUPDATER": "1",
            "DISABLE_ERROR_REPORTING": "1",
            "CLAUDE_CODE_MAX_RETRIES": "0",
            "CLAUDE_CODE_DISABLE_NONSTREAMING_FALLBACK": "1",
            "ENABLE_TOOL_SEARCH": "false",
        }
    )
    if base_url:
        env["ANTHROPIC_BASE_URL"] = base_url.rstrip("/")
    if shell_prefix is not None:
        env["CLAUDE_CODE_SHELL_PREFIX"] = str(shell_prefix)
    if sandboxed_root:
        env["IS_SANDBOX"] = "1"
    return env


def read_pid(pidfile: Path) -> int | None:
    try:
        text = pidfile.read_text(encoding="ascii").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def group_members(pgid: int) -> list[int]:
    """The live (not zombie) processes of process group ``pgid``."""
    proc = Path("/proc")
    if not proc.is_dir():  # not Linux: ask the kernel whether anyone is left
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return []
        except PermissionError:
            pass
        return [pgid]
    members = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(encoding="ascii", errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()  # after "pid (comm)": state ppid pgrp ...
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def stop_group(pgid: int, *, grace: float = 2.0) -> None:
    """Stop the CLI's process group: SIGTERM, then SIGKILL after ``grace`` seconds.

    The group is the CLI's own (its launcher called ``setsid``), so this reaches the Bash commands
    and servers it started too. Blocking, but short: call it in a thread.
    """
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 1.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not group_members(pgid):
                return
            time.sleep(0.02)
