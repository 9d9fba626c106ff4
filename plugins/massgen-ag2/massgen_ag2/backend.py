"""The ``ag2`` backend: an AG2 agent or group chat answering MassGen's requests.

Each request runs on the backend's AG2 thread (:mod:`.bridge`); what AG2 reports streams back
as MassGen events while it runs, and the turn ends with one ``Done``. Stopping the stream (the
core cancels it: timeout, Ctrl-C, the run ended) stops the AG2 run: pending tool calls and
code executions are cancelled (their commands killed), the AG2 task is cancelled, and a model
reply still streaming stops at its next chunk.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import AsyncIterator
from typing import Any

from massgen_core.plugin import (
    BackendContext,
    BackendError,
    BackendTimeoutError,
    ChatRequest,
    Done,
    StreamEvent,
    connection_failed,
    map_http_error,
)

from .bridge import Ag2Thread, MainLoop, RunCancelled
from .events import install_usage_logger, quiet_ag2_output
from .llm import KEY_ENV, resolve_llm
from .options import Ag2Options, first_llm
from .run import Ag2Run

__all__ = ["Ag2Backend"]

_FINISHED: Any = object()


class Ag2Backend:
    def __init__(self, options: Ag2Options, context: BackendContext) -> None:
        self.options = options
        self.context = context
        quiet_ag2_output()
        install_usage_logger()
        for llm in self._llms():  # a missing API key fails now, with the env var to set
            resolve_llm(llm, context)
        self._thread = Ag2Thread(f"ag2-{context.agent_id or 'agent'}")

    def _llms(self) -> list[Any]:
        single = self.options.single_agent
        if single is not None:
            return [first_llm(single.llm_config)]
        group = self.options.group_config
        assert group is not None
        manager = group.manager_llm() if group.pattern.type == "auto" else None
        return [llm for llm in [*group.llms(), manager] if llm is not None]

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        queue: asyncio.Queue[StreamEvent] = asyncio.Queue()
        main = MainLoop(asyncio.get_running_loop())
        run = Ag2Run(self.options, self.context, request, main, queue)
        future = self._thread.submit(run.execute())
        future.add_done_callback(lambda _f: main.post(queue.put_nowait, _FINISHED))
        try:
            while (event := await queue.get()) is not _FINISHED:
                yield event
            yield self._outcome(future)
        finally:
            if not future.done():
                main.cancel()
                future.cancel()
                run.close_clients()

    def _outcome(self, future: concurrent.futures.Future[Done]) -> Done:
        try:
            return future.result()
        except (BackendError, asyncio.CancelledError):
            raise
        except concurrent.futures.CancelledError:
            raise asyncio.CancelledError from None
        except RunCancelled:
            raise asyncio.CancelledError from None
        except Exception as exc:
            raise self._error(exc) from exc

    def _error(self, exc: BaseException) -> BackendError:
        """An exception of AG2 or of its model client as a MassGen error."""
        model = self.options.model
        status = getattr(exc, "status_code", None)
        name = type(exc).__name__
        if isinstance(status, int):
            response = getattr(exc, "response", None)
            headers = dict(getattr(response, "headers", None) or {})
            message = str(getattr(exc, "message", None) or exc)
            return map_http_error(
                status,
                message,
                backend="ag2",
                model=model,
                headers=headers,
                code=getattr(exc, "code", None),
                api_key_env=self._key_env(),
            )
        if "Connection" in name:
            return connection_failed(backend="ag2", base_url=self._base_url(), detail=str(exc), model=model)
        if isinstance(exc, TimeoutError) or "Timeout" in name:
            return BackendTimeoutError(
                f"ag2: the model did not answer in time: {exc}", backend="ag2", model=model
            )
        return BackendError(f"ag2: the AG2 run failed: {name}: {exc}", backend="ag2", model=model)

    def _key_env(self) -> list[str]:
        return sorted({v for llm in self._llms() for v in KEY_ENV[llm.api_type]})

    def _base_url(self) -> str | None:
        return next((llm.base_url for llm in self._llms() if llm.base_url), self.context.base_url)

    async def aclose(self) -> None:
        await asyncio.to_thread(self._thread.stop)
