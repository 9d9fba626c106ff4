"""Shared fixtures."""

from __future__ import annotations

import signal
from functools import partial
from pathlib import Path

import pytest

from massgen_core.testing.cli import MakePlugin, write_distribution

# A test runner started in the background without job control (`nohup nox &`, some CI runners)
# ignores SIGINT, and every process it starts would too: the tests that press Ctrl-C on a
# `massgen` they start need it delivered. A handler here (not SIG_IGN) is reset to the default
# in each child, where Python turns it into KeyboardInterrupt as usual.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture
def make_plugin(tmp_path: Path) -> MakePlugin:
    """``make_plugin(dist, entry_name, source)`` writes a synthetic plugin; returns the PYTHONPATH folder."""
    return partial(write_distribution, tmp_path / "site")


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio (the core's event loop)."""
    return "asyncio"
