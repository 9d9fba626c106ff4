"""Workspaces, snapshots, context paths and the permissions that govern every write path.

Public API::

    RunWorkspaces(root, agent_ids, workspaces=..., context_paths=...)   # or RunWorkspaces.from_config(config)
        .access(agent_id) -> AgentAccess      # begin_final_presentation() / end_final_presentation()
        .save_snapshot(agent_id)              # when the agent submits an answer
        .refresh_view(agent_id, labels)       # before the agent's turn: the others' snapshots
    AccessRules.check_read(path) / check_write(path, op)
    file_tools(access) -> list[Tool]          # read_file, write_file, list_directory, ...
"""

from __future__ import annotations

from .access import AccessRoot, AccessRules, AgentAccess, real_path
from .file_tools import FILE_TOOL_NAMES, file_tools
from .layout import RunWorkspaces, context_paths_from_config

__all__ = [
    "FILE_TOOL_NAMES",
    "AccessRoot",
    "AccessRules",
    "AgentAccess",
    "RunWorkspaces",
    "context_paths_from_config",
    "file_tools",
    "real_path",
]
