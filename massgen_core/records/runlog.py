"""Run logs: a folder per run with the event stream, the result and the final answer.

``<root>/<YYYYmmdd-HHMMSS>-<id>/`` holds:

* ``events.jsonl``: every coordination event as one JSON object per line, with ``t``, the
  seconds since the run started. Each line is written whole as the event happens (the file is
  line-buffered), so another process can follow a run as it goes (``massgen view``). A run that
  ends without a result (it failed, or was cancelled) ends the file with a ``run_stopped``
  line saying which; a file with neither it nor ``run_finished`` is a run still going, or one
  whose process was killed;
* ``result.json`` and ``final_answer.md`` once the run finished;
* ``massgen.log.jsonl``: the structlog log of the run (when :func:`configure_logging` was called).

:func:`configure_logging` routes structlog through the standard ``logging`` module: warnings
(or everything, with ``debug``) go to stderr, and :func:`log_file` adds a JSON-lines file for
the span of one run.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import secrets
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

import attrs

from ..plugin.stream import ReasoningDelta, ReasoningSummaryDelta, TextDelta
from ..runtime.coordination.events import AgentOutput, CoordinationEvent, RunFinished
from .redaction import redact, redact_data

if TYPE_CHECKING:
    from structlog.stdlib import ProcessorFormatter

    from ..config.model import RunConfig

__all__ = [
    "DEFAULT_LOG_ROOT",
    "RunLog",
    "configure_logging",
    "event_record",
    "log_file",
    "new_run_id",
    "run_log_dir",
]

DEFAULT_LOG_ROOT = Path(".massgen") / "logs"
_LOGGER = "massgen"
#: the run log file of the run going on in this context (see :func:`log_file`)
_RUN_LOG: contextvars.ContextVar[logging.Handler | None] = contextvars.ContextVar(
    "massgen_run_log", default=None
)


def new_run_id() -> str:
    """A sortable, unique id: ``YYYYmmdd-HHMMSS-xxxxxxxx`` (32 random bits: a server starting
    hundreds of runs a second still gets no two alike)."""
    return f"{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(4)}"


def run_log_dir(config: RunConfig, run_id: str) -> Path | None:
    """Where the run ``run_id`` of ``config`` writes its log folder (``None``: its
    ``ui.logging_enabled`` is off). Relative to the working directory, as the CLI's are."""
    return DEFAULT_LOG_ROOT / run_id if config.ui.logging_enabled else None


def _plain(_instance: Any, _field: Any, value: Any) -> Any:
    if isinstance(value, BaseException):
        return f"{type(value).__name__}: {value}"
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, Path):
        return str(value)
    return value


_DELTAS = (TextDelta, ReasoningDelta, ReasoningSummaryDelta)


def event_record(event: CoordinationEvent) -> dict[str, Any]:
    """An event as plain JSON-ready data (``kind`` first)."""
    if isinstance(event, AgentOutput):
        inner = event.event
        if isinstance(inner, _DELTAS):
            return {"kind": inner.kind, "agent": event.agent_id, "phase": event.phase, "text": inner.text}
        data = attrs.asdict(inner, value_serializer=_plain)  # type: ignore[arg-type, unused-ignore]
        return {"kind": data.pop("kind"), "agent": event.agent_id, "phase": event.phase, **data}
    if isinstance(event, RunFinished):
        return {"kind": event.kind, "result": event.result.to_dict()}
    data = attrs.asdict(event, value_serializer=_plain)  # type: ignore[arg-type, unused-ignore]
    return {"kind": data.pop("kind"), **data}


