"""Every example config loads, validates, and each of its agents answers through the fake provider."""

from __future__ import annotations

from pathlib import Path

import attrs
import massgen_core
import pytest
from massgen_core.plugin import ConfigError, Done
from massgen_core.testing.backends import installed_registry
from massgen_core.testing.fake_provider import FakeProviderServer
from openai_testkit import FAST, anyio_backend, collect, fake, request  # noqa: F401  (fixtures)

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.yaml"))


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 8


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_loads(path: Path) -> None:
    loaded = massgen_core.load_config(path)
    assert loaded.agents
    registry = installed_registry()
    for agent in loaded.agents:
        assert registry.entry(agent.backend.type).distribution == "massgen-openai"


@pytest.mark.anyio
@pytest.mark.parametrize("path", [p for p in EXAMPLES if "azure" not in p.name], ids=lambda p: p.name)
async def test_example_agents_answer_through_the_fake(path: Path, fake: FakeProviderServer) -> None:
    registry = installed_registry()
    for agent in massgen_core.load_config(path).agents:
        options = attrs.evolve(agent.backend.options, base_url=fake.openai_base_url, api_key="test-key")
        backend = registry.build(agent.backend.type, options, timeouts=FAST)
        events = await collect(backend.stream(request("hello")))
        await backend.aclose()
        assert isinstance(events[-1], Done) and events[-1].message.text == "Echo: hello", agent.id


@pytest.mark.parametrize(
    ("backend", "message"),
    [
        ({"type": "openai", "model": "gpt-4o", "reasoning": {"effort": "high"}}, "'reasoning' capability"),
        ({"type": "openai", "model": "gpt-5", "temperature": 0.2}, "'sampling' capability"),
        ({"type": "openai", "model": "o4-mini", "text": {"verbosity": "low"}}, "'verbosity' capability"),
        ({"type": "openai", "model": "gpt-4o", "text": {"verbosity": "low"}}, "accepts only: medium"),
        ({"type": "openai", "model": "gpt-4.1-mini", "text": {"verbosity": "high"}}, "accepts only: medium"),
        ({"type": "grok", "model": "grok-4", "enable_code_interpreter": True}, "code_execution"),
        ({"type": "chatcompletion", "model": "m", "enable_web_search": True}, "web_search"),
        ({"type": "openai", "model": "gpt-5", "reasoning": {"effort": "huge"}}, "reasoning.effort"),
        ({"type": "openai", "model": "gpt-5", "enable_websearch": True}, "enable_web_search"),
    ],
)
def test_options_a_model_rejects_fail_validation(backend: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        massgen_core.load_config({"agent": {"backend": backend}})
