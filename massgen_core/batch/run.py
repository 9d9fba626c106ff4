"""Running a batch: many questions, each a whole coordination, some at once, results as they end.

::

    import massgen_core

    async for line in massgen_core.run_batch("team.yaml", "questions.jsonl", concurrency=8):
        print(line["id"], line["status"], line["final_answer"])

Each result is the question's output line (see :func:`~massgen_core.batch.records.result_record`),
yielded as soon as that question ends, in the order they end. ``engine="ray"`` runs the questions
as Ray tasks (see :mod:`massgen_core.batch.engines.ray`). Stopping early (``break``, cancellation)
cancels the questions still running and releases the engine.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
from collections.abc import AsyncGenerator, Iterable, Mapping
from contextlib import aclosing
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from ..plugin.errors import MassgenError
from ..records.runlog import DEFAULT_LOG_ROOT, new_run_id
from ..records.sessions import DEFAULT_SESSION_ROOT
from .answer import Places
from .engines import ENGINES, Engine
from .questions import Question, check_unique, parse_questions, read_questions
from .source import ConfigSource, needed_env

if TYPE_CHECKING:
    from ..config.model import RunConfig
    from ..host.registry import Registry

    ConfigInput: TypeAlias = RunConfig | Mapping[str, Any] | str | os.PathLike[str]
    QuestionsInput: TypeAlias = str | os.PathLike[str] | Iterable[Question | str | Mapping[str, Any]]

__all__ = ["Batch", "EngineName", "run_batch"]

EngineName = Literal["local", "ray"]


def as_questions(questions: QuestionsInput) -> list[Question]:
    """``questions`` as :class:`Question`\\ s: a file path, or items that are questions, plain
    strings (numbered from 1) or mappings like input lines (``{"id": ..., "question": ...}``)."""
    if isinstance(questions, str | os.PathLike):
        return read_questions(Path(questions))
    items = list(questions)
    if all(isinstance(item, Question) for item in items):  # kept whole (with their agents)
        return check_unique(item for item in items if isinstance(item, Question))
    lines = []
    for item in items:
        if isinstance(item, Question):
            lines.append(json.dumps({"id": item.id, "question": item.text, **item.extra}))
        elif isinstance(item, str):
            lines.append(json.dumps({"question": item}))
        else:
            lines.append(json.dumps(dict(item), default=str))
    return parse_questions(lines, "<questions>")


def default_places(config: RunConfig, *, logs: bool = True) -> Places:
    """A session per question in the config's session store; run logs in a new
    ``.massgen/logs/batch-<id>/`` folder (none when ``logs`` is false or the config turns logging
    off); the Ray engine's per-question working folders in ``.massgen/batch/batch-<id>/``."""
    sessions = Path(config.orchestrator.session_storage or DEFAULT_SESSION_ROOT).absolute()
    batch_id = f"batch-{new_run_id()}"
    log_root = (DEFAULT_LOG_ROOT / batch_id).absolute()
    work = (DEFAULT_LOG_ROOT.parent / "batch" / batch_id).absolute()
    return Places(sessions=sessions, logs=log_root if logs and config.ui.logging_enabled else None, work=work)


class Batch:
    """A batch: its config, questions, engine and concurrency (``run_batch`` is the short way).

    :param config: a :class:`RunConfig`, a mapping with the YAML structure, or a YAML file path.
    :param questions: see :func:`as_questions`.
    :param skip: ids not to run (``--resume``: those already in the output).
    :param concurrency: questions at once (default: the engine's).
    :param engine: ``"local"`` (this process) or ``"ray"``.
    :param ray_address: the Ray cluster (default ``RAY_ADDRESS``, else a local cluster).
    :param ray_cpus: the local Ray cluster's logical CPUs.
    :raises ConfigError, BatchInputError: before anything runs.
    """

    def __init__(
        self,
        config: ConfigInput,
        questions: QuestionsInput,
        *,
        skip: Iterable[str] = (),
        concurrency: int | None = None,
        engine: EngineName = "local",
        logs: bool = True,
        places: Places | None = None,
        ray_address: str | None = None,
        ray_cpus: int | None = None,
        registry: Registry | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        from ..host.registry import get_registry
        from ..runtime.team import resolve_config

        if engine not in ENGINES:
            raise MassgenError(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}")
        if concurrency is not None and concurrency < 1:
            raise MassgenError(f"concurrency must be at least 1, not {concurrency}")
        self.registry = registry or get_registry()
        self.questions = as_questions(questions)
        self.config = resolve_config(config, registry=self.registry, environ=environ)
        skipped = {str(k) for k in skip}
        self.pending = [q for q in self.questions if q.key not in skipped]
        self.skipped = len(self.questions) - len(self.pending)
        self.places = places or default_places(self.config, logs=logs)
        self.engine: Engine
        if engine == "local":
            from .engines.local import LocalEngine, shares_workspaces

            if concurrency is not None and concurrency > 1 and shares_workspaces(self.config):
                raise MassgenError(
                    "this team's agents use workspaces (cwd, commands or context paths), which questions "
                    "answered in one process share: use --concurrency 1, or --engine ray (each question "
                    "in a working folder of its own)"
                )
            self.engine = LocalEngine(self.config, self.places, registry=self.registry, environ=environ)
        else:
            module = importlib.import_module(ENGINES[engine])
            source = ConfigSource.of(
                self.config if not isinstance(config, str | os.PathLike | Mapping) else config
            )
            env = needed_env(source, self.config, self.registry, os.environ if environ is None else environ)
            self.engine = module.RayEngine(
                source, self.places, env=env, address=ray_address, num_cpus=ray_cpus
            )
        self._concurrency = concurrency
        self._started = False

    @property
    def concurrency(self) -> int:
        """Questions at once (the engine's default until set; known after :meth:`start` for Ray)."""
        return self._concurrency or self.engine.default_concurrency()

    async def start(self) -> None:
        """Start the engine (a Ray cluster takes seconds); :meth:`results` starts it if needed."""
        if not self._started:
            self._started = True
            await self.engine.start()

    async def close(self) -> None:
        """Release the engine (stop the Ray cluster started here); :meth:`results` does it at its end."""
        await self.engine.close()

    async def results(self) -> AsyncGenerator[dict[str, Any], None]:
        """Run the pending questions; yield each one's output line as soon as it ends. The engine
        is closed at the end, also when the caller stops early or the run is cancelled."""
        tasks: set[asyncio.Task[dict[str, Any]]] = set()
        try:
            await self.start()
            waiting = iter(self.pending)

            def launch() -> None:
                question = next(waiting, None)
                if question is not None:
                    tasks.add(asyncio.ensure_future(self.engine.answer(question)))

            for _ in range(self.concurrency):
                launch()
            while tasks:
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    tasks.discard(task)
                    launch()
                for task in done:
                    yield task.result()
        finally:
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            await self.close()


async def run_batch(
    config: ConfigInput,
    questions: QuestionsInput,
    **options: Any,
) -> AsyncGenerator[dict[str, Any], None]:
    """Answer every question with the agents of ``config``; yield each output line as it ends
    (see the module docstring; ``options`` are :class:`Batch`'s)."""
    batch = Batch(config, questions, **options)
    async with aclosing(batch.results()) as results:
        async for line in results:
            yield line
