"""What the plugin declares: light entry point, capabilities that match behaviour, valid examples."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import massgen_core
import pytest
from massgen_core.testing.backends import installed_registry

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.yaml"))


def test_entry_point_imports_neither_openai_nor_the_engine() -> None:
    code = (
        "import sys, massgen_local.plugin as p; p.massgen_backend_types(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('openai', 'llama_cpp', 'xllamacpp', 'jinja2', 'httpx2')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_backend_types_are_registered_with_their_defaults() -> None:
    registry = installed_registry()
    for backend_type, url in (
        ("lmstudio", "http://localhost:1234/v1"),
        ("vllm", "http://localhost:8000/v1"),
        ("sglang", "http://localhost:30000/v1"),
    ):
        spec = registry.spec(backend_type)
        assert spec.default_base_url == url and not spec.api_key_required and spec.listed
        assert registry.entry(backend_type).distribution == "massgen-local"
    embedded = registry.spec("llamacpp")
    assert embedded.default_model == "SmolLM2-135M-Instruct" and not embedded.api_key_required
    assert embedded.default_base_url is None
    assert registry.infer_type("/models/qwen2.5-1.5b-instruct-q4_k_m.gguf") == "llamacpp"


def test_capabilities_match_what_each_type_does() -> None:
    """Servers: what the Chat Completions converter handles (streamed tool calls, several per
    response, reasoning from either field: see test_local_servers). Embedded: one grammar-constrained
    call per response and no reasoning stream or media input (see test_local_embedded_*)."""
    registry = installed_registry()
    server_caps = {"streaming", "tool_calling", "parallel_tool_calls", "reasoning", "multi_turn", "mcp"}
    for backend_type in ("lmstudio", "vllm", "sglang"):
        caps = registry.capabilities(backend_type)
        assert server_caps <= caps
        assert not caps & {"web_search", "code_execution", "image_generation", "audio_generation"}
    embedded = registry.capabilities("llamacpp")
    assert {"streaming", "tool_calling", "multi_turn", "mcp"} <= embedded
    assert not embedded & {"parallel_tool_calls", "reasoning", "image_understanding", "web_search"}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_are_valid_configs(path: Path) -> None:
    config = massgen_core.load_config(path, environ={})
    types = {agent.backend.type for agent in config.agents}
    assert types <= {"lmstudio", "vllm", "sglang", "llamacpp"}
