"""Helpers of the massgen-ag2 tests (a module name of its own: test directories share sys.path).

The tests run real AG2 (autogen 0.14) against the core's fake provider. ``import autogen`` takes
seconds, so most tests run in this process through MassGen's Python API (one import for all);
only the CLI tests start ``massgen`` processes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from massgen_core.testing.fake_provider import FakeProviderServer, RecordedRequest, Reply, ToolCall

__all__ = [
    "CODE_OUTPUT",
    "MODEL",
    "config",
    "llm",
    "messages_of",
    "tool_reply",
]  # and the fixtures below

MODEL = "gpt-5"
#: what AG2 sends back to the model after running a code block
CODE_OUTPUT = "exitcode: 0 (execution succeeded)\nCode output: "


def llm(fake: FakeProviderServer, **extra: Any) -> dict[str, Any]:
    """An ``llm_config`` pointed at ``fake``."""
    return {
        "api_type": "openai",
        "model": MODEL,
        "base_url": fake.openai_base_url,
        "api_key": "test-key",
        **extra,
    }


def config(*agents: dict[str, Any], **sections: Any) -> dict[str, Any]:
    """A run config (the YAML's shape) with these agents, silent, without logs."""
    return {"agents": list(agents), "ui": {"display_type": "silent", "logging_enabled": False}, **sections}


def messages_of(request: RecordedRequest) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = request.json["messages"]
    return messages


def tool_reply(name: str, arguments: dict[str, Any], text: str = "") -> Reply:
    return Reply(text, tool_calls=[ToolCall(name, arguments)])


# -- fixtures (imported by the test modules: no conftest.py here, since test directories of the
# -- core and of every plugin run in one pytest session and a second ``conftest`` module would
# -- shadow the core's)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def fake() -> Iterator[FakeProviderServer]:
    """A fake provider on loopback; fails the test if its responder raised."""
    with FakeProviderServer(models=(MODEL, "gpt-4o")) as server:
        yield server
    assert not server.handler_errors


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The run's working directory (MassGen's .massgen/ goes there)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


Responder = Callable[[RecordedRequest], Reply]
