"""Fixtures: a fake provider whose agents coordinate, and a working directory of our own."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # serve_support

from massgen_core.testing.fake_provider import FakeProviderServer
from serve_support import ANSWERS, coordinating

if find_spec("massgen_openai") is None:
    pytest.skip("the served teams run on massgen-openai's backends", allow_module_level=True)


@pytest.fixture
def fake() -> Iterator[FakeProviderServer]:
    with FakeProviderServer(responder=coordinating(), models=tuple(ANSWERS)) as server:
        yield server


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Runs save their sessions and logs under the working directory, as the CLI's do."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


from web_support import browser, page  # noqa: E402, F401  (the browser tests' fixtures: one browser per session)
