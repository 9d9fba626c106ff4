"""The Python API: run a question through the agents of a config.

::

    from massgen_core.api import run, run_sync, coordinate

    result = run_sync("config.yaml", "What is the capital of France?")
    print(result.final_answer, result.winner, result.vote_counts, result.cost)

    async for event in coordinate(config, question):   # to show progress yourself
        ...

``config`` is a :class:`~massgen_core.config.RunConfig`, a mapping (the YAML structure) or a
path to a YAML file. ``session`` (a :class:`~massgen_core.sessions.Session`) puts its earlier
turns in context and saves this turn to it; ``log_dir`` writes the run's log folder there.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from .assemble import agent_infos, assembled_agents
from .coordination import CoordinationEvent, CoordinationSettings, Orchestrator, RunFinished, RunResult
from .coordination.events import AgentOutput
from .runlog import RunLog, event_record, log_file

if TYPE_CHECKING:
    from .config import RunConfig
    from .registry import Registry
    from .sessions import Session, TurnStatus

    #: a config object, a mapping with the YAML structure, or a YAML file path
    ConfigInput: TypeAlias = RunConfig | Mapping[str, Any] | str | os.PathLike[str]

__all__ = ["coordinate", "resolve_config", "run", "run_sync"]


def resolve_config(
    config: ConfigInput,
    *,
    registry: Registry | None = None,
    environ: Mapping[str, str] | None = None,
) -> RunConfig:
    """``config`` as a validated :class:`RunConfig` (loading a path or a mapping)."""
    from .config import RunConfig, load_config

    if isinstance(config, RunConfig):
        return config
    return load_config(config, registry=registry, environ=environ)


def _log_milestone(event: CoordinationEvent) -> None:
    """Coordination milestones into structlog, when the application configured it."""
    if isinstance(event, AgentOutput):
        return
    import structlog

    if not structlog.is_configured():
        return
    record = event_record(event)
    structlog.get_logger("massgen.run").info(record.pop("kind"), **record)


async def coordinate(
    config: ConfigInput,
    question: str,
    *,
    history: Sequence[tuple[str, str]] = (),
    session: Session | None = None,
    log_dir: Path | None = None,
    registry: Registry | None = None,
    environ: Mapping[str, str] | None = None,
) -> AsyncIterator[CoordinationEvent]:
    """Yield the run's events; the last is :class:`RunFinished` with the result.

    :param history: earlier (question, final answer) turns to keep in context.
    :param session: takes the history from this session and saves the turn to it (also when
        the run fails or is cancelled, with that status).
    :param log_dir: write the run's log folder (events, result, final answer) there.
    :raises CoordinationError: every agent failed (the events before say why each did).
    """
    from .registry import get_registry

    cfg = resolve_config(config, registry=registry, environ=environ)
    registry = registry or get_registry()
    turns = session.history() if session is not None else list(history)
    log = RunLog(log_dir) if log_dir is not None else None
    result: RunResult | None = None
    error: str | None = None
    try:
        with log_file(log.directory) if log else nullcontext():
            async with assembled_agents(cfg, registry=registry, environ=environ) as assembled:
                orchestrator = Orchestrator(
                    assembled.agents,
                    CoordinationSettings.from_config(cfg),
                    history=turns,
                    infos=agent_infos(cfg, registry),
                    hooks=assembled.hooks,
                )
                async for event in orchestrator.run(question):
                    if log is not None:
                        log.write(event)
                    _log_milestone(event)
                    if isinstance(event, RunFinished):
                        result = event.result
                    yield event
    except Exception as exc:
        error = str(exc)
        raise
    finally:
        if log is not None:
            log.close()
        if session is not None:
            status: TurnStatus = "completed" if result else ("failed" if error else "cancelled")
            session.save_turn(question, result=result, status=status, error=error, log_dir=log_dir)


async def run(
    config: ConfigInput,
    question: str,
    *,
    history: Sequence[tuple[str, str]] = (),
    session: Session | None = None,
    log_dir: Path | None = None,
    registry: Registry | None = None,
    environ: Mapping[str, str] | None = None,
    on_event: Callable[[CoordinationEvent], object] | None = None,
) -> RunResult:
    """Run ``question`` and return the result; ``on_event`` sees every event on the way (a
    display, say). The other parameters are :func:`coordinate`'s."""
    result: RunResult | None = None
    async for event in coordinate(
        config,
        question,
        history=history,
        session=session,
        log_dir=log_dir,
        registry=registry,
        environ=environ,
    ):
        if on_event is not None:
            on_event(event)
        if isinstance(event, RunFinished):
            result = event.result
    assert result is not None, "a run ends with RunFinished or an error"
    return result


def run_sync(
    config: ConfigInput,
    question: str,
    **kwargs: Any,
) -> RunResult:
    """:func:`run` for code that is not async."""
    return asyncio.run(run(config, question, **kwargs))
