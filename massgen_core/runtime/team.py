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
    from ..config.model import BackendConfig, RunConfig
    from ..host.registry import Registry
    from ..plugin.messages import MediaPart, Part
    from ..records.sessions import Session, TurnStatus

    #: a file given with the question: a path, a URL, or a ready part
    Attachment: TypeAlias = str | os.PathLike[str] | MediaPart

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


def _milestone_logger() -> Any:
    """structlog's ``massgen.run`` logger, for coordination milestones, when the application
    configured structlog (else ``None``)."""
    import structlog

    return structlog.get_logger("massgen.run") if structlog.is_configured() else None


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

    def load_backends(self) -> None:
        """Import every agent's backend implementation, and its provider SDK, and make the TLS
        context their HTTP clients share, now rather than for the first question. A server does
        it before it starts: a broken install is refused at once, worker processes forked after
        it share the imported code and the context (loading the certificate authorities takes
        50-100 ms), and no first request waits for either.

        :raises BackendUnavailableError: a backend is installed but cannot be imported.
        """
        from ..plugin.http import shared_ssl_context

        for backend_type in dict.fromkeys(agent.backend.type for agent in self.config.agents):
            self.registry.factory(backend_type)
        shared_ssl_context()

    def attachments(self, attachments: Sequence[Attachment] = ()) -> dict[str, tuple[Part, ...]]:
        """What each agent is given with a question: its ``upload_files``, then ``attachments``
        (checked against its backend and model), as its backend is sent them.

        :raises AttachmentError: an attachment is missing or an agent cannot take it.
        """
        from ..config.uploads import AttachmentError, check_attachments, given_parts, resolve_attachments

        extra = resolve_attachments(attachments)
        agents = [(a.id, a.backend.type, self._model(a.backend)) for a in self.config.agents]
        check_attachments(extra, agents, self.registry)
        try:
            return {
                agent.id: given_parts(
                    (*agent.backend.uploads, *extra),
                    self.registry.capabilities(agent.backend.type, self._model(agent.backend)),
                )
                for agent in self.config.agents
            }
        except (OSError, ValueError) as exc:  # a file changed since it was checked
            raise AttachmentError(f"cannot read an attachment: {exc}") from None

    def _model(self, backend: BackendConfig) -> str | None:
        return backend.model or self.registry.spec(backend.type).default_model

    async def coordinate(
        self,
        question: str,
        *,
        history: Sequence[tuple[str, str]] = (),
        session: Session | None = None,
        log_dir: Path | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> AsyncGenerator[CoordinationEvent, None]:
        """Yield the question's events; the last is :class:`RunFinished` with the result.

        :param attachments: files given to every agent with the question (paths, URLs or
            :class:`~massgen_core.plugin.messages.MediaPart` parts; a file's type is read from its
            content), besides each agent's ``upload_files``.
        :raises AttachmentError: an attachment is missing, or an agent's backend or model cannot
            take it (checked before any agent starts).
        :param history: earlier (question, final answer) turns to keep in context (after the
            session's own, when both are given).
        :param session: takes the history from this session and saves the turn to it (also when
            the run fails or is cancelled, with that status).
        :param log_dir: write the run's log folder (events, result, final answer) there.
        :raises CoordinationError: every agent failed (the events before say why each did).
        """
        if self._busy:
            raise RuntimeError("a Team answers one question at a time")
        given = self.attachments(attachments)
        self._busy = True
        turns = [*(session.history() if session is not None else ()), *history]
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
                    attachments=given,
                )
                milestones = _milestone_logger()
                async with aclosing(orchestrator.run(question)) as events:
                    async for event in events:
                        # every event goes to the run log; all but an agent's output are milestones
                        milestone = milestones is not None and not isinstance(event, AgentOutput)
                        record = event_record(event) if milestone else None
                        if log is not None:
                            log.write(event, record)
                        if record is not None:
                            milestones.info(
                                record["kind"], **{k: v for k, v in record.items() if k != "kind"}
                            )
                        if isinstance(event, RunFinished):
                            result = event.result
                        yield event
        except Exception as exc:
            error = str(exc)
            raise
        finally:
            self._busy = False
            if log is not None:
                log.close(stopped=None if result else ("failed" if error else "cancelled"), error=error)
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
        attachments: Sequence[Attachment] = (),
    ) -> RunResult:
        """Answer ``question`` and return the result; ``on_event`` sees every event on the way
        (a display, say). The other parameters are :meth:`coordinate`'s."""
        result: RunResult | None = None
        async for event in self.coordinate(
            question, history=history, session=session, log_dir=log_dir, attachments=attachments
        ):
            if on_event is not None:
                on_event(event)
            if isinstance(event, RunFinished):
                result = event.result
        assert result is not None, "a run ends with RunFinished or an error"
        return result
