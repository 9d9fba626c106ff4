"""``@modelcontextprotocol/server-filesystem`` for an agent, with its permissions enforced twice.

The server is given every directory the agent may read. It has no read-only mode of its own, so:

* the process is started **confined with Landlock** (where the kernel has it) to the most the
  agent may ever write (its workspace and scratch, plus the ``permission: write`` context paths):
  it cannot write anywhere else whatever it is asked. Protected paths are not carved out of that
  confinement: the server writes files through a temporary file renamed over the target, which
  Landlock cannot allow next to a protected file without also allowing it to be replaced;
* every call is **checked before it is sent** (the ``guard``) against the agent's *current*
  permissions: the paths in ``path``, ``paths``, ``source`` and ``destination`` are resolved
  (``..``, symlinks) and must be readable, and for the writing tools writable. This is what keeps
  write context paths read-only until the final presentation, and MassGen's own directories
  unreadable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ...plugin.specs import McpServerSpec
from ..mcp.servers import CallGuard, ServerEntry
from ..sandbox import available
from .access import AgentAccess, real_path

__all__ = ["DEFAULT_COMMAND", "FILESYSTEM_SERVER", "READ_TOOLS", "filesystem_guard", "filesystem_server"]

FILESYSTEM_SERVER = "filesystem"
DEFAULT_COMMAND = ("npx", "-y", "@modelcontextprotocol/server-filesystem@2026.8.31")
READ_TOOLS = frozenset(
    {
        "read_file",
        "read_text_file",
        "read_media_file",
        "read_multiple_files",
        "list_directory",
        "list_directory_with_sizes",
        "directory_tree",
        "search_files",
        "get_file_info",
        "list_allowed_directories",
    }
)
_PATH_KEYS = ("path", "source", "destination")


def filesystem_guard(access: AgentAccess) -> CallGuard:
    """The pre-call check for the filesystem server of ``access.agent_id``."""

    def guard(tool: str, arguments: Mapping[str, Any]) -> str | None:
        rules = access.rules()
        paths: list[tuple[str, Any]] = [(k, arguments[k]) for k in _PATH_KEYS if k in arguments]
        paths += [("paths", p) for p in arguments.get("paths") or ()]
        for key, raw in paths:
            if not isinstance(raw, str):
                return f"`{key}` must be a string"
            path = real_path(raw, access.workspace)
            reason = rules.check_read(path)
            if reason is None and tool not in READ_TOOLS:
                reason = rules.check_write(path, "delete" if key == "source" else "write")
            if reason is not None:
                return reason
        return None

    return guard


def filesystem_server(
    access: AgentAccess, command: Sequence[str] = DEFAULT_COMMAND, *, npm_cache: Path | None = None
) -> ServerEntry:
    """The ``filesystem`` server entry for the agent whose permissions ``access`` holds.

    :param npm_cache: where ``npx`` may keep the package (writable for the confined process);
        by default next to the agent's state file.
    """
    readable = []
    for root in access.rules("presentation").roots:
        if root.readable:
            directory = root.path if root.path.is_dir() else root.path.parent
            if directory not in readable:
                readable.append(directory)
    writable, _protected = access.upper_bound().sandbox_paths()
    if npm_cache is None and access.state_file is not None:
        npm_cache = access.state_file.parent.parent / "npm-cache"
    env = {}
    if npm_cache is not None:
        npm_cache.mkdir(parents=True, exist_ok=True)
        writable.append(str(npm_cache))
        env["npm_config_cache"] = str(npm_cache)
    spec = McpServerSpec(
        name=FILESYSTEM_SERVER,
        command=command[0],
        args=(*command[1:], *(str(p) for p in readable)),
        env=env,
        cwd=str(access.workspace),
    )
    return ServerEntry(
        spec=spec,
        origin="backend.filesystem_tools",
        sandbox=(tuple(writable), ()) if available() else None,
        guard=filesystem_guard(access),
        read_only_tools=READ_TOOLS,
        check=False,
    )
