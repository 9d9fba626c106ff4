"""Helpers of the massgen-openai tests (a module name of its own: test directories share sys.path)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import pytest
from massgen_core.plugin import Backend, ChatRequest, Message, StreamEvent, Timeouts
from massgen_core.registry import get_registry
from massgen_core.testing.fake_provider import FakeProviderServer

#: short timeouts so that failure paths stay fast
FAST = Timeouts(connect=2.0, first_event=5.0, idle=5.0, total=20.0)


def build(backend_type: str, timeouts: Timeouts = FAST, **options: Any) -> Backend:
    """A backend built the way the CLI builds one: options validated by the config loader (as
    ``--backend TYPE --model M --base-url URL``), then ``registry.build``."""
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


# -- fixtures (imported by the test modules: no conftest.py here, since test directories of the
# -- core and of every plugin run in one pytest session and a second ``conftest`` module would
# -- shadow the core's)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def fake() -> Iterator[FakeProviderServer]:
    """A fake provider on loopback; fails the test if its responder raised."""
    with FakeProviderServer(models=("gpt-4o", "gpt-5", "gpt-5-mini", "grok-4", "glm-4.5")) as server:
        yield server
    assert not server.handler_errors
