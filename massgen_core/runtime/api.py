"""The Python API: run a question through the agents of a config.

::

    from massgen_core.runtime.api import run, run_sync, coordinate

    result = run_sync("config.yaml", "What is the capital of France?")
    result = run_sync("config.yaml", "What is in this picture?", attachments=["photo.jpg"])
    print(result.final_answer, result.winner, result.vote_counts, result.cost)

    async for event in coordinate(config, question):   # to show progress yourself
        ...

``config`` is a :class:`~massgen_core.config.RunConfig`, a mapping (the YAML structure) or a
path to a YAML file. ``session`` (a :class:`~massgen_core.records.sessions.Session`) puts its earlier
turns in context and saves this turn to it; ``log_dir`` writes the run's log folder there.
To ask the same agents several questions without restarting their MCP servers, use a
:class:`~massgen_core.runtime.team.Team`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from contextlib import aclosing
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from .coordination import CoordinationEvent, RunResult
from .team import Team, resolve_config

if TYPE_CHECKING:
    from ..config.model import RunConfig
    from ..host.registry import Registry
    from ..records.sessions import Session
    from .team import Attachment

    #: a config object, a mapping with the YAML structure, or a YAML file path
    ConfigInput: TypeAlias = RunConfig | Mapping[str, Any] | str | os.PathLike[str]

__all__ = ["Team", "coordinate", "resolve_config", "run", "run_sync"]


async def coordinate(
    config: ConfigInput,
    question: str,
    *,
    history: Sequence[tuple[str, str]] = (),
    session: Session | None = None,
    log_dir: Path | None = None,
    registry: Registry | None = None,
    environ: Mapping[str, str] | None = None,
    attachments: Sequence[Attachment] = (),
) -> AsyncGenerator[CoordinationEvent, None]:
    """Yield the run's events; the last is :class:`RunFinished` with the result.

    A :class:`~massgen_core.runtime.team.Team` used for one question: its agents are set up, answer,
    and are closed. To ask several questions without restarting MCP servers, use a ``Team``.

    :param history: earlier (question, final answer) turns to keep in context.
    :param session: takes the history from this session and saves the turn to it (also when
        the run fails or is cancelled, with that status).
    :param log_dir: write the run's log folder (events, result, final answer) there.
    :param attachments: files given to every agent with the question: paths, URLs or
        :class:`~massgen_core.plugin.messages.MediaPart` parts (a file's type is read from its content).
    :raises CoordinationError: every agent failed (the events before say why each did).
    :raises AttachmentError: an attachment is missing or an agent's backend or model cannot take it.
    """
    async with (
        Team(config, registry=registry, environ=environ) as team,
        aclosing(
            team.coordinate(
                question, history=history, session=session, log_dir=log_dir, attachments=attachments
            )
        ) as events,
    ):
        async for event in events:  # closed before the team, also when the caller stops early
            yield event


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
    attachments: Sequence[Attachment] = (),
) -> RunResult:
    """Run ``question`` and return the result; ``on_event`` sees every event on the way (a
    display, say). The other parameters are :func:`coordinate`'s."""
    async with Team(config, registry=registry, environ=environ) as team:
        return await team.run(
            question,
            history=history,
            session=session,
            log_dir=log_dir,
            on_event=on_event,
            attachments=attachments,
        )


def run_sync(
    config: ConfigInput,
    question: str,
    **kwargs: Any,
) -> RunResult:
    """:func:`run` for code that is not async."""
    return asyncio.run(run(config, question, **kwargs))
