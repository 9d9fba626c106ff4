"""Issue 18, item 9: messages that send users the right way.

* the total (per-response) timeout names ``timeout_settings.request_timeout``, a key the loader
  accepts;
* a turn that hits the per-turn tool-step limit says so (not "it gave an empty answer");
* a server that answers with something other than the expected API's stream is told apart
  from a broken connection: the message says the server does not speak that API (no raw
  ``JSONDecodeError`` text), and it is not retried.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from reliability_support import TYPES, needs_openai

from massgen_core.config import load_config
from massgen_core.plugin.errors import ConfigError
from massgen_core.runtime.api import run_sync
from massgen_core.runtime.coordination import CoordinationError
from massgen_core.testing.cli import run_massgen
from massgen_core.testing.fake_provider import FakeProviderServer, RecordedRequest, Reply, ToolCall

pytestmark = needs_openai


def write_config(tmp_path: Path, backend: dict[str, object], **sections: object) -> Path:
    path = tmp_path / "team.yaml"
    path.write_text(json.dumps({"agent": {"id": "solo", "backend": backend}, **sections}))
    return path


def test_the_total_timeout_message_names_a_key_the_loader_accepts(tmp_path: Path) -> None:
    with FakeProviderServer() as server:
        server.enqueue(Reply("slow " * 20, text_chunks=20, stream_time=5))
        backend = {"type": "chatcompletion", "model": "gpt-4o", "base_url": server.openai_base_url}
        config = write_config(tmp_path, backend, timeout_settings={"request_timeout": 0.5})
        done = run_massgen("--config", str(config), "--no-display", "Q?", cwd=tmp_path)
    assert done.returncode == 1
    assert "timeout_settings.request_timeout" in done.stderr and "total_timeout" not in done.stderr
    load_config(config)  # the key named is one the loader takes ...
    config.write_text(config.read_text().replace("request_timeout", "total_timeout"))
    with pytest.raises(ConfigError):  # ... unlike the one named before
        load_config(config)


def test_hitting_the_tool_step_limit_says_so(tmp_path: Path) -> None:
    def always_a_tool(request: RecordedRequest) -> Reply:
        return Reply("Let me look.", tool_calls=[ToolCall("list_directory", {})])

    (tmp_path / "work").mkdir()
    with FakeProviderServer(responder=always_a_tool) as server:
        backend = {
            "type": "chatcompletion",
            "model": "gpt-4o",
            "base_url": server.openai_base_url,
            "cwd": str(tmp_path / "work"),
        }
        done = run_massgen(
            "--config", str(write_config(tmp_path, backend)), "--no-display", "Q?", cwd=tmp_path
        )
        calls = len(server.model_calls())
    assert done.returncode == 1 and calls == 10
    assert "used all 10 model requests of its turn on tool calls without giving an answer" in done.stderr
    assert "empty answer" not in done.stderr


# -- a server that does not speak the API ---------------------------------------------------------
BODIES = {
    "not JSON": (b"data: this is not json\n\n", "text/event-stream"),
    "binary": (bytes(range(256)) * 4, "text/event-stream"),
    "a web page": (b"<html><body>Welcome to nginx!</body></html>\n", "text/html"),
    "JSON of another API": (b'data: {"hello": "world"}\n\ndata: [DONE]\n\n', "text/event-stream"),
}


@pytest.fixture
def garbage_server() -> Iterator[ThreadingHTTPServer]:
    """A loopback server answering every POST with ``server.body`` (200 OK), counting requests."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            body, content_type = self.server.body  # type: ignore[attr-defined]
            self.server.requests += 1  # type: ignore[attr-defined]
            self.send_response(200)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.requests = 0  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("backend_type", TYPES)
@pytest.mark.parametrize("body", BODIES.values(), ids=list(BODIES))
def test_a_server_speaking_something_else_is_named_as_such(
    garbage_server: ThreadingHTTPServer, backend_type: str, body: tuple[bytes, str]
) -> None:
    garbage_server.body = body  # type: ignore[attr-defined]
    base_url = f"http://127.0.0.1:{garbage_server.server_address[1]}/v1"
    backend = {"type": backend_type, "model": "m", "base_url": base_url, "api_key": "test-key"}
    config = {"agent": {"id": "solo", "backend": backend}}
    with pytest.raises(CoordinationError) as caught:
        run_sync(config, "Q?")
    message = str(caught.value)
    assert f"does not speak the API the {backend_type} backend expects" in message
    assert "Expecting value" not in message and "incomplete" not in message
    assert garbage_server.requests == 1  # the same garbage again would not help: not retried  # type: ignore[attr-defined]
