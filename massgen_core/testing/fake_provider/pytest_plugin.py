"""Pytest fixture ``fake_provider``: a started :class:`FakeProviderServer`, stopped after the test.

Installed with massgen-core as a pytest plugin (entry point ``pytest11``), so any test suite
with massgen-core in its environment has the fixture. The test fails if the server's responder raised.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .server import FakeProviderServer


@pytest.fixture
def fake_provider() -> Iterator[FakeProviderServer]:
    """A running fake provider on 127.0.0.1 (ephemeral port)."""
    with FakeProviderServer() as server:
        yield server
    if server.handler_errors:
        raise AssertionError(f"the fake provider's responder raised: {server.handler_errors!r}")
