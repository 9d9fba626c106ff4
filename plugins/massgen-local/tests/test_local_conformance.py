"""The core's conformance suite for the local servers' backends (OpenAI-compatible wire format).

``llamacpp`` runs its model in this process and has no server to fake: its behaviour is tested
against the real model in test_local_embedded_model.py."""

from __future__ import annotations

from typing import ClassVar

from massgen_core.testing.conformance import BackendConformance


class TestLMStudio(BackendConformance):
    backend_type = "lmstudio"
    model = "qwen3-4b"
    options: ClassVar = {"check_model": False}


class TestVLLM(BackendConformance):
    backend_type = "vllm"
    model = "Qwen/Qwen3-4B"


class TestSGLang(BackendConformance):
    backend_type = "sglang"
    model = "Qwen/Qwen3-4B"
