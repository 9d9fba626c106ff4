"""Helpers of the massgen-local tests (a module name of its own: test directories share sys.path)."""

from __future__ import annotations

import importlib.util
import socket
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import pytest
from massgen_core.plugin import Backend, ChatRequest, Message, StreamEvent, Timeouts
from massgen_core.registry import get_registry
from massgen_core.testing.fake_provider import FakeProviderServer

#: short timeouts so that failure paths stay fast
FAST = Timeouts(connect=2.0, first_event=30.0, idle=30.0, total=60.0)
LOADED = ("qwen/qwen3-4b-2507", "smollm2")

#: why the embedded tests skip, when they do
EMBEDDED_MISSING = (
    None
    if importlib.util.find_spec("llama_cpp") is not None
    else "llama_cpp is not importable: pip install 'massgen-local[embedded]'"
)
needs_llama_cpp = pytest.mark.skipif(EMBEDDED_MISSING is not None, reason=EMBEDDED_MISSING or "")


def build(backend_type: str, timeouts: Timeouts = FAST, **options: Any) -> Backend:
    """A backend built the way the CLI builds one (options validated by the config loader)."""
    from massgen_core.config import single_agent_config

    model, base_url = options.pop("model", None), options.pop("base_url", None)
    config = single_agent_config(backend_type, model, base_url, **options)
    backend = config.agents[0].backend
    return get_registry().build(backend.type, backend.options, timeouts=timeouts)


def request(*messages: Message | str, **kwargs: Any) -> ChatRequest:
    return ChatRequest(messages=[Message.user(m) if isinstance(m, str) else m for m in messages], **kwargs)


async def collect(stream: AsyncIterator[StreamEvent]) -> list[StreamEvent]:
    return [event async for event in stream]


def of_type(events: Sequence[Any], cls: type) -> list[Any]:
    return [e for e in events if isinstance(e, cls)]


def free_port() -> int:
    """A loopback port with nothing listening on it (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# -- fixtures (imported by the test modules; no conftest.py, see the module docstring)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def fake() -> Iterator[FakeProviderServer]:
    """A fake OpenAI-compatible server on loopback that lists ``LOADED`` at /v1/models."""
    with FakeProviderServer(models=LOADED) as server:
        yield server
    assert not server.handler_errors
