"""Shared fixtures."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from massgen_core.testing.cli import MakePlugin, write_distribution


@pytest.fixture
def make_plugin(tmp_path: Path) -> MakePlugin:
    """``make_plugin(dist, entry_name, source)`` writes a synthetic plugin; returns the PYTHONPATH folder."""
    return partial(write_distribution, tmp_path / "site")


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio (the core's event loop)."""
    return "asyncio"
