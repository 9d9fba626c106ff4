"""One question of a batch, answered by a whole coordination of the config's team.

Every engine calls :func:`answer` (the Ray engine in its worker processes): a
:class:`~massgen_core.runtime.team.Team` for the question, its turn saved in a session of its own
and its run log in a folder of its own, both named on the output line.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ..plugin.errors import MassgenError
from ..records.sessions import Session, SessionStore
from ..runtime.team import Team
from .records import result_record

if TYPE_CHECKING:
    from ..config.model import RunConfig
    from ..host.registry import Registry
    from ..runtime.coordination.result import RunResult
    from .questions import Question

__all__ = ["Places", "answer", "answering_config", "log_folder_name", "worker_info"]


@attrs.frozen(kw_only=True)
class Places:
    """Where a batch keeps its records.

    :param sessions: the session store's root (one session per question).
    :param logs: the batch's log folder (one run folder per question inside); ``None``: no run logs.
    :param work: where an engine that runs each question in a process of its own (Ray) gives each
        question a working folder, so the agents' ``.massgen`` workspaces are that question's own.
    """

    sessions: Path
    logs: Path | None
    work: Path | None = None


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def log_folder_name(question: Question) -> str:
    """A folder name for the question's run log: its id when that is a safe name, else a
    cleaned id with a short hash (so different ids never share a folder)."""
    key = question.key
    slug = _UNSAFE.sub("_", key)[:60].strip("._") or "q"
    if slug == key:
        return slug
    return f"{slug}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"


def worker_info() -> dict[str, Any]:
    """Which process answers: its pid and host."""
    return {"pid": os.getpid(), "host": socket.gethostname()}


def _new_session(store: SessionStore) -> Session:
    for _ in range(20):  # ids are per second plus 16 random bits: questions started together may collide
        try:
            return store.create()
        except FileExistsError:
            continue
    return store.create()


def answering_config(config: RunConfig, question: Question) -> RunConfig:
    """``config`` with only the agents ``question`` names (all of them when it names none)."""
    if not question.agents:
        return config
    try:
        agents = tuple(config.agent(agent_id) for agent_id in question.agents)
    except KeyError as exc:
        raise MassgenError(f"question {question.id}: the config has no agent {exc.args[0]!r}") from None
    return attrs.evolve(config, agents=agents)


async def answer(
    config: RunConfig,
    question: Question,
    *,
    places: Places,
    engine: str = "local",
    registry: Registry | None = None,
    environ: Mapping[str, str] | None = None,
    worker: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Answer ``question`` with the agents of ``config`` (those it names: :func:`answering_config`);
    returns its output line.

    A failed question (every agent failed, a bad key...) is a ``failed`` line with the error;
    cancellation propagates (the question's turn is saved as ``cancelled`` and no line is made).
    """
    started = time.monotonic()
    session = _new_session(SessionStore(places.sessions))
    log_dir = places.logs / log_folder_name(question) if places.logs is not None else None
    result: RunResult | None = None
    error: str | None = None
    try:
        async with Team(answering_config(config, question), registry=registry, environ=environ) as team:
            result = await team.run(question.text, session=session, log_dir=log_dir)
    except MassgenError as exc:
        error = str(exc)
    except Exception as exc:  # a plugin's bug must not stop the other questions
        error = f"unexpected {type(exc).__name__}: {exc}"
    return result_record(
        question,
        result=result,
        error=error,
        duration=time.monotonic() - started,
        session=session.id,
        session_dir=str(session.path),
        log_dir=str(log_dir) if log_dir is not None else None,
        engine=engine,
        worker=worker if worker is not None else worker_info(),
    )
