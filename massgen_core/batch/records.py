"""The output line of one question (plain JSON-ready data, secrets masked)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from ..records.redaction import redact_data

if TYPE_CHECKING:
    from ..runtime.coordination.result import RunResult
    from .questions import Question

__all__ = ["Status", "result_record"]

Status = Literal["completed", "failed"]


def result_record(
    question: Question,
    *,
    result: RunResult | None,
    error: str | None,
    duration: float,
    session: str | None,
    session_dir: str | None,
    log_dir: str | None,
    engine: str,
    worker: Mapping[str, Any],
) -> dict[str, Any]:
    """The line for ``question``: ``completed`` with ``result``, else ``failed`` with ``error``.

    ``duration`` is the wall time of the whole question (setting up the agents included);
    ``session``/``session_dir`` and ``log_dir`` say where its saved turn and run log are;
    ``worker`` says which process answered it (``pid``, ``host``, and the engine's own ids).
    """
    status: Status = "completed" if result is not None and error is None else "failed"
    record: dict[str, Any] = {
        "id": question.id,
        "question": question.text,
        "status": status,
        "final_answer": result.final_answer if result is not None else None,
        "winner": result.winner if result is not None else None,
        "error": error,
        "usage": result.total_usage.to_dict() if result is not None else None,
        "cost": result.cost if result is not None else None,
        "duration": round(duration, 3),
        "end_reason": result.end_reason if result is not None else None,
        "session": session,
        "session_dir": session_dir,
        "log_dir": log_dir,
        "engine": engine,
        "worker": dict(worker),
    }
    record.update(question.extra)  # the input's own fields (never one of the above: see RESERVED_FIELDS)
    redacted: dict[str, Any] = redact_data(record)
    return redacted
