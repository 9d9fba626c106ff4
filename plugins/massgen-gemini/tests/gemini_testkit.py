"""Helpers of the massgen-gemini tests (a module name of its own: test directories share sys.path)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from massgen_core.plugin import Backend, ChatRequest, StreamEvent, Timeouts
from massgen_core.testing.backends import build_backend, chat_request, collect, of_type
from massgen_core.testing.fake_provider import FakeProviderServer, RecordedRequest

__all__ = [
    "FAST",
    "MODEL",
    "answer",
    "build",
    "collect",
    "gemini",
    "of_type",
    "parts",
    "request",
    "user_texts",
]

#: short timeouts so that failure paths stay fast
FAST = Timeouts(connect=2.0, first_event=5.0, idle=5.0, total=20.0)
MODEL = "gemini-2.5-flash"

request = chat_request


def build(**options: Any) -> Backend:
    """A ``gemini`` backend built as the CLI builds one, with :data:`FAST` timeouts."""
    options.setdefault("model", MODEL)
    options.setdefault("api_key", "test-key")
    return build_backend("gemini", timeouts=FAST, **options)


def gemini(server: FakeProviderServer, **options: Any) -> Backend:
    """A ``gemini`` backend pointed at ``server``."""
    return build(base_url=server.gemini_base_url, **options)


async def answer(server: FakeProviderServer, chat: ChatRequest, **options: Any) -> list[StreamEvent]:
    """Every event of one streamed request to a backend pointed at ``server`` (closed after)."""
    backend = gemini(server, **options)
    try:
        return await collect(backend.stream(chat))
    finally:
        await backend.aclose()


def parts(recorded: RecordedRequest, role: str | None = None) -> list[dict[str, Any]]:
    """Every part of the request's contents (of one role), in order."""
    return [
        part
        for content in recorded.json.get("contents", [])
        if role is None or content.get("role") == role
        for part in content.get("parts", [])
    ]


def user_texts(recorded: RecordedRequest) -> list[str]:
    """The text of each user turn of a Gemini request."""
    texts = []
    for content in recorded.json.get("contents", []):
        if content.get("role") == "user":
            texts.append("".join(p.get("text", "") for p in content.get("parts", [])))
    return texts


# -- fixtures (imported by the test modules: no conftest.py here, since test directories of the
# -- core and of every plugin run in one pytest session and a second ``conftest`` module would
# -- shadow the core's)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def fake() -> Iterator[FakeProviderServer]:
    """A fake provider on loopback; fails the test if its responder raised."""
    with FakeProviderServer(models=(MODEL, "gemini-2.5-pro", "gemini-3-pro-preview")) as server:
        yield server
    assert not server.handler_errors
