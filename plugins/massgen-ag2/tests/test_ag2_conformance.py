"""The core's backend conformance suite, for an ``ag2`` agent (real AG2 against the fake provider)."""

from __future__ import annotations

from typing import Any, ClassVar

from massgen_core.testing.conformance import BackendConformance


class TestAg2Conformance(BackendConformance):
    backend_type = "ag2"
    model = "gpt-5"
    wire = "openai"
    #: the block's base_url and api_key are the defaults of the agent's llm_config
    options: ClassVar[dict[str, Any]] = {
        "agent_config": {"name": "conformance", "llm_config": {"model": "gpt-5"}}
    }
