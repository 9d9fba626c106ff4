"""Teams on the core's fake provider, served by the real application under uvicorn on loopback."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
import pytest
import uvicorn
from massgen_core.testing.cli import stop_process
from massgen_core.testing.fake_provider import FakeProviderServer, RecordedRequest, Reply, ToolCall
from massgen_core.testing.scripted import coordination_reply

from massgen_serve.app import ServerState, create_app
from massgen_serve.auth import Keys
from massgen_serve.catalog import Catalog, load_catalog
from massgen_serve.limits import Limits
from massgen_serve.server import bind, serve_kept

#: each agent (told apart by its model) answers this, then votes for the longest answer
ANSWERS = {
    "m-short": "Paris.",
    "m-long": "The capital of France is Paris, on the Seine.",
    "m-mid": "Paris is the capital.",
}
#: the answer that wins: the longest
WINNER_ANSWER = ANSWERS["m-long"]


def reply_for(request: RecordedRequest, **delivery: Any) -> Reply:
    spec = coordination_reply(
        request.last_user_text or "", request.tool_names, answer=ANSWERS[request.model or ""]
    )
    calls = tuple(ToolCall(c["name"], c["arguments"]) for c in spec.get("tool_calls", ()))
    return Reply(spec.get("text", ""), tool_calls=calls, **delivery)


def coordinating(**delivery: Any) -> Callable[[RecordedRequest], Reply]:
    """The fake provider's responder: every agent coordinates, replies delivered with ``delivery``
    (``delay``, ``chunk_delay`` ...)."""
    return lambda request: reply_for(request, **delivery)


def team(fake: FakeProviderServer, models: Sequence[str] = tuple(ANSWERS), **sections: Any) -> dict[str, Any]:
    """A config of one agent per model, alternating massgen-openai's two wire formats."""
    types = ("chatcompletion", "openai")
    agents = [
        {
            "id": model.removeprefix("m-"),
            "backend": {
                "type": types[i % 2],
                "model": model,
                "base_url": fake.openai_base_url,
                "api_key": "provider-key",
            },
        }
        for i, model in enumerate(models)
    ]
    timeouts = {"first_event_timeout": 20, "request_timeout": 60}
    return {"agents": agents, "ui": {"display_type": "silent"}, "timeout_settings": timeouts, **sections}


def write_team(folder: Path, name: str, config: Mapping[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(json.dumps(config, indent=2))  # JSON is YAML
    return path


@attrs.frozen
class Served:
    """A running server: where it listens and what it holds."""

    url: str
    state: ServerState

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"


@contextmanager
def serving(
    catalog: Catalog | Sequence[Path],
    *,
    keys: Sequence[str] = (),
    limits: Limits | None = None,
    progress: bool = False,
) -> Iterator[Served]:
    """The application for ``catalog`` under uvicorn in a thread, on a free loopback port."""
    if not isinstance(catalog, Catalog):
        catalog = load_catalog(catalog)
    state = ServerState(catalog, keys=Keys(keys), limits=limits or Limits(), progress=progress)
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(state), log_level="warning", lifespan="off", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(serve_kept(server, [sock])), daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if server.started:
                break
            threading.Event().wait(0.01)
        else:
            pytest.fail("the server did not start")
        yield Served(url=f"http://127.0.0.1:{port}", state=state)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


_LISTENING = re.compile(r"on (http://\S+)/v1 ")


@attrs.frozen
class ServeProcess:
    """A ``massgen serve`` child process: where it listens, the process, its stderr's file."""

    url: str
    proc: subprocess.Popen[str]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def workers(self) -> list[int]:
        """The pids of its worker processes (``--workers``)."""
        return [
            int(p) for p in Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        ]


@contextmanager
def massgen_serve(
    *args: str, cwd: Path, env: Mapping[str, str] | None = None, new_session: bool = False
) -> Iterator[ServeProcess]:
    """``massgen serve ARGS`` in a child process (its stderr to a file, so no pipe ever fills);
    yields it once it listens. ``new_session``: in a process group of its own, as a terminal's
    foreground job is. On leaving: SIGINT, then killed if still there after 15 s."""
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("MASSGEN_")} | dict(env or {})
    with tempfile.NamedTemporaryFile("w+", prefix="massgen-serve-", suffix=".log", delete=False) as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "massgen_core", "serve", *args],
            cwd=cwd,
            env=child_env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            start_new_session=new_session,
        )
    log_path = Path(log.name)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = _LISTENING.search(line)
        assert match, f"no address in {line!r}; stderr: {log_path.read_text()}"
        yield ServeProcess(url=match.group(1), proc=proc, log_path=log_path)
    finally:
        stop_process(proc)
        log_path.unlink(missing_ok=True)
