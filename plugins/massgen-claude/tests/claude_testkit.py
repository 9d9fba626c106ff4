"""Helpers of the massgen-claude tests (a module name of its own: test directories share sys.path)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from itertools import pairwise
from typing import Any

import pytest
from massgen_core.plugin import Backend, Timeouts
from massgen_core.testing.backends import build_backend, chat_request, collect, of_type
from massgen_core.testing.fake_provider import FakeProviderServer

__all__ = [
    "FAST",
    "MODEL",
    "build",
    "claude",
    "collect",
    "message_rule_breaks",
    "of_type",
    "request",
]  # and the fixtures below

THINKING = ("thinking", "redacted_thinking")

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


def message_rule_breaks(body: dict[str, Any]) -> list[str]:
    """What in a Messages request body the real API would refuse (the fake accepts anything):
    turns must alternate starting with the user, every ``tool_use`` must be answered by a
    ``tool_result`` first in the next turn and every ``tool_result`` must answer one, and with
    thinking on, an assistant turn whose tools are being answered must start with its thinking."""
    breaks: list[str] = []
    messages = body.get("messages") or []
    roles = [m["role"] for m in messages]
    if roles[:1] != ["user"]:
        breaks.append(f"the first turn is {roles[:1]}, not user")
    breaks += [f"turns {i} and {i + 1} are both {a}" for i, (a, b) in enumerate(pairwise(roles)) if a == b]
    for i, message in enumerate(messages):
        content = message["content"] if isinstance(message["content"], list) else []
        if message["role"] == "assistant":
            asked = [b["id"] for b in content if b.get("type") == "tool_use"]
            if not asked:
                continue
            following = messages[i + 1]["content"] if i + 1 < len(messages) else None
            if following is None:
                continue  # the conversation ends with the model's own turn (a continuation)
            answered = [b.get("tool_use_id") for b in following if b.get("type") == "tool_result"]
            if sorted(answered) != sorted(asked):
                breaks.append(f"turn {i} asked for {asked}, turn {i + 1} answered {answered}")
            if following[: len(answered)] != [b for b in following if b.get("type") == "tool_result"]:
                breaks.append(f"turn {i + 1}: tool results must come first")
            thinking = body.get("thinking", {}).get("type") == "enabled"
            if thinking and i + 2 == len(messages) and content[0].get("type") not in THINKING:
                breaks.append(f"turn {i}: with thinking on, the tool-using turn must start with its thinking")
        else:
            results = [b.get("tool_use_id") for b in content if b.get("type") == "tool_result"]
            before = messages[i - 1]["content"] if i and isinstance(messages[i - 1]["content"], list) else []
            ids = {b.get("id") for b in before if b.get("type") == "tool_use"}
            breaks += [
                f"turn {i} answers {r}, which turn {i - 1} did not ask for" for r in results if r not in ids
            ]
    return breaks
