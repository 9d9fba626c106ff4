"""The ``massgen`` entry point of massgen-claude: declarations only, no SDK import.

Backend types: ``claude`` (Anthropic Messages API through the ``anthropic`` SDK) and
``claude_code`` (Claude Code through ``claude-agent-sdk``, declared in
:mod:`massgen_claude.claude_code.spec`). Each names its implementation as a ``"module:attr"``
string, imported only when a backend of that type is built.
"""

from __future__ import annotations

from collections.abc import Sequence

from massgen_core.plugin import BackendSpec, CapabilityKind, hookimpl

from .capability_kinds import KINDS, THINKING_BUDGET
from .claude_code.spec import CLAUDE_CODE_SPEC
from .models import CLAUDE_MODEL_PATTERNS, CLAUDE_MODELS, DEFAULT_MODEL

__all__ = ["BACKENDS", "CLAUDE_SPEC", "massgen_backend_types", "massgen_capability_kinds"]

CLAUDE_CAPABILITIES = frozenset(
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
        "document_understanding",
        "sampling",
        THINKING_BUDGET,
    }
)

CLAUDE_SPEC = BackendSpec(
    type="claude",
    display_name="Claude",
    provider="Anthropic",
    factory="massgen_claude.backend:ClaudeBackend",
    options="massgen_claude.options:ClaudeOptions",
    capabilities=CLAUDE_CAPABILITIES,
    models=CLAUDE_MODELS,
    default_model=DEFAULT_MODEL,
    model_patterns=CLAUDE_MODEL_PATTERNS,
    api_key_env="ANTHROPIC_API_KEY",
    default_base_url="https://api.anthropic.com",
    base_url_env="ANTHROPIC_BASE_URL",
    description="Anthropic Messages API: extended thinking, web search with citations, code execution, "
    "images and PDFs.",
)

BACKENDS: tuple[BackendSpec, ...] = (CLAUDE_SPEC, CLAUDE_CODE_SPEC)


@hookimpl
def massgen_capability_kinds() -> Sequence[CapabilityKind]:
    return KINDS


@hookimpl
def massgen_backend_types() -> Sequence[BackendSpec]:
    return BACKENDS
