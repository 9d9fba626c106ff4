"""The run's directories: each agent's workspace, snapshots of it, and its view of the others.

Under the run's root directory::

    workspaces/<agent>/      an agent's workspace when its backend sets no ``cwd``
    snapshots/<agent>/       the agent's latest workspace, copied when it submits an answer
    views/<agent>/<label>/   what <agent> sees of every agent's latest snapshot (read-only),
                             under the anonymous labels of the coordination (agent1, agent2, ...)
    scratch/<agent>/         TMPDIR for the agent's commands
    state/<agent>.json       the agent's current write permissions, read by execute_command

The coordination calls :meth:`RunWorkspaces.save_snapshot` when an agent answers and
:meth:`RunWorkspaces.refresh_view` before an agent's turn starts; :meth:`RunWorkspaces.access`
gives the agent's :class:`~.access.AgentAccess` (what it may write, phase by phase).
Creating a :class:`RunWorkspaces` removes the agents' snapshots, views and scratch directories
left by an earlier run; workspaces are kept (a configured ``cwd`` is used as it is, never emptied).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from ...plugin.errors import ConfigError, ConfigIssue
from .access import AgentAccess, real_path
from .paths import PathEscapeError, contained, path_problem
from .snapshots import copy_tree, remove_tree

if TYPE_CHECKING:
    from ...config.model import ContextPathConfig, RunConfig

__all__ = [
    "STORAGE_MARKER",
    "ContextPath",
    "RunWorkspaces",
    "check_context_paths",
    "context_paths_from_config",
    "storage_problem",
]

#: (resolved path, writable for the final agent, resolved protected paths)
ContextPath = tuple[Path, bool, tuple[Path, ...]]


class ContextPathProblem(NamedTuple):
    """What is wrong with one context path; ``on_machine``: the path is not on this machine (the
    config itself is fine)."""

    where: tuple[str | int, ...]  # inside ``orchestrator.context_paths``
    message: str
    on_machine: bool = False


def check_context_paths(
    entries: Sequence[ContextPathConfig],
) -> tuple[list[ContextPath], list[ContextPathProblem]]:
    """Resolve ``orchestrator.context_paths`` and list what is wrong with them.

    A context path must exist. Protected paths are relative to it (to its parent directory for
    a file) or absolute, and must lie inside it. The config loader reports the problems at
    their ``file:line:column``; :func:`context_paths_from_config` raises them.
    """
    problems: list[ContextPathProblem] = []
    out: list[ContextPath] = []
    for i, entry in enumerate(entries):
        if (why := path_problem(str(entry.path))) is not None:
            problems.append(ContextPathProblem((i, "path"), f"context path cannot be used: {why}"))
            continue
        try:
            exists = entry.path.exists()
        except OSError as exc:
            problems.append(
                ContextPathProblem(
                    (i, "path"), f"context path {entry.path} cannot be used: {exc.strerror}", True
                )
            )
            continue
        if not exists:
            problems.append(
                ContextPathProblem(
                    (i, "path"),
                    f"context path {entry.path} does not exist",
                    True,
                )
            )
            continue
        root = real_path(entry.path)
        base = root if root.is_dir() else root.parent
        protected: list[Path] = []
        for j, raw in enumerate(entry.protected_paths):
            if (why := path_problem(raw)) is not None:
                problems.append(
                    ContextPathProblem((i, "protected_paths", j), f"protected path cannot be used: {why}")
                )
                continue
            resolved = real_path(raw, base)
            if resolved != root and root not in resolved.parents:
                problems.append(
                    ContextPathProblem(
                        (i, "protected_paths", j),
                        f"protected path {raw!r} resolves to {resolved}, which is not inside the context path {root}",
                    )
                )
            protected.append(resolved)
        out.append((root, entry.permission == "write", tuple(protected)))
    return out, problems


def context_paths_from_config(
    entries: Sequence[ContextPathConfig], *, source: str | None = None
) -> list[ContextPath]:
    """The resolved context paths; :class:`ConfigError` lists every problem (see :func:`check_context_paths`)."""
    from ...config.issues import format_path

    out, problems = check_context_paths(entries)
    if problems:
        raise ConfigError(
            [
                ConfigIssue(message, file=source, path=format_path(("orchestrator", "context_paths", *where)))
                for where, message, _ in problems
            ]
        )
    return out


class RunWorkspaces:
    """The directories of one run (see the module docstring)."""

    def __init__(
        self,
        root: Path,
        agent_ids: Sequence[str],
        *,
        workspaces: Mapping[str, Path | None] | None = None,
        context_paths: Sequence[ContextPath] = (),
        snapshot_root: Path | None = None,
        view_root: Path | None = None,
    ) -> None:
        from ...config.ids import agent_id_problem

        self.root = real_path(root, Path.cwd())
        self.agent_ids = tuple(agent_ids)
        for agent_id in self.agent_ids:
            if (problem := agent_id_problem(agent_id)) is not None:
                raise ConfigError(problem)
        self.context_paths = tuple(context_paths)
        self.snapshot_root = (
            _claimed(real_path(snapshot_root, Path.cwd()), "snapshot_storage", self.agent_ids)
            if snapshot_root
            else self.root / "snapshots"
        )
        self.view_root = (
            _claimed(real_path(view_root, Path.cwd()), "agent_temporary_workspace", self.agent_ids)
            if view_root
            else self.root / "views"
        )
        configured = workspaces or {}
        self.workspaces: dict[str, Path] = {}
        for agent_id in self.agent_ids:
            cwd = configured.get(agent_id)
            path = real_path(cwd, Path.cwd()) if cwd else self._own(self.root / "workspaces", agent_id)
            path.mkdir(parents=True, exist_ok=True)
            self.workspaces[agent_id] = real_path(path)
        self._check_separate()
        self._access: dict[str, AgentAccess] = {}
        self.clear_answers()

    def clear_answers(self) -> None:
        """Remove the agents' snapshots, views and scratch directories: a new question starts
        without an earlier one's (the agents' workspaces are kept). The view and scratch
        directories of agents already given :meth:`access` are made again, empty: their tools
        (a command's ``TMPDIR``, the sandbox's roots) keep pointing at them between questions."""
        for agent_id in self.agent_ids:
            for stale in (self._snapshot(agent_id), self.view(agent_id), self.scratch(agent_id)):
                remove_tree(stale)
            if agent_id in self._access:
                self.view(agent_id).mkdir(parents=True, exist_ok=True)
                self.scratch(agent_id).mkdir(parents=True, exist_ok=True)

    @classmethod
    def from_config(cls, config: RunConfig, root: Path | None = None) -> RunWorkspaces:
        """The run's directories from its config (``root`` defaults to ``.massgen`` in the cwd).

        ``orchestrator.snapshot_storage`` and ``agent_temporary_workspace``, when set, hold the
        snapshots and the views.
        """
        orchestrator = config.orchestrator
        return cls(
            root or Path(".massgen"),
            config.agent_ids,
            workspaces={
                a.id: Path(a.backend.tools.cwd) if a.backend.tools.cwd else None for a in config.agents
            },
            context_paths=context_paths_from_config(orchestrator.context_paths, source=config.source),
            snapshot_root=Path(orchestrator.snapshot_storage) if orchestrator.snapshot_storage else None,
            view_root=Path(orchestrator.agent_temporary_workspace)
            if orchestrator.agent_temporary_workspace
            else None,
        )

    def _check_separate(self) -> None:
        seen: dict[Path, str] = {}
        for agent_id, path in self.workspaces.items():
            for other_path, other in seen.items():
                if path == other_path or other_path in path.parents or path in other_path.parents:
                    raise ConfigError(
                        f"agents {other!r} and {agent_id!r} share a workspace ({other_path} / {path}): "
                        "give each agent its own `cwd`"
                    )
            seen[path] = agent_id

    # -- per agent ----------------------------------------------------------------------------
    def workspace(self, agent_id: str) -> Path:
        return self.workspaces[agent_id]

    @staticmethod
    def _own(root: Path, name: str, what: str = "agent id") -> Path:
        """``root/name``, proven to stay inside ``root`` (see :func:`~.paths.contained`)."""
        try:
            return contained(root, name, what=what)
        except PathEscapeError as exc:
            raise ConfigError(str(exc)) from None

    def view(self, agent_id: str) -> Path:
        return self._own(self.view_root, agent_id)

    def scratch(self, agent_id: str) -> Path:
        return self._own(self.root / "scratch", agent_id)

    def _snapshot(self, agent_id: str) -> Path:
        return self._own(self.snapshot_root, agent_id)

    def access(self, agent_id: str) -> AgentAccess:
        """The agent's permissions (one object per agent, created on first use)."""
        if agent_id not in self._access:
            view = self.view(agent_id)
            scratch = self.scratch(agent_id)
            view.mkdir(parents=True, exist_ok=True)
            scratch.mkdir(parents=True, exist_ok=True)
            self._access[agent_id] = AgentAccess(
                agent_id,
                workspace=self.workspaces[agent_id],
                scratch=scratch,
                snapshots=view,
                context=self.context_paths,
                hidden=[self.root, self.snapshot_root, self.view_root]
                + [w for other, w in self.workspaces.items() if other != agent_id],
                state_file=self._own(self.root / "state", f"{agent_id}.json"),
            )
        return self._access[agent_id]

    # -- snapshots ----------------------------------------------------------------------------
    def save_snapshot(self, agent_id: str) -> Path:
        """Copy the agent's workspace to its snapshot (its latest, replacing the previous one)."""
        target = self._snapshot(agent_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        copy_tree(self.workspaces[agent_id], target)
        return target

    def refresh_view(self, agent_id: str, labels: Mapping[str, str]) -> Path:
        """Rebuild what ``agent_id`` sees: ``views/<agent_id>/<label>/`` per agent with a snapshot.

        ``labels`` maps agent ids to the anonymous labels the agent's prompt uses.
        """
        view = self.view(agent_id)
        view.mkdir(parents=True, exist_ok=True)
        for entry in list(view.iterdir()):
            remove_tree(entry)
        for other, label in labels.items():
            snapshot = self._snapshot(other)
            if snapshot.is_dir():
                copy_tree(snapshot, self._own(view, label, what="answer label"))
        return view


#: Marks a directory given as ``snapshot_storage`` / ``agent_temporary_workspace`` as MassGen's:
#: its agents' folders in it are emptied at every run.
STORAGE_MARKER = ".massgen-storage"


def storage_problem(path: Path, agent_ids: Sequence[str]) -> str | None:
    """Why ``path`` cannot be a ``snapshot_storage`` / ``agent_temporary_workspace``, or ``None``.

    A run empties its agents' folders there, so a directory holding anything else (not made by
    MassGen: no :data:`STORAGE_MARKER`) is refused. Folders named after the agents (left by a run
    before markers existed) are MassGen's.
    """
    try:
        if (path / STORAGE_MARKER).is_file() or not path.exists():
            return None
        if not path.is_dir():
            return f"{path} is not a directory"
        owned = set(agent_ids) | {f"{a}.partial" for a in agent_ids}
        foreign = sorted(e.name for e in path.iterdir() if e.name not in owned)
    except OSError as exc:
        return f"{path} cannot be used: {exc.strerror}"
    if not foreign:
        return None
    shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
    return (
        f"{path} already holds files MassGen did not put there ({shown}); MassGen empties its agents' "
        "folders there at every run, so give it a new or empty directory"
    )


def _claimed(path: Path, option: str, agent_ids: Sequence[str]) -> Path:
    """``path``, checked (:func:`storage_problem`), made and marked as MassGen's."""
    if (problem := storage_problem(path, agent_ids)) is not None:
        raise ConfigError(f"orchestrator.{option}: {problem}")
    path.mkdir(parents=True, exist_ok=True)
    marker = path / STORAGE_MARKER
    if not marker.is_file():
        marker.write_text("This directory is MassGen's: its agents' folders here are emptied at every run.\n")
    return path
