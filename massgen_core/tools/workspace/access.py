"""Which paths an agent may read and write, now.

:class:`AccessRules` is a pure description: roots (the agent's workspace, its scratch dir, the
read-only snapshots of the other agents, the context paths) with their permission and protected
paths. :class:`AgentAccess` holds one agent's rules for each phase and switches between them:
during coordination every context path is read-only; :meth:`AgentAccess.begin_final_presentation`
makes ``permission: write`` context paths writable for that (final) agent until
:meth:`AgentAccess.end_final_presentation`.

Every write path an agent has asks these rules: the file tools check each operation here, the
MCP filesystem server's calls are checked here before they are sent, and ``execute_command``
reads them (through the state file) to confine each command with Landlock.

Paths are compared after resolving symlinks (``os.path.realpath``), so ``..`` and links cannot
point a check at one path and a write at another.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import attrs

__all__ = [
    "AccessRoot",
    "AccessRules",
    "AgentAccess",
    "Phase",
    "RootKind",
    "WriteOp",
    "real_path",
]

RootKind = Literal["workspace", "scratch", "snapshots", "context", "internal"]
Phase = Literal["coordination", "presentation"]
WriteOp = Literal["write", "delete"]


def real_path(path: str | os.PathLike[str], base: Path | None = None) -> Path:
    """``path`` made absolute (against ``base``) with ``..`` and every existing symlink resolved."""
    raw = Path(os.path.expanduser(os.fspath(path)))
    if not raw.is_absolute():
        if base is None:
            raise ValueError(f"relative path {os.fspath(path)!r} needs a base directory")
        raw = base / raw
    return Path(os.path.realpath(raw))


def _within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


@attrs.frozen(kw_only=True)
class AccessRoot:
    """A directory (or a single file) an agent can reach.

    :param path: absolute and symlink-free.
    :param writable: whether writes are allowed in the current phase.
    :param readable: ``False`` for MassGen's own directories (run state, the other agents'
        workspaces) that sit inside a root the agent can reach.
    :param kind: what it is, for messages.
    :param protected: absolute, symlink-free paths inside it that are never written or deleted.
    :param note: why it is read-only, for the model (e.g. "write access is for the final agent").
    """

    path: Path
    writable: bool
    kind: RootKind
    readable: bool = True
    protected: tuple[Path, ...] = ()
    note: str = ""

    def describe(self) -> str:
        mode = "read-write" if self.writable else "read-only"
        extra = f"; protected: {', '.join(str(p) for p in self.protected)}" if self.protected else ""
        note = f" ({self.note})" if self.note and not self.writable else ""
        return f"{self.path} [{self.kind}, {mode}{note}{extra}]"


@attrs.frozen
class AccessRules:
    """The roots an agent may reach; every check takes a resolved path (see :func:`real_path`)."""

    roots: tuple[AccessRoot, ...]

    def root_of(self, path: Path) -> AccessRoot | None:
        """The deepest root containing ``path`` (the one whose permission applies)."""
        best: AccessRoot | None = None
        for root in self.roots:
            if _within(path, root.path) and (best is None or len(root.path.parts) > len(best.path.parts)):
                best = root
        return best

    @property
    def protected(self) -> tuple[Path, ...]:
        return tuple(p for root in self.roots for p in root.protected)

    def check_read(self, path: Path) -> str | None:
        """Why ``path`` may not be read, or ``None``."""
        root = self.root_of(path)
        if root is None or not root.readable:
            return f"{path} is outside the paths you can access ({self.summary()})"
        return None

    def check_write(self, path: Path, op: WriteOp = "write") -> str | None:
        """Why ``path`` may not be written (``op="delete"``: deleted or moved away), or ``None``."""
        for protected in self.protected:
            if _within(path, protected):
                return f"{path} is protected: it may not be modified or deleted"
            if op == "delete" and path in protected.parents:
                return f"{path} contains the protected path {protected}: it may not be deleted or moved"
        root = self.root_of(path)
        if root is None or not root.readable:
            return f"{path} is outside the paths you can access ({self.summary()})"
        if not root.writable:
            why = f": {root.note}" if root.note else ""
            return f"{path} is in a read-only location ({root.kind} {root.path}{why})"
        if op == "delete" and path == root.path:
            return f"{path} is the root of your {root.kind}: it may not be deleted or moved"
        return None

    def sandbox_paths(self) -> tuple[list[str], list[str]]:
        """``(writable, protected)`` for the Landlock sandbox.

        Read-only roots nested in writable ones are protected too, so the kernel's rules (a grant
        covers a whole subtree) agree with :meth:`check_write` (the deepest root decides).
        """
        writable = [r for r in self.roots if r.writable]
        protected = {str(p) for p in self.protected}
        for root in self.roots:
            if not root.writable and any(
                _within(root.path, w.path) and root.path != w.path for w in writable
            ):
                protected.add(str(root.path))
        return [str(r.path) for r in writable], sorted(protected)

    def summary(self) -> str:
        readable = ", ".join(str(r.path) for r in self.roots if r.readable and not r.writable) or "none"
        writable = ", ".join(str(r.path) for r in self.roots if r.writable) or "none"
        return f"writable: {writable}; read-only: {readable}"

    def to_json(self) -> str:
        """The rules as JSON (what :meth:`from_json` reads back)."""
        roots = [
            {
                "path": str(r.path),
                "writable": r.writable,
                "readable": r.readable,
                "kind": r.kind,
                "protected": [str(p) for p in r.protected],
                "note": r.note,
            }
            for r in self.roots
        ]
        return json.dumps({"roots": roots}, indent=1)

    @classmethod
    def from_json(cls, text: str) -> AccessRules:
        data = json.loads(text)
        return cls(
            tuple(
                AccessRoot(
                    path=Path(r["path"]),
                    writable=bool(r["writable"]),
                    readable=bool(r.get("readable", True)),
                    kind=r["kind"],
                    protected=tuple(Path(p) for p in r.get("protected", ())),
                    note=r.get("note", ""),
                )
                for r in data["roots"]
            )
        )


FINAL_ONLY_NOTE = (
    "write access to context paths is given only to the final agent, during its final presentation"
)


class AgentAccess:
    """One agent's roots, and the phase that decides whether its write context paths are writable.

    ``state_file``, when given, always holds the current sandbox paths as JSON (written
    atomically on every change); the ``execute_command`` server reads it for each command.
    """

    def __init__(
        self,
        agent_id: str,
        *,
        workspace: Path,
        scratch: Path | None = None,
        snapshots: Path | None = None,
        context: Iterable[tuple[Path, bool, Iterable[Path]]] = (),
        hidden: Iterable[Path] = (),
        state_file: Path | None = None,
    ) -> None:
        self.agent_id = agent_id
        self.workspace = real_path(workspace)
        self.scratch = real_path(scratch) if scratch is not None else None
        self.snapshots = real_path(snapshots) if snapshots is not None else None
        self._context = tuple(
            (real_path(path), write, tuple(real_path(p) for p in protected))
            for path, write, protected in context
        )
        self.hidden = tuple(real_path(p) for p in hidden)
        self.state_file = state_file
        self.phase: Phase = "coordination"
        self._write_state()

    # -- rules --------------------------------------------------------------------------------
    def rules(self, phase: Phase | None = None) -> AccessRules:
        """The rules for ``phase`` (default: the current one)."""
        phase = phase or self.phase
        roots = [AccessRoot(path=self.workspace, writable=True, kind="workspace")]
        if self.scratch is not None:
            roots.append(AccessRoot(path=self.scratch, writable=True, kind="scratch"))
        if self.snapshots is not None:
            roots.append(
                AccessRoot(
                    path=self.snapshots,
                    writable=False,
                    kind="snapshots",
                    note="copies of the other agents' workspaces, for reading",
                )
            )
        for path, write, protected in self._context:
            writable = write and phase == "presentation"
            note = FINAL_ONLY_NOTE if write else "this context path has permission: read"
            roots.append(
                AccessRoot(path=path, writable=writable, kind="context", protected=protected, note=note)
            )
        for path in self.hidden:
            roots.append(AccessRoot(path=path, writable=False, readable=False, kind="internal"))
        return AccessRules(tuple(roots))

    def check_read(self, path: str | os.PathLike[str]) -> str | None:
        """Why ``path`` (relative: from the workspace) may not be read now, or ``None``.

        With :meth:`check_write`, this is the :class:`~massgen_core.plugin.backend.FileAccess` a backend
        whose provider has file tools of its own checks them with.
        """
        return self.rules().check_read(real_path(path, self.workspace))

    def check_write(self, path: str | os.PathLike[str]) -> str | None:
        """Why ``path`` (relative: from the workspace) may not be written now, or ``None``."""
        return self.rules().check_write(real_path(path, self.workspace))

    def sandbox_paths(self) -> tuple[list[str], list[str]]:
        """``(writable, protected)`` for confining a process started now (see :meth:`AccessRules.sandbox_paths`)."""
        return self.rules().sandbox_paths()

    def upper_bound(self) -> AccessRules:
        """The most this agent may ever write (for processes whose confinement is fixed at start)."""
        return self.rules("presentation")

    # -- phase --------------------------------------------------------------------------------
    def begin_final_presentation(self) -> None:
        """This agent presents the final answer: its ``permission: write`` context paths open."""
        self._set("presentation")

    def end_final_presentation(self) -> None:
        self._set("coordination")

    def _set(self, phase: Phase) -> None:
        if phase != self.phase:
            self.phase = phase
            self._write_state()

    def _write_state(self) -> None:
        if self.state_file is None:
            return
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_name(self.state_file.name + ".tmp")
        tmp.write_text(self.rules().to_json(), encoding="utf-8")
        os.replace(tmp, self.state_file)
