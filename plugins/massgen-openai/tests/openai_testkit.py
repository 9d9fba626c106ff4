"""Helpers of the massgen-openai tests (a module name of its own: test directories share sys.path)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import pytest
from massgen_core.plugin import Timeouts
from massgen_core.testing.backends import build_backend, chat_request, collect, of_type
from massgen_core.testing.fake_provider import FakeProviderServer

__all__ = ["FAST", "build", "collect", "of_type", "request"]  # and the fixtures below

#: short timeouts so that failure paths stay fast
FAST = Timeouts(connect=2.0, first_event=5.0, idle=5.0, total=20.0)


#: a backend built as the CLI builds one, with :data:`FAST` timeouts
build = partial(build_backend, timeouts=FAST)
request = chat_request

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
