"""Which files a Claude Code tool call touches, and whether the agent may (pure; no SDK import).

:func:`refusal` is what the backend's ``PreToolUse`` hook asks for every call: Claude Code's file
tools get exactly the rules of every agent's file tools (:class:`~massgen_core.plugin.FileAccess`).
A built-in MassGen does not know is refused, so a new Claude Code tool cannot slip past the
checks. ``Bash`` is not checked here: when the machine can, the whole CLI runs confined by the
kernel to what the agent may write (see :mod:`.process`), otherwise Bash is not offered.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any, Literal

from massgen_core.plugin import FileAccess

from .permissions import PATH_FREE_BUILTINS

__all__ = ["MCP_PREFIX", "refusal", "touched_paths"]

MCP_PREFIX = "mcp__"
_GLOB_CHARS = frozenset("*?[{")

Mode = Literal["read", "write"]


def _static_prefix(pattern: str) -> str:
    """The leading directories of a glob pattern, up to its first wildcard."""
    parts: list[str] = []
    for part in PurePath(pattern).parts:
        if _GLOB_CHARS.intersection(part):
            break
        parts.append(part)
    return os.path.join(*parts) if parts else "."


def _string(tool_input: Mapping[str, Any], key: str) -> str | None:
    value = tool_input.get(key)
    return value if isinstance(value, str) and value else None


def touched_paths(tool: str, tool_input: Mapping[str, Any]) -> list[tuple[str, Mode]] | None:
    """The paths ``tool`` reads or writes with ``tool_input`` (relative: from the workspace);
    ``None`` when the tool is not one MassGen knows."""
    if tool in ("Write", "Edit"):
        return [(_string(tool_input, "file_path") or "", "write")]
    if tool == "NotebookEdit":
        return [(_string(tool_input, "notebook_path") or "", "write")]
    if tool == "Read":
        return [(_string(tool_input, "file_path") or "", "read")]
    if tool in ("Glob", "Grep"):
        base = _string(tool_input, "path") or "."
        paths: list[tuple[str, Mode]] = [(base, "read")]
        pattern = _string(tool_input, "pattern") if tool == "Glob" else _string(tool_input, "glob")
        if pattern is not None:  # "../../etc/*" or "/etc/**" reach beyond `path`
            paths.append((os.path.join(base, _static_prefix(pattern)), "read"))
        return paths
    if tool in PATH_FREE_BUILTINS or tool.startswith(MCP_PREFIX):
        return []  # MCP tools are MassGen's: the core runs them under the same rules
    return None


def refusal(tool: str, tool_input: Mapping[str, Any], access: FileAccess) -> str | None:
    """Why the call may not run, or ``None``."""
    if tool == "Bash":
        return None
    paths = touched_paths(tool, tool_input)
    if paths is None:
        return f"MassGen does not offer the Claude Code tool {tool!r}: it cannot check which files it touches"
    for path, mode in paths:
        if not path:
            return f"{tool}: no path given"
        if "\x00" in path:
            return f"{tool}: paths may not contain NUL characters"
        reason = access.check_write(path) if mode == "write" else access.check_read(path)
        if reason is not None:
            return reason
    return None
