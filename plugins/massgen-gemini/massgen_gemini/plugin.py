"""The ``massgen`` entry point of massgen-gemini: declarations only, no SDK import.

The ``gemini`` type names its implementation as a ``"module:attr"`` string, so google-genai is
imported only when a Gemini agent is built.
"""

from __future__ import annotations

from collections.abc import Sequence

from massgen_core.plugin import BackendSpec, CapabilityKind, hookimpl

from .capability_kinds import KINDS
from .models import DEFAULT_MODEL, GEMINI_MODELS, MODEL_PATTERNS

__all__ = ["BACKENDS", "GEMINI_CAPABILITIES", "massgen_backend_types", "massgen_capability_kinds"]

#: What the ``gemini`` backend does. File tools and MCP servers are the core's, served to every
#: backend with ``mcp`` and ``tool_calling`` (nothing to install for the built-in file tools).
GEMINI_CAPABILITIES = frozenset(
    {
        "streaming",
        "tool_calling",
        "parallel_tool_calls",
        "reasoning",
        "multi_turn",
        "mcp",
        "filesystem_mcp",
        "web_search",
        "code_execution",
        "image_understanding",
        "audio_understanding",
        "video_understanding",
        "document_understanding",
        "sampling",
    }
)

BACKENDS: tuple[BackendSpec, ...] = (
    BackendSpec(
        type="gemini",
        display_name="Gemini",
        provider="Google",
        factory="massgen_gemini.backend:GeminiBackend",
        options="massgen_gemini.options:GeminiOptions",
        capabilities=GEMINI_CAPABILITIES,
        models=GEMINI_MODELS,
        default_model=DEFAULT_MODEL,
        model_patterns=MODEL_PATTERNS,
        api_key_env=("GOOGLE_API_KEY", "GEMINI_API_KEY"),
        default_base_url="https://generativelanguage.googleapis.com",
        base_url_env="GOOGLE_GEMINI_BASE_URL",
        description="Google Gemini (google-genai): thinking, Google Search grounding, code execution, "
        "images, audio and video in.",
    ),
)


@hookimpl
def massgen_capability_kinds() -> Sequence[CapabilityKind]:
    return KINDS


@hookimpl
def massgen_backend_types() -> Sequence[BackendSpec]:
    return BACKENDS
