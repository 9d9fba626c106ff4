"""``--engine ray``: each question is a Ray task on a cluster.

The cluster is the one this process is already connected to (``ray.init`` by the application),
else ``address`` (``--ray-address``), else ``RAY_ADDRESS``, else a local one started here
(``num_cpus`` logical CPUs, no dashboard) and stopped at the end. Workers load the same config
themselves (:class:`~massgen_core.batch.source.ConfigSource`); the API keys and base URLs it needs
reach them as the tasks' ``runtime_env`` environment variables, never as task arguments. Before
any question, one task loads the config on a worker, so a cluster without the plugins (or without a
key) is one clear error instead of a failed line per question. ``ray`` is imported only here, and
only when the engine starts.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...plugin.errors import MassgenError
from ..answer import Places, answer, log_folder_name, worker_info
from ..records import result_record

if TYPE_CHECKING:
    from ...config.model import RunConfig
    from ..questions import Question
    from ..source import ConfigSource

__all__ = ["INSTALL_HINT", "RayEngine", "answer_in_worker", "check_worker"]

INSTALL_HINT = "pip install 'massgen-core[ray]'"


def _ray_context() -> dict[str, Any]:
    import ray

    context = ray.get_runtime_context()
    return {**worker_info(), "node_id": context.get_node_id(), "task_id": context.get_task_id()}


def _enter(source: ConfigSource) -> None:
    """Work where the driver works when this node shares its file system (relative paths, ``.massgen``)."""
    if os.path.isdir(source.base_dir) and os.getcwd() != source.base_dir:
        os.chdir(source.base_dir)


def check_worker(source: ConfigSource) -> dict[str, Any]:
    """Ray task: load the config on a worker; returns where it ran (raises ``ConfigError``)."""
    _enter(source)
    source.load()
    return _ray_context()


#: configs loaded in this worker process, by source (a worker runs many questions of one batch)
_LOADED: dict[str, RunConfig] = {}


def _load(source: ConfigSource) -> RunConfig:
    if source.text is None:
        return source.load()
    key = "\0".join((source.text, source.filename, source.base_dir))
    if key not in _LOADED:
        _LOADED.clear()  # one batch's config at a time
        _LOADED[key] = source.load()
    return _LOADED[key]


def answer_in_worker(source: ConfigSource, question: Question, places: Places) -> dict[str, Any]:
    """Ray task: answer one question in the worker process (a worker runs one task at a time, in
    the question's own working folder); returns its output line."""
    _enter(source)
    config = _load(source)  # relative paths resolve against the driver's folder
    if places.work is not None:
        folder = places.work / log_folder_name(question)
        folder.mkdir(parents=True, exist_ok=True)
        os.chdir(folder)
    return asyncio.run(answer(config, question, places=places, engine="ray", worker=_ray_context()))


class _NoThreadWarning(logging.Filter):
    """Ray warns that it cannot set its SIGTERM handler off the main thread: massgen handles SIGTERM itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("SIGTERM handler is not set")


def _reason(exc: BaseException) -> str:
    """A task failure in one line: the worker's exception, not Ray's wrapper and traceback."""
    cause = getattr(exc, "cause", None)
    inner = cause if isinstance(cause, BaseException) else exc
    text = str(inner).strip().splitlines()
    return f"{type(inner).__name__}: {text[0] if text else ''}".rstrip(": ")


class RayEngine:
    """Questions as Ray tasks (see the module docstring).

    :param env: the environment variables the workers need (see :func:`~massgen_core.batch.source.needed_env`).
    :param num_cpus: the local cluster's logical CPUs (default: this machine's); ignored when joining one.
    :param task_cpus: the CPUs each question's task reserves.
    """

    name = "ray"

    def __init__(
        self,
        source: ConfigSource,
        places: Places,
        *,
        env: Mapping[str, str],
        address: str | None = None,
        num_cpus: int | None = None,
        task_cpus: float = 1.0,
    ) -> None:
        self.source = source
        self.places = places
        self.env = dict(env)
        self.address = address or os.environ.get("RAY_ADDRESS") or None
        self.num_cpus = num_cpus
        self.task_cpus = task_cpus
        self._started_here = False
        self._remote: Any = None
        self.cluster_cpus = 0.0
        #: seconds ``ray.init`` took, and where the config check ran
        self.start_seconds = 0.0
        self.checked_on: dict[str, Any] = {}

    def _init(self) -> None:
        try:
            import ray
        except ImportError:
            raise MassgenError(f"--engine ray needs Ray: {INSTALL_HINT}") from None
        import time

        logging.getLogger("ray._private.worker").addFilter(_NoThreadWarning())
        started = time.monotonic()
        if not ray.is_initialized():  # else the application's own connection is used (and kept)
            options: dict[str, Any] = {
                "log_to_driver": False,
                "logging_level": logging.WARNING,
                "include_dashboard": False,
            }
            if self.address is None:
                options["num_cpus"] = self.num_cpus or os.cpu_count() or 1
            try:
                ray.init(address=self.address, **options)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                where = self.address or "a local cluster"
                raise MassgenError(f"cannot start Ray on {where}: {_reason(exc)}") from None
            self._started_here = True
        self.start_seconds = time.monotonic() - started
        self.cluster_cpus = float(ray.cluster_resources().get("CPU", 0.0))  # type: ignore[no-untyped-call]
        # the keys travel as the tasks' environment: they reach the workers of any cluster
        runtime_env: dict[str, Any] = {"env_vars": self.env} if self.env else {}
        check = ray.remote(num_cpus=self.task_cpus, max_retries=0, runtime_env=runtime_env)(check_worker)
        try:
            self.checked_on = ray.get(check.remote(self.source))
        except Exception as exc:
            raise MassgenError(
                f"a Ray worker cannot load the config: {_reason(exc)}\n"
                "every node needs massgen-core and the config's backend plugins installed, "
                "and the config's API keys set in the driver's environment"
            ) from None
        self._remote = ray.remote(num_cpus=self.task_cpus, max_retries=0, runtime_env=runtime_env)(
            answer_in_worker
        )

    async def start(self) -> None:
        await asyncio.to_thread(self._init)

    def default_concurrency(self) -> int:
        return max(1, int(self.cluster_cpus // self.task_cpus) if self.task_cpus else 1)

    async def answer(self, question: Question) -> dict[str, Any]:
        import time

        import ray

        started = time.monotonic()
        ref = self._remote.remote(self.source, question, self.places)
        try:
            record: dict[str, Any] = await ref
        except asyncio.CancelledError:
            ray.cancel(ref)
            raise
        except Exception as exc:  # the task died (worker crash, lost node): this question failed
            return result_record(
                question,
                result=None,
                error=f"the Ray task failed: {_reason(exc)}",
                duration=time.monotonic() - started,
                session=None,
                session_dir=None,
                log_dir=None,
                engine=self.name,
                worker={},
            )
        return record

    async def close(self) -> None:
        if self._started_here:
            import ray

            self._started_here = False
            await asyncio.to_thread(ray.shutdown)
