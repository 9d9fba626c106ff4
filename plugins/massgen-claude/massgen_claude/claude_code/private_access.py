"""File rules for a claude_code agent the core gave no workspace (no ``cwd``, no context paths).

Other backends get no file tools then; Claude Code always has its own, so it works in a private
directory of its own and may read and write only there.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["PrivateWorkspaceAccess"]


class PrivateWorkspaceAccess:
    """A :class:`~massgen_core.plugin.FileAccess` whose only root is ``workspace``."""

    def __init__(self, workspace: Path) -> None:
        self.workspace = Path(os.path.realpath(workspace))

    def _outside(self, path: str | os.PathLike[str]) -> str | None:
        raw = Path(os.path.expanduser(os.fspath(path)))
        resolved = Path(os.path.realpath(raw if raw.is_absolute() else self.workspace / raw))
        if resolved == self.workspace or self.workspace in resolved.parents:
            return None
        return (
            f"{resolved} is outside your workspace {self.workspace} (this agent has no context paths: "
            "give it a cwd and orchestrator.context_paths to reach other directories)"
        )

    def check_read(self, path: str | os.PathLike[str]) -> str | None:
        return self._outside(path)

    def check_write(self, path: str | os.PathLike[str]) -> str | None:
        return self._outside(path)

    def sandbox_paths(self) -> tuple[list[str], list[str]]:
        return [str(self.workspace)], []
