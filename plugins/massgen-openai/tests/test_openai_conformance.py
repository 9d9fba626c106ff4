"""The core's conformance suite for every backend type of massgen-openai that the fake provider
serves directly (Azure needs its own URL shape: tests/test_openai_azure_backend.py)."""

from __future__ import annotations

from massgen_core.testing.conformance import BackendConformance


class TestOpenAIResponses(BackendConformance):
    backend_type = "openai"
    model = "gpt-5"


class TestChatCompletions(BackendConformance):
    backend_type = "chatcompletion"
    model = "gpt-4o"


class TestGrok(BackendConformance):
    backend_type = "grok"
    model = "grok-4"
