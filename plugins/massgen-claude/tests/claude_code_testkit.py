"""Helpers of the claude_code tests: the real bundled Claude Code CLI driven by the core's fake
provider (Anthropic wire format). A module name of its own: test directories share sys.path."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from massgen_core.testing.fake_provider import RecordedRequest, Reply, ToolCall, WireFormat

__all__ = [
    "FAULT_SERVER",
    "alive",
    "call",
    "claude_code_pids",
    "claude_tool_results",
    "claude_user_text",
    "is_claude_code",
    "steps",
    "workflow_tools",
]

#: the core's test MCP server (stdio, tools ``echo``, ``calls``...), when the core's tests are here
FAULT_SERVER = Path(__file__).resolve().parents[3] / "tests" / "mcp_servers" / "fault_server.py"

_PREFIX = "mcp__massgen__"


def is_claude_code(request: RecordedRequest) -> bool:
    """A model call of the Claude Code CLI (it sends ``?beta=true``)."""
    return request.wire_format is WireFormat.ANTHROPIC_MESSAGES and request.query.get("beta") == "true"


def workflow_tools(request: RecordedRequest) -> set[str]:
    """The MassGen tools offered (their names without Claude Code's ``mcp__massgen__`` prefix)."""
    return {n.removeprefix(_PREFIX) for n in request.tool_names if n.startswith(_PREFIX)}


def _messages(request: RecordedRequest) -> list[dict[str, Any]]:
    return [m for m in request.json.get("messages") or [] if isinstance(m, dict)]


def claude_user_text(request: RecordedRequest) -> str:
    """The text MassGen sent as the prompt (the user turn's text blocks but Claude Code's
    ``<system-reminder>`` ones), from the last user message that has text."""
    for message in reversed(_messages(request)):
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            return content
        texts = [
            b["text"]
            for b in content or []
            if isinstance(b, dict)
            and b.get("type") == "text"
            and not b["text"].startswith("<system-reminder>")
        ]
        if texts:
            return "\n".join(texts)
    return ""


def claude_tool_results(request: RecordedRequest) -> list[tuple[str, bool]]:
    """``(text, is_error)`` of every tool result Claude Code sent back so far, in order."""
    found: list[tuple[str, bool]] = []
    for message in _messages(request):
        for block in message.get("content") or []:
            if isinstance(block, dict) and block.get("type") == "tool_result":
                content = block.get("content")
                if isinstance(content, list):
                    content = "".join(c.get("text", "") for c in content if isinstance(c, dict))
                text = str(content).split("<system-reminder>", 1)[0].rstrip()  # Claude Code's own notes
                found.append((text, bool(block.get("is_error"))))
    return found


def steps(*replies: Reply) -> Callable[[RecordedRequest], Reply]:
    """A Claude Code script: the n-th model call of a run (counted by the tool results it
    carries) gets the n-th reply; the last one repeats."""

    def reply(request: RecordedRequest) -> Reply:
        done = len(claude_tool_results(request))
        return replies[min(done, len(replies) - 1)]

    return reply


def call(name: str, **arguments: Any) -> ToolCall:
    return ToolCall(name, arguments)


def claude_code_pids() -> set[int]:
    """Live (not zombie) Claude Code CLI processes that are children of this test process."""
    found: set[int] = set()
    mine = str(os.getpid())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            stat = (entry / "stat").read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if stat[0] != "Z" and stat[1] == mine and any(b"_bundled/claude" in part for part in cmdline):
            found.add(int(entry.name))
    return found


def alive(pids: Iterable[int]) -> set[int]:
    out = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
        except OSError:
            continue
        if state != "Z":
            out.add(pid)
    return out
