"""The AG2 code executor that runs code through the agent's ``execute_command``.

It stands in for AG2's ``LocalCommandLineCodeExecutor`` (the seed's ``executor.type``): same
code-block extraction (AG2's ``MarkdownCodeExtractor``), same result format, but the code runs
through MassGen's command machinery instead of AG2's own ``subprocess.run``:

* Python blocks are saved in the work directory (inside the agent's workspace, checked with the
  agent's file permissions) and run as ``python3 FILE``; shell blocks are run as the command
  itself, so every line is checked against ``command_line_allowed_commands`` /
  ``command_line_blocked_commands``;
* the command runs in the agent's workspace, confined by the Landlock sandbox to what the agent
  may write, with the scrubbed environment, the timeout, the output cap and the process-group
  kill of ``execute_command`` (it *is* an ``execute_command`` call, made through the
  request's tool runner). Stopping the run cancels it, which kills the command.

So an AG2 agent's code can never do more than the agent's own ``execute_command`` could.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import attrs

__all__ = ["CommandOutcome", "MassGenCodeExecutor", "parse_command_output"]

PYTHON = frozenset({"python", "python3", "py"})
SHELL = frozenset({"sh", "shell", "bash", "console"})
SAVED_ONLY = frozenset({"javascript", "html", "css"})  # AG2's default policy: saved, not run
_EXIT = re.compile(r"^\[exit code (-?\d+);", re.MULTILINE)
_FILENAME = re.compile(r"^(?:#|//) filename: *(\S+)")


@attrs.frozen
class CommandOutcome:
    """What a command run through ``execute_command`` gave: its exit code and its output."""

    exit_code: int
    output: str


#: ``run(command, work_dir, timeout)``: runs one command through the agent's execute_command
CommandRunner = Callable[[str, str | None, float], CommandOutcome]
Status = Literal["started", "in_progress", "completed", "failed"]
#: ``report(call_id, status, code, output)``: shows the execution as activity
Reporter = Callable[[str, Status, str, str | None], None]


def parse_command_output(text: str, *, is_error: bool) -> CommandOutcome:
    """An ``execute_command`` result (``$ cmd``, ``[exit code N; ...]``, stdout, stderr) as
    exit code and output (stderr then stdout, as AG2 reports them)."""
    match = _EXIT.search(text)
    if match is None:  # refused, or stopped at its timeout
        code = 124 if "was stopped" in text or "timed out" in text else 1
        return CommandOutcome(code, text)
    stdout, stderr = _section(text, "stdout"), _section(text, "stderr")
    return CommandOutcome(
        int(match.group(1)) if not is_error else max(1, int(match.group(1))), stderr + stdout
    )


def _section(text: str, name: str) -> str:
    marker = f"--- {name} ---\n"
    start = text.find(marker)
    if start < 0:
        return ""
    body = text[start + len(marker) :]
    end = body.find("\n--- std")
    return (body if end < 0 else body[:end]) + "\n"


class MassGenCodeExecutor:
    """An AG2 ``CodeExecutor`` (the protocol: ``code_extractor``, ``execute_code_blocks``, ``restart``)."""

    def __init__(
        self,
        *,
        workspace: Path,
        work_dir: str | None,
        timeout: float,
        run: CommandRunner,
        check_write: Callable[[Path], str | None],
        report: Reporter,
        unavailable: str | None = None,
    ) -> None:
        """:param unavailable: why code cannot run for this agent (then nothing is written or run)."""
        from autogen.coding import MarkdownCodeExtractor

        self._extractor = MarkdownCodeExtractor()
        self._workspace = workspace
        self._work_dir = work_dir
        self._timeout = timeout
        self._run = run
        self._check_write = check_write
        self._report = report
        self._ids = itertools.count(1)
        self._unavailable = unavailable

    @property
    def code_extractor(self) -> Any:
        return self._extractor

    @property
    def timeout(self) -> float:
        return self._timeout

    @property
    def work_dir(self) -> Path:
        return (self._workspace / self._work_dir) if self._work_dir else self._workspace

    def restart(self) -> None:
        """Nothing to restart: every block runs in a process of its own."""

    def execute_code_blocks(self, code_blocks: list[Any]) -> Any:
        """Run the blocks in order, stopping at the first failure (as AG2's executor does)."""
        from autogen.coding import CodeResult

        outputs: list[str] = []
        exit_code = 0
        for block in code_blocks:
            language = (block.language or "").lower()
            code = block.code
            call_id = f"ag2-code-{next(self._ids)}"
            self._report(call_id, "started", code, None)
            outcome = self._run_block(language, code)
            self._report(call_id, "completed" if outcome.exit_code == 0 else "failed", code, outcome.output)
            outputs.append(outcome.output)
            exit_code = outcome.exit_code
            if exit_code != 0:
                break
        return CodeResult(exit_code=exit_code, output="".join(outputs))

    def _run_block(self, language: str, code: str) -> CommandOutcome:
        if self._unavailable:
            return CommandOutcome(1, self._unavailable)
        if reason := self._check_write(self.work_dir):
            return CommandOutcome(1, f"cannot use the work directory {self.work_dir}: {reason}\n")
        self.work_dir.mkdir(parents=True, exist_ok=True)
        if language in SHELL:
            return self._run(code, self._work_dir, self._timeout)
        if language in PYTHON or language in SAVED_ONLY:
            saved = self._save(code, "py" if language in PYTHON else language)
            if isinstance(saved, CommandOutcome):
                return saved
            if language in SAVED_ONLY:
                return CommandOutcome(0, f"Code saved to {saved}\n")
            return self._run(f"python3 {saved.name}", self._work_dir, self._timeout)
        return CommandOutcome(1, f"unknown language {language or '(none)'}: write python or sh code blocks\n")

    def _save(self, code: str, suffix: str) -> Path | CommandOutcome:
        directory = self.work_dir
        named = _FILENAME.match(code)
        name = named.group(1) if named else f"tmp_code_{hashlib.md5(code.encode()).hexdigest()}.{suffix}"
        path = (directory / name).resolve()
        if path.parent != directory.resolve():
            return CommandOutcome(1, f"the filename {name!r} must be a plain file name in {directory}\n")
        if reason := self._check_write(path):
            return CommandOutcome(1, f"cannot save the code to {path}: {reason}\n")
        path.write_text(code, encoding="utf-8")
        return path
