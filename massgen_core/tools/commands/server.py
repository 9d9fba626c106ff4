"""The ``execute_command`` MCP server: ``python -m massgen_core.tools.commands.server SETTINGS.json``.

Served over stdio with the ``mcp`` SDK, so every backend that has MCP gets the tool the same way.
Each call:

1. checks the command against the allowed/blocked patterns (:mod:`.policy`);
2. resolves ``work_dir`` (default: the agent's workspace) and checks the agent may read it;
3. reads the agent's *current* permissions from the state file MassGen keeps up to date (the
   final agent gains write access to ``permission: write`` context paths only during its final
   presentation), refuses to run while a writable path holds a hard link to a file outside them
   (:mod:`massgen_core.tools.sandbox.hardlinks`), and runs ``/bin/sh -c COMMAND`` confined to them with
   Landlock, without capabilities;
4. stops it at the timeout, caps its output, and reports exit code, stdout and stderr.

With ``command_line_execution_mode: docker`` step 3 runs the command in a fresh container instead
(:mod:`.docker_runner`): the same checks, mounts made from the same current permissions, the same
output; the container's environment is only ``PATH``, ``TMPDIR`` and ``VIRTUAL_ENV``.

The environment is the server's own, which MassGen scrubbed of API keys and secrets; ``TMPDIR``
points at the agent's scratch directory, and a ``.venv`` in ``work_dir`` is put first on ``PATH``.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ..sandbox.hardlinks import escaping_links
from ..workspace.access import AccessRules, real_path
from .policy import CommandPolicy, compile_patterns
from .runner import CommandResult, run_command

if TYPE_CHECKING:
    from .docker_runner import DockerSettings

__all__ = ["CommandSettings", "execute_command", "main"]


@attrs.frozen(kw_only=True)
class CommandSettings:
    """What the server is started with (written by MassGen as JSON)."""

    workspace: str
    state_file: str
    scratch: str | None = None
    timeout: float = 60.0
    max_output: int = 100_000
    allowed: tuple[str, ...] | None = None
    blocked: tuple[str, ...] = ()
    sandbox: bool = True
    #: ``command_line_execution_mode: docker``: the image and limits (``None``: run locally)
    docker: dict[str, Any] | None = None

    def to_json(self) -> str:
        return json.dumps(attrs.asdict(self), indent=1)

    def docker_settings(self) -> DockerSettings | None:
        if self.docker is None:
            return None
        from .docker_runner import DockerSettings

        return DockerSettings(**self.docker)

    @classmethod
    def from_json(cls, text: str) -> CommandSettings:
        data: dict[str, Any] = json.loads(text)
        if data.get("allowed") is not None:
            data["allowed"] = tuple(data["allowed"])
        data["blocked"] = tuple(data.get("blocked") or ())
        return cls(**data)


class ToolRefusal(Exception):
    """The command was not run; the message says why."""


async def execute_command(
    settings: CommandSettings,
    policy: CommandPolicy,
    command: str,
    timeout: float | None,
    work_dir: str | None,
) -> str:
    """Run one command as the tool does; raises :class:`ToolRefusal` when it may not run."""
    if reason := policy.check(command):
        raise ToolRefusal(f"command refused: {reason}")
    rules = AccessRules.from_json(Path(settings.state_file).read_text(encoding="utf-8"))
    workspace = Path(settings.workspace)
    directory = real_path(work_dir or ".", workspace)
    if reason := rules.check_read(directory):
        raise ToolRefusal(f"work_dir refused: {reason}")
    if not directory.is_dir():
        raise ToolRefusal(f"work_dir {directory} is not a directory")
    limit = settings.timeout if timeout is None or timeout <= 0 else min(float(timeout), settings.timeout)
    docker = settings.docker_settings()
    env = {} if docker else dict(os.environ)
    if docker:
        from .docker_runner import CONTAINER_PATH

        env["PATH"] = CONTAINER_PATH
    if settings.scratch:
        env["TMPDIR"] = settings.scratch
    venv = directory / ".venv"
    if (venv / "bin").is_dir():
        env["VIRTUAL_ENV"] = str(venv)
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    sandbox = rules.sandbox_paths() if settings.sandbox or docker else None
    if sandbox is not None and (links := escaping_links(*sandbox)):
        raise ToolRefusal(
            "command refused: "
            + ", ".join(links)
            + (" is a hard link" if len(links) == 1 else " are hard links")
            + " to a file that also lies outside where you may write; a command writing through it would "
            "change that file. Delete the link (delete_path), or write a copy under another name and "
            "delete the link, then run the command again."
        )
    result: CommandResult
    if docker:
        from ..sandbox.docker import DockerUnavailable
        from .docker_runner import API_MARGIN, run_in_container

        try:
            result = await run_in_container(
                command,
                cwd=directory,
                env=env,
                timeout=limit,
                max_output=settings.max_output,
                rules=rules,
                settings=docker,
                api_timeout=settings.timeout + API_MARGIN,
            )
        except DockerUnavailable as exc:
            raise ToolRefusal(f"command not run: {exc}") from None
    else:
        result = await run_command(
            command,
            cwd=directory,
            env=env,
            timeout=limit,
            max_output=settings.max_output,
            sandbox=sandbox if settings.sandbox else None,
        )
    text = result.text(command, directory)
    if result.timed_out:
        raise ToolRefusal(f"{text}\n[the command took longer than {limit:g}s and was stopped]")
    return text


DESCRIPTION = (
    "Run a shell command (/bin/sh -c) in your workspace and get its exit code, stdout and stderr. "
    "work_dir (optional) is relative to your workspace or absolute; timeout (optional) is in seconds. "
    "Commands can write only inside your workspace (and, for the final presenter, the writable context "
    "paths); processes a command leaves running are stopped when it ends."
)


def description(settings: CommandSettings) -> str:
    """What the model is told about the tool (docker mode: where commands run)."""
    docker = settings.docker_settings()
    if docker is None:
        return DESCRIPTION
    network = "no network" if docker.network_mode == "none" else f"network mode {docker.network_mode}"
    return (
        f"{DESCRIPTION} Each command runs in a fresh Linux container (image {docker.image}, {network}): "
        "only your workspace, scratch directory and context paths are visible, at the same paths, and "
        "nothing outside them persists from one command to the next."
    )


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        raise SystemExit("usage: python -m massgen_core.tools.commands.server SETTINGS.json")
    settings = CommandSettings.from_json(Path(args[0]).read_text(encoding="utf-8"))
    policy = CommandPolicy(
        allowed=None if settings.allowed is None else compile_patterns(settings.allowed, option="allowed"),
        blocked=compile_patterns(settings.blocked, option="blocked"),
    )

    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError

    if settings.docker is not None:
        _remove_containers_on_signals()
    server: MCPServer[Any] = MCPServer("massgen-command-line", log_level="ERROR")

    @server.tool(name="execute_command", description=description(settings))
    async def _execute_command(
        command: str, timeout: float | None = None, work_dir: str | None = None
    ) -> str:
        try:
            return await execute_command(settings, policy, command, timeout, work_dir)
        except ToolRefusal as exc:
            raise ToolError(str(exc)) from None

    server.run()


def _remove_containers_on_signals() -> None:
    """MassGen stops this server with SIGTERM (after closing its stdin); a command's container
    must not outlive it."""

    def stop(signum: int, _frame: object) -> None:
        from .docker_runner import remove_live_containers

        remove_live_containers()
        os._exit(128 + signum)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, stop)


if __name__ == "__main__":
    main()
