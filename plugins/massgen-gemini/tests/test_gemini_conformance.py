"""The core's backend conformance suite, run against the ``gemini`` backend."""

from __future__ import annotations

from massgen_core.testing.conformance import BackendConformance


class TestGeminiConformance(BackendConformance):
    backend_type = "gemini"
    model = "gemini-2.5-flash"
    wire = "gemini"
