"""Helpers of the massgen-gemini tests (a module name of its own: test directories share sys.path)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest
from massgen_core.plugin import Backend, ChatRequest, StreamEvent, Timeouts
from massgen_core.testing.backends import build_backend, chat_request, collect, of_type
from massgen_core.testing.fake_provider import (
    FakeProviderServer,
    RecordedRequest,
    Reply,
    Responder,
    ToolCall,
    WebSearch,
    WireFormat,
)
from massgen_core.testing.scripted import coordination_reply

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


#: how the research request's note starts (see massgen_gemini.backend.RESEARCH_NOTE)
RESEARCH_STEP = "[Step 1 of 2"


def prompt_text(recorded: RecordedRequest) -> str:
    """The text of the last user turn a person (or the coordination) wrote: Gemini requests may
    end with the backend's own research notes (``[Step ...]``), other formats never do."""
    if recorded.wire_format is not WireFormat.GEMINI:
        return recorded.last_user_text or ""
    for content in reversed(recorded.json.get("contents", [])):
        if content.get("role") != "user":
            continue
        texts = [
            p["text"] for p in content.get("parts", []) if "text" in p and not p["text"].startswith("[Step")
        ]
        if texts:
            return "".join(texts)
    return ""


def coordinating(answers: Mapping[str, str], searches: Sequence[WebSearch] = ()) -> Responder:
    """A responder for coordination through any backend: each agent (told apart by its model)
    gives its answer from ``answers``, then votes for the longest (see ``coordination_reply``).
    A Gemini research request (Google Search before the functions) writes up what it found; a
    Gemini request with Google Search searches."""

    def reply(recorded: RecordedRequest) -> Reply:
        answer = answers[recorded.model or ""]
        gemini = recorded.wire_format is WireFormat.GEMINI
        searching = gemini and "googleSearch" in str(recorded.json.get("tools"))
        if gemini and RESEARCH_STEP in json.dumps(recorded.json.get("contents", [])[-1:]):
            return Reply(f"Research: {answer}", web_searches=searches)
        spec = coordination_reply(prompt_text(recorded), recorded.tool_names, answer=answer)
        calls = [ToolCall(c["name"], c["arguments"]) for c in spec.get("tool_calls", ())]
        return Reply(spec.get("text", ""), tool_calls=calls, web_searches=searches if searching else ())

    return reply


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
