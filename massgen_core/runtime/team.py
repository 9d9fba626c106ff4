"""A config's agents kept up for several questions.

::

    async with Team("team.yaml") as team:
        first = await team.run("Plan a trip to Lisbon.")
        second = await team.run("And for a week in Porto?", history=[(first.question, first.final_answer)])

The agents' backends, MCP servers and workspaces are set up at the first question (so its run
log has their start) and stay up until the team is closed: later questions do not restart the
servers, and a server's state (an open browser, a loaded index) carries over. Each question is
its own coordination with its own usage; snapshots and views of the agents' answers are cleared
between questions. A team answers one question at a time. :func:`massgen_core.runtime.api.run` is a
team used for one question; interactive mode keeps one team for the whole session.
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from contextlib import AsyncExitStack, aclosing, nullcontext
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeAlias

from ..records.runlog import RunLog, event_record, log_file
from .assemble import Assembled, agent_infos, assembled_agents
from .coordination import CoordinationEvent, CoordinationSettings, Orchestrator, RunFinished, RunResult
from .coordination.events import AgentOutput
from .usage import UsageLedger

if TYPE_CHECKING:
    from ..config.model import RunConfig
    from ..host.registry import Registry
    from ..records.sessions import Session, TurnStatus

    #: a config object, a mapping with the YAML structure, or a YAML file path
    ConfigInput: TypeAlias = RunConfig | Mapping[str, Any] | str | os.PathLike[str]

__all__ = ["Team", "resolve_config"]


def resolve_config(
    config: ConfigInput,
    *,
    registry: Registry | None = None,
    environ: Mapping[str, str] | None = None,
) -> RunConfig:
    """``config`` as a validated :class:`RunConfig` (loading a path or a mapping)."""
    from ..config.loader import load_config
    from ..config.model import RunConfig

    if isinstance(config, RunConfig):  # built in Python: its secrets are masked in logs too
        from ..config.secrets import remember_config

        remember_config(config=config, registry=registry, environ=os.environ if environ is None else environ)
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


class Team:
    """The agents of ``config``, answering questions one at a time (see the module docstring).

    :param config: a :class:`RunConfig`, a mapping with the YAML structure, or a YAML file path.
    :param registry: the backend registry (default: the installed plugins).
    :param environ: where backends read their API keys (default: ``os.environ``).
    """

    def __init__(
        self,
        config: ConfigInput,
        *,
        registry: Registry | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        from ..host.registry import get_registry

        self.registry = registry or get_registry()
        self.config = resolve_config(config, registry=self.registry, environ=environ)
        self.environ = environ
        self._stack: AsyncExitStack | None = None
        self._assembled: Assembled | None = None
        self._busy = False

    async def __aenter__(self) -> Team:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the backends and stop the MCP servers; the next question sets them up again."""
        stack, self._stack, self._assembled = self._stack, None, None
        if stack is not None:
            await stack.aclose()

    async def _assemble(self) -> Assembled:
        if self._assembled is None:
            stack = AsyncExitStack()  # holds nothing if setting up fails: assembled_agents cleans up itself
            self._assembled = await stack.enter_async_context(
                assembled_agents(self.config, registry=self.registry, environ=self.environ)
            )
            self._stack = stack
        return self._assembled

    async def coordinate(
        self,
        question: str,
        *,
        history: Sequence[tuple[str, str]] = (),
        session: Session | None = None,
        log_dir: Path | None = None,
    ) -> AsyncGenerator[CoordinationEvent, None]:
        """Yield the question's events; the last is :class:`RunFinished` with the result.

        :param history: earlier (question, final answer) turns to keep in context.
        :param session: takes the history from this session and saves the turn to it (also when
            the run fails or is cancelled, with that status).
        :param log_dir: write the run's log folder (events, result, final answer) there.
        :raises CoordinationError: every agent failed (the events before say why each did).
        """
        if self._busy:
            raise RuntimeError("a Team answers one question at a time")
        self._busy = True
        turns = session.history() if session is not None else list(history)
        log = RunLog(log_dir) if log_dir is not None else None
        result: RunResult | None = None
        error: str | None = None
        try:
            with log_file(log.directory) if log else nullcontext():
                assembled = await self._assemble()
                orchestrator = Orchestrator(
                    assembled.agents,
                    CoordinationSettings.from_config(self.config),
                    history=turns,
                    infos=agent_infos(self.config, self.registry),
                    ledger=UsageLedger(),  # this question's usage only
                    hooks=assembled.hooks,
                )
                async with aclosing(orchestrator.run(question)) as events:
                    async for event in events:
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
            self._busy = False
            if log is not None:
                log.close()
            if session is not None:
                status: TurnStatus = "completed" if result else ("failed" if error else "cancelled")
                session.save_turn(question, result=result, status=status, error=error, log_dir=log_dir)

    async def run(
        self,
        question: str,
        *,
        history: Sequence[tuple[str, str]] = (),
        session: Session | None = None,
        log_dir: Path | None = None,
        on_event: Callable[[CoordinationEvent], object] | None = None,
    ) -> RunResult:
        """Answer ``question`` and return the result; ``on_event`` sees every event on the way
        (a display, say). The other parameters are :meth:`coordinate`'s."""
        result: RunResult | None = None
        async for event in self.coordinate(question, history=history, session=session, log_dir=log_dir):
            if on_event is not None:
                on_event(event)
            if isinstance(event, RunFinished):
                result = event.result
        assert result is not None, "a run ends with RunFinished or an error"
        return result
