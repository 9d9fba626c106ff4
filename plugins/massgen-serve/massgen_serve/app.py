"""The Starlette application: OpenAI's endpoints over the served teams.

Every answer, errors included, is in OpenAI's wire format, so unmodified clients understand
it. No request gets a traceback: a bad request is a 4xx saying what to fix; a team that could
not answer (every agent failed) is a 502 naming each agent's failure; anything else is a 500
whose details go to the server's log only.

A client that goes away cancels its coordination: for a streamed reply Starlette notices the
disconnect; for a plain one the request waits for its result and for the client's disconnect
at once, whichever comes first.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing
from pathlib import Path
from typing import Any

import massgen_core
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from . import responses_wire, wire
from .auth import Keys
from .catalog import Catalog, ServedModel
from .limits import Admission, Limits, read_body
from .runs import Content, Finished, Piece, Progress, ServedRun, StartGate
from .web.app import WebState, web_routes
from .web.security import Access, SecurityHeaders

__all__ = ["ServerState", "create_app", "extension", "usage_of"]

LOG = logging.getLogger("massgen_serve")
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


class ServerState:
    """What every request reads: the teams, the keys, the limits, the running coordinations, and
    the web view of the runs (those of ``log_root``, where served runs write their logs)."""

    def __init__(
        self,
        catalog: Catalog,
        *,
        keys: Keys,
        limits: Limits,
        progress: bool = False,
        log_root: Path = massgen_core.DEFAULT_LOG_ROOT,
        workers: int = 1,
    ) -> None:
        self.catalog = catalog
        self.keys = keys
        self.limits = limits
        self.progress = progress
        self.admission = Admission(limits.max_concurrent, workers=workers)
        self.start_gate = StartGate()
        self.web = WebState(root=log_root, access=Access(keys))

    def authorize(self, request: Request) -> None:
        """Raise the 401 for a request without a valid key (when the server has keys)."""
        refused = self.keys.check(request.headers.get("authorization"))
        if refused is not None:
            raise refused

    def model(self, name: str) -> ServedModel:
        try:
            return self.catalog.models[name]
        except KeyError:
            raise wire.model_not_found(name, self.catalog.names) from None


def error_response(error: wire.ApiError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status, headers=error.headers)


def usage_of(result: massgen_core.RunResult) -> wire.Usage | None:
    """Every agent's tokens summed; ``None`` when no backend reported any."""
    totals = result.total_usage
    if totals.requests and totals.unreported == totals.requests:
        return None
    u = totals.usage
    return wire.Usage(
        prompt_tokens=u.input_tokens,
        completion_tokens=u.output_tokens,
        cached_tokens=u.cached_input_tokens,
        reasoning_tokens=u.reasoning_tokens,
    )


def extension(finished: Finished) -> dict[str, Any]:
    """The ``massgen`` field of a reply: which run it was, who won, the votes (plain clients
    ignore it)."""
    result = finished.result.to_dict()
    return {
        "run_id": finished.run_id,
        "session": finished.session,
        "log_dir": str(finished.log_dir) if finished.log_dir else None,
        **{
            key: result[key]
            for key in (
                "winner",
                "votes",
                "vote_counts",
                "end_reason",
                "summary",
                "presented",
                "failures",
                "cost",
                "duration",
            )
        },
    }


def run_failure(exc: Exception) -> wire.ApiError:
    """The reply for a coordination that raised."""
    if isinstance(exc, massgen_core.AttachmentError):
        return wire.ApiError(400, str(exc), param="messages", code="invalid_value")
    if isinstance(exc, massgen_core.CoordinationError):
        return wire.ApiError(
            502, f"the team could not answer: {exc}", type="server_error", code="team_failed"
        )
    if isinstance(exc, massgen_core.MassgenError):
        return wire.ApiError(502, f"the team could not run: {exc}", type="server_error", code="team_failed")
    LOG.error("a coordination failed unexpectedly", exc_info=exc)
    return wire.server_error("the server failed to run the team; its log has the details")


