"""Multi-turn sessions saved on disk, so a conversation can be resumed later.

``<root>/<session id>/`` holds ``session.json`` (id, creation time) and one folder per turn,
``turn_<n>/``, with ``turn.json`` (question, status, every answer and vote, the winner, the
final answer, why the run ended, the log folder) and ``final_answer.md``. A turn that was
cancelled or failed is kept (status ``cancelled`` / ``failed``) but is not part of the
conversation history given to the next turn.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import attrs

from ..plugin.errors import MassgenError
from ..runtime.coordination.result import RunResult
from ..tools.workspace.paths import PathEscapeError, contained
from .redaction import redact, redact_data
from .runlog import new_run_id

if TYPE_CHECKING:
    from ..config.model import RunConfig

__all__ = ["DEFAULT_SESSION_ROOT", "Session", "SessionStore", "TurnRecord", "TurnStatus"]

DEFAULT_SESSION_ROOT = Path(".massgen") / "sessions"
TurnStatus = Literal["completed", "cancelled", "failed"]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


@attrs.frozen(kw_only=True)
class TurnRecord:
    """One saved turn."""

    number: int
    question: str
    status: TurnStatus
    final_answer: str | None = None
    result: Mapping[str, Any] | None = None
    error: str | None = None
    log_dir: str | None = None
    saved_at: str = attrs.field(factory=_now)

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TurnRecord:
        fields = {f.name for f in attrs.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in fields})


class Session:
    """A saved conversation: its turns, and the history they give the next turn."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.id = path.name

    def turns(self) -> list[TurnRecord]:
        records = []
        for file in self.path.glob("turn_*/turn.json"):
            try:
                records.append(TurnRecord.from_dict(json.loads(file.read_text(encoding="utf-8"))))
            except (OSError, ValueError, TypeError):
                continue  # a damaged turn must not make the whole session unreadable
        return sorted(records, key=lambda r: r.number)

    def history(self) -> list[tuple[str, str]]:
        """(question, final answer) of every completed turn, oldest first."""
        return [
            (t.question, t.final_answer) for t in self.turns() if t.status == "completed" and t.final_answer
        ]

    def _next_number(self) -> int:
        numbers = [
            int(p.name.removeprefix("turn_")) for p in self.path.glob("turn_*") if p.name[5:].isdigit()
        ]
        return max(numbers, default=0) + 1

    def save_turn(
        self,
        question: str,
        *,
        result: RunResult | None = None,
        status: TurnStatus = "completed",
        error: str | None = None,
        log_dir: Path | None = None,
    ) -> TurnRecord:
        """Save a turn (``result`` for a completed one); returns its record."""
        record = TurnRecord(
            number=self._next_number(),
            question=question,
            status=status,
            final_answer=result.final_answer if result else None,
            result=result.to_dict() if result else None,
            error=error,
            log_dir=str(log_dir) if log_dir else None,
        )
        folder = contained(self.path, f"turn_{record.number}", what="turn")
        folder.mkdir(parents=True, exist_ok=True)
        if record.final_answer is not None:
            (folder / "final_answer.md").write_text(redact(record.final_answer) + "\n", encoding="utf-8")
        (folder / "turn.json").write_text(
            json.dumps(redact_data(record.to_dict()), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        return record

    def last_active(self) -> str:
        """When a turn was last saved, else when the session was created (ISO 8601, UTC)."""
        return max([t.saved_at for t in self.turns()], default=self.created_at() or "")

    def created_at(self) -> str | None:
        try:
            value = json.loads((self.path / "session.json").read_text(encoding="utf-8")).get("created_at")
        except (OSError, ValueError, AttributeError):
            return None
        return value if isinstance(value, str) else None


class SessionStore:
    """The sessions under one root directory (default ``.massgen/sessions``)."""

    def __init__(self, root: Path | str = DEFAULT_SESSION_ROOT) -> None:
        self.root = Path(root)

    @classmethod
    def of(cls, config: RunConfig) -> SessionStore:
        """Where ``config``'s sessions go: its ``orchestrator.session_storage``, else the default."""
        return cls(config.orchestrator.session_storage or DEFAULT_SESSION_ROOT)

    def create(self, session_id: str | None = None) -> Session:
        """A new, empty session (``session_id``: a new run id unless given, e.g. the id of the
        run whose turn it will hold)."""
        session_id = session_id or new_run_id()
        path = contained(self.root, session_id, what="session id")
        path.mkdir(parents=True, exist_ok=False)
        (path / "session.json").write_text(
            json.dumps({"id": session_id, "created_at": _now()}, indent=2) + "\n", encoding="utf-8"
        )
        return Session(path)

    def open(self, session_id: str) -> Session:
        try:
            path: Path | None = contained(self.root, session_id, what="session id")
        except PathEscapeError:
            path = None
        if path is None or not (path / "session.json").is_file():
            known = ", ".join(s.id for s in self.list()[-5:]) or "none"
            raise MassgenError(
                f"no session {session_id!r} in {self.root} "
                f"(recent sessions: {known}; `massgen sessions` lists them)"
            )
        return Session(path)

    def latest(self) -> Session | None:
        """The session used last: the newest of its creation and its last turn (``--continue``)."""
        return max(self.list(), key=lambda s: (s.last_active(), s.created_at() or "", s.id), default=None)

    def list(self) -> list[Session]:
        """Every session, oldest first: by creation time (to the microsecond; ids have only the
        second), then id."""
        if not self.root.is_dir():
            return []
        sessions = [Session(p) for p in self.root.iterdir() if (p / "session.json").is_file()]
        return sorted(sessions, key=lambda s: (s.created_at() or "", s.id))
