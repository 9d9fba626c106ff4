"""Shared by the reliability tests: teams of massgen-openai agents on the fake provider."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest

from massgen_core.host.registry import get_registry
from massgen_core.testing.fake_provider import FakeProviderServer, RecordedRequest, Reply, ToolCall
from massgen_core.testing.scripted import coordination_reply

#: the backend types these tests run on (both from massgen-openai)
TYPES = ("chatcompletion", "openai")

needs_openai = pytest.mark.skipif(
    not set(TYPES) <= set(get_registry().backends), reason="needs the massgen-openai plugin"
)


def reply_of(spec: Mapping[str, Any], **delivery: Any) -> Reply:
    """A fake-provider reply from a scripted spec (``text``, ``tool_calls``)."""
    calls = tuple(ToolCall(c["name"], c["arguments"]) for c in spec.get("tool_calls", ()))
    return Reply(spec.get("text", ""), tool_calls=calls, **delivery)


def coordinating(answers: Mapping[str, str]) -> Callable[[RecordedRequest], Reply]:
    """Each agent (told apart by its model) answers ``answers[model]``, then votes for the
    longest answer, and presents its answer when asked."""

    def respond(request: RecordedRequest) -> Reply:
        model = request.model or ""
        return reply_of(
            coordination_reply(request.last_user_text or "", request.tool_names, answer=answers[model])
        )

    return respond


def team_config(server: FakeProviderServer, models: Sequence[str], **sections: Any) -> dict[str, Any]:
    """A config with one agent per model (named after it), alternating the backend types."""
    agents = [
        {
            "id": model,
            "backend": {
                "type": TYPES[i % len(TYPES)],
                "model": model,
                "base_url": server.openai_base_url,
                "api_key": "test-key",
            },
        }
        for i, model in enumerate(models)
    ]
    return {"agents": agents, "ui": {"display_type": "silent"}, **sections}
