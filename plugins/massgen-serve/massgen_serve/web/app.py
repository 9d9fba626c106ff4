"""The web view's routes: the runs page, a run's page, their data, and signing in.

* ``GET /``: the runs page; ``GET /runs/{run id}``: a run's page (one page for every run: its
  script reads the id from the address); ``GET /static/...``: their script and style, shipped
  in the wheel;
* ``GET /api/runs``: every run's row (see :mod:`.logs`), newest first;
* ``GET /api/runs/{run id}/events``: the run's records as Server-Sent Events, each ``data:``
  a JSON list of records (see :mod:`.tail`), its ``id:`` the number of records sent so far, so
  a browser that reconnects (``Last-Event-ID``) goes on where it stopped; ``event: end`` after
  the run's last record;
* ``GET /login`` and ``POST /login``: a form to sign in with a key, when the server has keys.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from importlib.resources import files
from pathlib import Path
from urllib.parse import parse_qs

import attrs
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from .logs import events_path, read_row, run_rows
from .security import COOKIE, Access
from .tail import LiveRuns, follow

__all__ = ["WebState", "web_routes"]

STATIC = Path(str(files(__package__) / "static"))
_PAGE_HEADERS = {"Cache-Control": "no-store"}
_SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
_LOGIN_BODY_LIMIT = 8192


@attrs.define
class WebState:
    """What the pages show: the runs of ``root``, those of ``live`` as they go, to ``access``."""

    root: Path
    access: Access
    live: LiveRuns = attrs.field(factory=LiveRuns)


def _page(name: str) -> Response:
    return Response(
        (STATIC / name).read_bytes(), media_type="text/html; charset=utf-8", headers=_PAGE_HEADERS
    )


def _refused(request: Request) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse(
            {"error": "this server needs a key: send Authorization: Bearer KEY, or sign in at /login"},
            status_code=401,
        )
    return RedirectResponse("/login", status_code=303)


def _sse(data: str, *, event: str | None = None, id: int | None = None) -> bytes:
    head = (f"event: {event}\n" if event else "") + (f"id: {id}\n" if id is not None else "")
    return f"{head}data: {data}\n\n".encode()


def web_routes(web: WebState) -> list[BaseRoute]:
    """The routes of the web view over ``web``."""

    async def runs_page(request: Request) -> Response:
        return _page("index.html") if web.access.allows(request) else _refused(request)

    async def run_page(request: Request) -> Response:
        return _page("run.html") if web.access.allows(request) else _refused(request)

    async def runs(request: Request) -> Response:
        if not web.access.allows(request):
            return _refused(request)
        rows = [row.to_dict() for row in run_rows(web.root, live=web.live)]
        return JSONResponse({"runs": rows}, headers=_PAGE_HEADERS)

    async def run_events(request: Request) -> Response:
        if not web.access.allows(request):
            return _refused(request)
        run_id = request.path_params["run_id"]
        path = events_path(web.root, run_id)
        if path is None:
            return JSONResponse({"error": f"no run {run_id!r} in {web.root}"}, status_code=404)
        try:
            start = max(0, int(request.headers.get("last-event-id", "0")))
        except ValueError:
            start = 0

        async def events() -> AsyncIterator[bytes]:
            sent = start
            yield b"retry: 1000\n\n"
            async for batch in follow(path, start=start, live=web.live, run_id=run_id):
                sent += len(batch)
                yield _sse(json.dumps(batch, ensure_ascii=False, separators=(",", ":")), id=sent)
            row = read_row(web.root, run_id, live=web.live)
            yield _sse(json.dumps(row.to_dict() if row else None), event="end", id=sent)

        return StreamingResponse(events(), media_type="text/event-stream", headers=_SSE_HEADERS)

    async def login_page(request: Request) -> Response:
        if web.access.open:
            return RedirectResponse("/", status_code=303)
        return _page("login.html")

    async def login(request: Request) -> Response:
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > _LOGIN_BODY_LIMIT:
                return Response("the form is too large", status_code=413)
        key = parse_qs(body.decode("utf-8", "replace")).get("key", [""])[0]
        token = web.access.sign_in(key)
        if token is None:
            return RedirectResponse("/login?failed=1", status_code=303)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/")
        return response

    return [
        Route("/", runs_page, methods=["GET"]),
        Route("/runs/{run_id}", run_page, methods=["GET"]),
        Route("/api/runs", runs, methods=["GET"]),
        Route("/api/runs/{run_id}/events", run_events, methods=["GET"]),
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