async def _until_disconnected(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass


class Coordination:
    """One admitted request's run: its pieces under the time limit, its place given back at the end."""

    def __init__(self, state: ServerState, run: ServedRun) -> None:
        self.state = state
        self.run = run
        self.started = time.monotonic()

    async def pieces(self) -> AsyncGenerator[Piece, None]:
        """The run's pieces; raises :class:`wire.ApiError` for a failed or timed-out run."""
        timeout = self.state.limits.request_timeout
        try:
            async with asyncio.timeout(timeout), aclosing(self.run.pieces()) as pieces:
                async for piece in pieces:
                    if isinstance(piece, Finished):
                        self._log(piece)
                    yield piece
        except TimeoutError:
            LOG.warning("%s: cancelled after the %s s time limit", self.run.model.name, timeout)
            raise wire.timed_out(timeout or 0) from None
        except wire.ApiError:
            raise
        except Exception as exc:
            raise run_failure(exc) from None
        finally:
            self.state.admission.leave(time.monotonic() - self.started)

    async def finished(self) -> Finished:
        async with aclosing(self.pieces()) as pieces:
            async for piece in pieces:
                if isinstance(piece, Finished):
                    return piece
        raise wire.server_error("the run ended without a result")

    def _log(self, finished: Finished) -> None:
        result = finished.result
        LOG.info(
            "run %s (%s): %s, winner %s, %.1f s, logs %s",
            finished.run_id,
            self.run.model.name,
            result.end_reason,
            result.winner,
            result.duration,
            finished.log_dir or "off",
        )


async def _admitted(
    state: ServerState, request: Request, parse: Callable[[bytes], Any]
) -> tuple[Any, Coordination]:
    """Check the key, read and parse the body, find the team and take a place for its run."""
    state.authorize(request)
    body = await read_body(
        request.headers.get("content-length"), request.stream(), state.limits.max_body_bytes
    )
    parsed = parse(body)
    model = state.model(parsed.model)
    progress = state.progress if parsed.progress is None else parsed.progress
    state.admission.enter()
    try:
        run = ServedRun(
            model,
            parsed.question,
            history=parsed.history,
            images=parsed.images,
            progress=progress,
            live=state.web.live,
            gate=state.start_gate,
        )
    except Exception as exc:
        state.admission.leave(0.0)
        raise run_failure(exc) from None
    return parsed, Coordination(state, run)


async def _finished_unless_disconnected(request: Request, coordination: Coordination) -> Finished | None:
    """The run's result, or ``None`` when the client went away first (the run is then cancelled)."""
    run = asyncio.ensure_future(coordination.finished())
    gone = asyncio.ensure_future(_until_disconnected(request))
    try:
        await asyncio.wait({run, gone}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (run, gone):
            task.cancel()
        await asyncio.gather(run, gone, return_exceptions=True)
    if run.cancelled():
        return None
    return run.result()


def _sse(events: AsyncGenerator[bytes, None]) -> StreamingResponse:
    return StreamingResponse(events, media_type="text/event-stream", headers=SSE_HEADERS)


def endpoint(
    handler: Callable[[ServerState, Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    """A route handler whose :class:`wire.ApiError` becomes its OpenAI-shaped reply."""

    async def route(request: Request) -> Response:
        try:
            return await handler(request.app.state.served, request)
        except wire.ApiError as error:
            return error_response(error)

    return route


# -- the endpoints ------------------------------------------------------------------------------
async def health(state: ServerState, request: Request) -> Response:
    return JSONResponse(
        {"status": "ok", "models": len(state.catalog.models), "running": state.admission.running}
    )


async def list_models(state: ServerState, request: Request) -> Response:
    state.authorize(request)
    return JSONResponse(wire.model_list(state.catalog.names, created=state.catalog.created))


async def get_model(state: ServerState, request: Request) -> Response:
    state.authorize(request)
    name = request.path_params["name"]
    state.model(name)
    return JSONResponse(wire.model_list([name], created=state.catalog.created)["data"][0])


async def chat_completions(state: ServerState, request: Request) -> Response:
    chat, coordination = await _admitted(state, request, wire.parse_chat_request)
    reply_id, created = wire.completion_id(coordination.run.run_id), int(time.time())
    name = chat.model
    if chat.stream:

        async def events() -> AsyncGenerator[bytes, None]:
            yield wire.sse(wire.chunk(id=reply_id, model=name, created=created, content="", role=True))
            try:
                async with aclosing(coordination.pieces()) as pieces:
                    async for piece in pieces:
                        if isinstance(piece, Progress):
                            yield wire.sse(
                                wire.chunk(id=reply_id, model=name, created=created, reasoning=piece.text)
                            )
                        elif isinstance(piece, Content):
                            yield wire.sse(
                                wire.chunk(id=reply_id, model=name, created=created, content=piece.text)
                            )
                        else:
                            ext = extension(piece)
                            yield wire.sse(
                                wire.chunk(
                                    id=reply_id,
                                    model=name,
                                    created=created,
                                    finish_reason="stop",
                                    massgen=ext,
                                )
                            )
                            if chat.include_usage:
                                usage = usage_of(piece.result)
                                yield wire.sse(
                                    wire.usage_chunk(id=reply_id, model=name, created=created, usage=usage)
                                )
            except wire.ApiError as error:
                yield wire.sse(error.body())
                return
            yield wire.sse("[DONE]")

        return _sse(events())
    finished = await _finished_unless_disconnected(request, coordination)
    if finished is None:
        return Response(status_code=499)  # nobody is listening; for the access log
    return JSONResponse(
        wire.completion(
            id=reply_id,
            model=name,
            created=created,
            content=finished.result.final_answer,
            usage=usage_of(finished.result),
            massgen=extension(finished),
        )
    )


async def responses(state: ServerState, request: Request) -> Response:
    parsed, coordination = await _admitted(state, request, responses_wire.parse_responses_request)
    reply = responses_wire.Reply(model=parsed.model, run_id=coordination.run.run_id)
    if parsed.stream:

        async def events() -> AsyncGenerator[bytes, None]:
            for event in reply.opening():
                yield wire.sse(event)
            try:
                async with aclosing(coordination.pieces()) as pieces:
                    async for piece in pieces:
                        if isinstance(piece, Progress):
                            continue  # the Responses API has no channel for a third party's reasoning
                        if isinstance(piece, Content):
                            for event in reply.text(piece.text):
                                yield wire.sse(event)
                        else:
                            for event in reply.closing(
                                piece.result.final_answer, usage_of(piece.result), extension(piece)
                            ):
                                yield wire.sse(event)
            except wire.ApiError as error:
                yield wire.sse(reply.failed(error))

        return _sse(events())
    finished = await _finished_unless_disconnected(request, coordination)
    if finished is None:
        return Response(status_code=499)
    return JSONResponse(
        reply.response(finished.result.final_answer, usage_of(finished.result), extension(finished))
    )


# -- the application ------------------------------------------------------------------------------
async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        return error_response(wire.method_not_allowed(request.method, request.url.path))
    if exc.status_code == 404:
        return error_response(wire.not_found(request.method, request.url.path))
    return error_response(wire.ApiError(exc.status_code, str(exc.detail)))


async def _unexpected(request: Request, exc: Exception) -> Response:
    LOG.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return error_response(wire.server_error("the server failed on this request; its log has the details"))


def create_app(state: ServerState) -> Starlette:
    """The application serving ``state``'s teams, and the web view of their runs at ``/``."""
    app = Starlette(
        middleware=[Middleware(SecurityHeaders)],
        routes=[
            *web_routes(state.web),
            Route("/health", endpoint(health), methods=["GET"]),
            Route("/v1/models", endpoint(list_models), methods=["GET"]),
            Route("/v1/models/{name:path}", endpoint(get_model), methods=["GET"]),
            Route("/v1/chat/completions", endpoint(chat_completions), methods=["POST"]),
            Route("/v1/responses", endpoint(responses), methods=["POST"]),
        ],
        exception_handlers={HTTPException: _http_error, Exception: _unexpected},
    )
    app.state.served = state
    return app