class RunLog:
    """Writes one run's folder."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self._events: IO[str] = (directory / "events.jsonl").open("w", encoding="utf-8", buffering=1)
        self._started = time.monotonic()
        self._prefixes: dict[tuple[str, str, str], str] = {}

    @classmethod
    def create(cls, root: Path = DEFAULT_LOG_ROOT, run_id: str | None = None) -> RunLog:
        """A run folder ``root/run_id`` (``run_id`` must name a folder directly inside ``root``)."""
        from ..tools.workspace.paths import contained

        return cls(contained(Path(root), run_id or new_run_id(), what="run id"))

    def write(self, event: CoordinationEvent, record: dict[str, Any] | None = None) -> None:
        """Append ``event`` (``record``: its :func:`event_record`, when the caller has it)."""
        t = round(time.monotonic() - self._started, 6)
        if isinstance(event, AgentOutput) and isinstance(event.event, _DELTAS):  # the hot path
            key = (event.event.kind, event.agent_id, event.phase)
            prefix = self._prefixes.get(key)
            if prefix is None:
                prefix = self._prefixes[key] = json.dumps(
                    {"kind": key[0], "agent": key[1], "phase": key[2]}, ensure_ascii=False
                )[:-1]
            text = json.dumps(redact(event.event.text), ensure_ascii=False)
            self._events.write(f'{prefix}, "text": {text}, "t": {t}}}\n')
            return
        line = {**(event_record(event) if record is None else record), "t": t}
        self._events.write(redact(json.dumps(line, ensure_ascii=False, default=str)) + "\n")
        if isinstance(event, RunFinished):
            result = event.result
            (self.directory / "final_answer.md").write_text(
                redact(result.final_answer) + "\n", encoding="utf-8"
            )
            (self.directory / "result.json").write_text(
                json.dumps(redact_data(result.to_dict()), indent=2, ensure_ascii=False) + "\n",
                encoding="utf-8",
            )

    def close(
        self, *, stopped: Literal["failed", "cancelled"] | None = None, error: str | None = None
    ) -> None:
        """Close the file; ``stopped`` says why a run ended without its result (``error``: how it
        failed), in a last ``run_stopped`` line."""
        if stopped is not None and not self._events.closed:
            t = round(time.monotonic() - self._started, 6)
            record = {"kind": "run_stopped", "status": stopped, "error": error, "t": t}
            self._events.write(redact(json.dumps(record, ensure_ascii=False)) + "\n")
        self._events.close()


@cache
def _redacting_formatter() -> type[ProcessorFormatter]:
    """structlog's ``ProcessorFormatter``, with every rendered line (tracebacks too) redacted."""
    import structlog

    class RedactingFormatter(structlog.stdlib.ProcessorFormatter):
        def format(self, record: logging.LogRecord) -> str:
            return redact(super().format(record))

    return RedactingFormatter


def configure_logging(*, debug: bool = False, stream: IO[str] | None = None) -> None:
    """Send structlog's events through ``logging``: warnings (all, with ``debug``) to stderr."""
    import structlog

    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    logger = logging.getLogger(_LOGGER)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    for handler in [h for h in logger.handlers if getattr(h, "_massgen_console", False)]:
        logger.removeHandler(handler)
    console = logging.StreamHandler(stream or sys.stderr)
    console.setLevel(logging.DEBUG if debug else logging.WARNING)
    console.setFormatter(_redacting_formatter()(processor=structlog.dev.ConsoleRenderer(colors=False)))
    console._massgen_console = True  # type: ignore[attr-defined]
    logger.addHandler(console)


class _ThisRunsFile(logging.Handler):
    """The one handler on the ``massgen`` logger for every run's log file: it passes a record to
    the file of the run going on in the record's context (see :func:`log_file`), so a record
    costs the same however many runs go on at once."""

    def handle(self, record: logging.LogRecord) -> bool:
        handler = _RUN_LOG.get()
        return handler is not None and bool(handler.handle(record))

    def emit(self, record: logging.LogRecord) -> None:  # pragma: no cover - handle() passes it on
        self.handle(record)


_THIS_RUNS_FILE = _ThisRunsFile(logging.DEBUG)


@contextmanager
def log_file(directory: Path) -> Iterator[Path]:
    """Also write the ``massgen`` log records of this run to ``directory/massgen.log.jsonl``
    meanwhile. "This run" is the code that runs in this context: the task inside the ``with``,
    and the tasks and threads it starts (they copy its context). So runs going on at once in one
    process (a server's requests) each get their own records only."""
    import structlog

    path = directory / "massgen.log.jsonl"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(_redacting_formatter()(processor=structlog.processors.JSONRenderer()))
    logger = logging.getLogger(_LOGGER)
    if _THIS_RUNS_FILE not in logger.handlers:
        logger.addHandler(_THIS_RUNS_FILE)
    token = _RUN_LOG.set(handler)
    try:
        yield path
    finally:
        with contextlib.suppress(ValueError):  # reset in another context (a generator closed elsewhere)
            _RUN_LOG.reset(token)
        handler.close()
