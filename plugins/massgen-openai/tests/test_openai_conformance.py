"""The core's conformance suite for every backend type of massgen-openai that the fake provider
serves directly (Azure needs its own URL shape: tests/test_openai_azure_backend.py)."""

from __future__ import annotations

from massgen_core.testing.backends import backend_spec
from massgen_core.testing.conformance import BackendConformance
from massgen_core.testing.fake_provider import FakeProviderServer


class TestOpenAIResponses(BackendConformance):
    backend_type = "openai"
    model = "gpt-5"


class TestChatCompletions(BackendConformance):
    backend_type = "chatcompletion"
    model = "gpt-4o"


class TestGrok(BackendConformance):
    backend_type = "grok"
    model = "grok-4"


class TestAzureOpenAI(BackendConformance):
    """Azure's v1 API (``/openai/v1/chat/completions``), which the fake provider serves."""

    backend_type = "azure_openai"
    model = "my-gpt5"  # a deployment name

    def base_url(self, server: FakeProviderServer) -> str:
        return server.url


def _preset_class(backend_type: str) -> type[BackendConformance]:
    spec = backend_spec(backend_type)
    attributes = {"backend_type": backend_type, "model": spec.default_model or "preset-model"}
    return type(f"TestPreset_{backend_type}", (BackendConformance,), attributes)


#: every Chat Completions preset of this plugin (its own type, its own defaults)
for _type in (
    "cerebras",
    "together",
    "fireworks",
    "groq",
    "openrouter",
    "zai",
    "nebius",
    "moonshot",
    "qwen",
    "poe",
):
    globals()[f"TestPreset_{_type}"] = _preset_class(_type)
