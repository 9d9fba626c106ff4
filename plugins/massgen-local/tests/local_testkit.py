"""Helpers of the massgen-local tests (a module name of its own: test directories share sys.path)."""

from __future__ import annotations

import importlib.util
import socket
from collections.abc import Iterator
from functools import partial

import pytest
from massgen_core.plugin import Timeouts, ToolDefinition
from massgen_core.testing.backends import build_backend, chat_request, collect, of_type
from massgen_core.testing.fake_provider import FakeProviderServer

__all__ = ["ANSWER", "FAST", "VOTE", "build", "collect", "of_type", "request"]  # and the fixtures below

#: the two workflow tools as coordination offers them (two answers in view)
VOTE = ToolDefinition(
    name="vote",
    description="Vote for the best answer.",
    parameters={
        "type": "object",
        "properties": {
            "agent_id": {"type": "string", "enum": ["agent1", "agent2"]},
            "reason": {"type": "string"},
        },
        "required": ["agent_id", "reason"],
    },
)
ANSWER = ToolDefinition(
    name="new_answer",
    description="Give your answer.",
    parameters={"type": "object", "properties": {"content": {"type": "string"}}, "required": ["content"]},
)

#: short timeouts so that failure paths stay fast
FAST = Timeouts(connect=2.0, first_event=30.0, idle=30.0, total=60.0)
LOADED = ("qwen/qwen3-4b-2507", "smollm2")

#: why the embedded tests skip, when they do
EMBEDDED_MISSING = (
    None
    if importlib.util.find_spec("xllamacpp") is not None
    else "xllamacpp is not importable: pip install 'massgen-local[embedded]'"
)
needs_llama_cpp = pytest.mark.skipif(EMBEDDED_MISSING is not None, reason=EMBEDDED_MISSING or "")


#: a backend built as the CLI builds one, with :data:`FAST` timeouts
build = partial(build_backend, timeouts=FAST)
request = chat_request


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
