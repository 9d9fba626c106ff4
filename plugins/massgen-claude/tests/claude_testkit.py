"""Helpers of the massgen-claude tests (a module name of its own: test directories share sys.path)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest
from massgen_core.plugin import Backend, Timeouts
from massgen_core.testing.backends import build_backend, chat_request, collect, of_type
from massgen_core.testing.fake_provider import FakeProviderServer

__all__ = ["FAST", "MODEL", "build", "claude", "collect", "of_type", "request"]  # and the fixtures below

#: short timeouts so that failure paths stay fast
FAST = Timeouts(connect=2.0, first_event=5.0, idle=5.0, total=20.0)
#: a known model of the 4.x family: it takes a thinking budget and sampling settings
MODEL = "claude-sonnet-4-6"

#: a backend built as the CLI builds one, with :data:`FAST` timeouts
build = partial(build_backend, timeouts=FAST)
request = chat_request


def claude(
    fake: FakeProviderServer, model: str = MODEL, timeouts: Timeouts = FAST, **options: Any
) -> Backend:
    """A ``claude`` backend pointed at ``fake``."""
    options.setdefault("api_key", "test-key")
    return build("claude", timeouts=timeouts, model=model, base_url=fake.anthropic_base_url, **options)


# -- fixtures (imported by the test modules: no conftest.py here, since test directories of the
# -- core and of every plugin run in one pytest session and a second ``conftest`` module would
# -- shadow the core's)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def fake() -> Iterator[FakeProviderServer]:
    """A fake provider on loopback; fails the test if its responder raised."""
    with FakeProviderServer(models=(MODEL, "claude-sonnet-5-5", "claude-sonnet-4-20250514")) as server:
        yield server
    assert not server.handler_errors
