"""The core's conformance suite for ``claude`` (the anthropic SDK against the fake Messages API)."""

from __future__ import annotations

from massgen_core.testing.conformance import BackendConformance


class TestClaude(BackendConformance):
    backend_type = "claude"
    model = "claude-sonnet-4-5"
    wire = "anthropic"
