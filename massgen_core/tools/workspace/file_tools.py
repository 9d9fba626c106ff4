"""The agent's built-in file tools, checked against its :class:`~.access.AgentAccess` on every call.

Relative paths are resolved against the agent's workspace; absolute paths may point anywhere the
rules allow (context paths, the snapshots of the other agents). Every path is resolved (``..``
and symlinks) before it is checked, and then opened without following links (:mod:`.safe_fs`).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ...plugin.backend import ToolDefinition
from ..toolset import Tool, ToolOutput
from . import safe_fs
from .access import AgentAccess, WriteOp, real_path

__all__ = ["FILE_TOOL_NAMES", "FileTool", "file_tools"]

MAX_READ_BYTES = 200_000
MAX_LISTED = 500

Handler = Callable[[AgentAccess, Mapping[str, Any]], str]


class Refused(Exception):
    """The operation is not allowed; the message says why."""


def _string(arguments: Mapping[str, Any], key: str, default: str | None = None) -> str:
    value = arguments.get(key, default)
    if not isinstance(value, str) or (default is None and not value):
        raise Refused(f"`{key}` must be a non-empty string")
    return value


def _resolve(access: AgentAccess, raw: str, *, follow_last: bool = True) -> Path:
    """The checked path; without ``follow_last`` a final symlink is the path (delete, move)."""
    if "\x00" in raw:
        raise Refused("paths may not contain NUL characters")
    head, name = os.path.split(raw.rstrip("/") or raw)
    if follow_last or name in ("", ".", ".."):
        return real_path(raw, access.workspace)
    return real_path(head or ".", access.workspace) / name


def _readable(access: AgentAccess, raw: str) -> Path:
    path = _resolve(access, raw)
    if reason := access.rules().check_read(path):
        raise Refused(reason)
    return path


def _writable(access: AgentAccess, raw: str, op: WriteOp = "write", *, follow_last: bool = True) -> Path:
    path = _resolve(access, raw, follow_last=follow_last)
    rules = access.rules()
    if reason := rules.check_write(path, op):
        raise Refused(reason)
    if op == "delete":
        for root in rules.roots:
            if path in root.path.parents and not root.writable:
                raise Refused(f"{path} contains {root.path}, which you may not modify")
    return path


def _read_file(access: AgentAccess, arguments: Mapping[str, Any]) -> str:
    path = _readable(access, _string(arguments, "path"))
    data, size = safe_fs.read_bytes(path, MAX_READ_BYTES)
    text = data.decode("utf-8", "replace")
    if size > len(data):
        text += f"\n[... truncated: showing {len(data)} of {size} bytes]"
    return text


def _write_file(access: AgentAccess, arguments: Mapping[str, Any]) -> str:
    path = _writable(access, _string(arguments, "path"))
    content = arguments.get("content")
    if not isinstance(content, str):
        raise Refused("`content` must be a string")
    append = bool(arguments.get("append", False))
    safe_fs.write_bytes(path, content.encode("utf-8"), append=append)
    return f"{'appended' if append else 'wrote'} {len(content.encode('utf-8'))} bytes to {path}"


def _list_directory(access: AgentAccess, arguments: Mapping[str, Any]) -> str:
    path = _readable(access, _string(arguments, "path", "."))
    with safe_fs.open_parent(path) as (parent, name):
        fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=parent)
        try:
            names = sorted(os.listdir(fd))
            lines = []
            for entry in names[:MAX_LISTED]:
                info = os.stat(entry, dir_fd=fd, follow_symlinks=False)
                if stat.S_ISDIR(info.st_mode):
                    lines.append(f"[dir]  {entry}/")
                elif stat.S_ISLNK(info.st_mode):
                    lines.append(f"[link] {entry} -> {os.readlink(entry, dir_fd=fd)}")
                else:
                    lines.append(f"[file] {entry} ({info.st_size} bytes)")
        finally:
            os.close(fd)
    if len(names) > MAX_LISTED:
        lines.append(f"[... {len(names) - MAX_LISTED} more entries]")
    return f"{path}:\n" + ("\n".join(lines) if lines else "(empty)")


def _create_directory(access: AgentAccess, arguments: Mapping[str, Any]) -> str:
    path = _writable(access, _string(arguments, "path"))
    safe_fs.make_dirs(path)
    return f"created {path}"


def _delete_path(access: AgentAccess, arguments: Mapping[str, Any]) -> str:
    path = _writable(access, _string(arguments, "path"), "delete", follow_last=False)
    if not os.path.lexists(path):
        raise Refused(f"{path} does not exist")
    safe_fs.remove(path)
    return f"deleted {path}"


def _move_path(access: AgentAccess, arguments: Mapping[str, Any]) -> str:
    source = _writable(access, _string(arguments, "source"), "delete", follow_last=False)
    destination = _writable(access, _string(arguments, "destination"), follow_last=False)
    if not os.path.lexists(source):
        raise Refused(f"{source} does not exist")
    if os.path.lexists(destination):
        raise Refused(f"{destination} already exists")
    safe_fs.rename(source, destination)
    return f"moved {source} to {destination}"


def _schema(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


_PATH = {"type": "string", "description": "Relative to your workspace, or absolute."}

_TOOLS: tuple[tuple[str, str, dict[str, Any], bool, Handler], ...] = (
    (
        "read_file",
        "Read a text file (up to 200 kB).",
        _schema({"path": _PATH}, ["path"]),
        True,
        _read_file,
    ),
    (
        "write_file",
        "Create or overwrite a text file (parent directories are created); append=true appends.",
        _schema(
            {"path": _PATH, "content": {"type": "string"}, "append": {"type": "boolean"}}, ["path", "content"]
        ),
        False,
        _write_file,
    ),
    (
        "list_directory",
        "List a directory (default: your workspace).",
        _schema({"path": _PATH}, []),
        True,
        _list_directory,
    ),
    (
        "create_directory",
        "Create a directory and any missing parents.",
        _schema({"path": _PATH}, ["path"]),
        False,
        _create_directory,
    ),
    (
        "delete_path",
        "Delete a file or a directory tree.",
        _schema({"path": _PATH}, ["path"]),
        False,
        _delete_path,
    ),
    (
        "move_path",
        "Move or rename a file or directory (the destination must not exist).",
        _schema({"source": _PATH, "destination": _PATH}, ["source", "destination"]),
        False,
        _move_path,
    ),
)

#: The names of the built-in file tools.
FILE_TOOL_NAMES = tuple(t[0] for t in _TOOLS)


class FileTool:
    """One built-in file tool bound to an agent's access rules."""

    def __init__(
        self,
        access: AgentAccess,
        name: str,
        description: str,
        parameters: dict[str, Any],
        read_only: bool,
        handler: Handler,
    ) -> None:
        self._access = access
        self._handler = handler
        self._read_only = read_only
        self._definition = ToolDefinition(name=name, description=description, parameters=parameters)

    @property
    def definition(self) -> ToolDefinition:
        return self._definition

    @property
    def read_only(self) -> bool:
        return self._read_only

    async def call(self, arguments: Mapping[str, Any]) -> ToolOutput:
        try:
            text = self._handler(self._access, arguments)
        except Refused as exc:
            return ToolOutput(f"refused: {exc}", is_error=True)
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename else ""
            return ToolOutput(f"{self._definition.name} failed: {exc.strerror or exc}{where}", is_error=True)
        return ToolOutput(text)


def file_tools(access: AgentAccess) -> list[Tool]:
    """The built-in file tools for the agent whose permissions ``access`` holds."""
    return [FileTool(access, name, desc, params, ro, handler) for name, desc, params, ro, handler in _TOOLS]
