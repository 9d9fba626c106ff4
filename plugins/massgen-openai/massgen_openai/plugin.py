"""The ``massgen`` entry point of massgen-openai: declarations only, no SDK import.

Backend types: ``openai`` (Responses API), ``azure_openai``, ``grok``, ``chatcompletion`` (any
OpenAI-compatible endpoint) and one type per provider preset (``cerebras``, ``together``,
``fireworks``, ``groq``, ``openrouter``, ``zai``, ``nebius``, ``moonshot``, ``qwen``, ``poe``).
Each names its implementation as a ``"module:attr"`` string, imported only when built.
"""

from __future__ import annotations

from collections.abc import Sequence

from massgen_core.plugin import BackendSpec, CapabilityKind, McpServerSpec, ToolContext, ToolSpec, hookimpl

from .capability_kinds import KINDS, SAMPLING, VERBOSITY
from .models import GROK_MODELS, OPENAI_MODEL_PATTERNS, OPENAI_MODELS
from .presets import CHAT_CAPABILITIES, CHAT_PRESETS, preset_spec

__all__ = ["BACKENDS", "massgen_backend_types", "massgen_capability_kinds", "massgen_tools"]

CHAT_FACTORY = "massgen_openai.chat_backend:ChatCompletionsBackend"

_AGENT_BASICS = {"streaming", "tool_calling", "parallel_tool_calls", "multi_turn", "mcp", "filesystem_mcp"}

OPENAI_CAPABILITIES = frozenset(
    _AGENT_BASICS
    | {
        "reasoning",
        "web_search",
        "code_execution",
        "image_understanding",
        "image_generation",
        "audio_understanding",
        "audio_generation",
        "video_generation",
        "document_understanding",
        "file_search",
        SAMPLING,
        VERBOSITY,
    }
)
AZURE_CAPABILITIES = frozenset(
    _AGENT_BASICS
    | {"reasoning", "web_search", "code_execution", "image_understanding", "image_generation"}
    | {SAMPLING, VERBOSITY}
)
GROK_CAPABILITIES = frozenset(_AGENT_BASICS | {"web_search", SAMPLING})
GENERIC_CHAT_CAPABILITIES = CHAT_CAPABILITIES | {"audio_understanding", "video_understanding"}

BACKENDS: tuple[BackendSpec, ...] = (
    BackendSpec(
        type="openai",
        display_name="OpenAI",
        provider="OpenAI",
        factory="massgen_openai.responses_backend:ResponsesBackend",
        options="massgen_openai.options:OpenAIOptions",
        capabilities=OPENAI_CAPABILITIES,
        models=OPENAI_MODELS,
        default_model="gpt-5-mini",
        model_patterns=OPENAI_MODEL_PATTERNS,
        api_key_env="OPENAI_API_KEY",
        default_base_url="https://api.openai.com/v1",
        base_url_env="OPENAI_BASE_URL",
        description="OpenAI Responses API: reasoning summaries, web search, code interpreter, images, audio.",
    ),
    BackendSpec(
        type="azure_openai",
        display_name="Azure OpenAI",
        provider="Microsoft Azure",
        factory="massgen_openai.azure_backend:create_azure_backend",
        options="massgen_openai.options:AzureOpenAIOptions",
        capabilities=AZURE_CAPABILITIES,
        api_key_env="AZURE_OPENAI_API_KEY",
        base_url_env="AZURE_OPENAI_ENDPOINT",
        description="Azure OpenAI deployments (model = deployment name), Chat Completions or Responses.",
    ),
    BackendSpec(
        type="grok",
        display_name="Grok",
        provider="xAI",
        factory="massgen_openai.grok_backend:GrokBackend",
        options="massgen_openai.options:GrokOptions",
        capabilities=GROK_CAPABILITIES,
        models=GROK_MODELS,
        default_model="grok-4",
        model_patterns="grok-*",
        api_key_env="XAI_API_KEY",
        default_base_url="https://api.x.ai/v1",
        description="xAI Grok with Live Search and citations.",
    ),
    BackendSpec(
        type="chatcompletion",
        display_name="Chat Completions (Generic)",
        provider="Any OpenAI-compatible API",
        factory=CHAT_FACTORY,
        options="massgen_openai.options:ChatCompletionOptions",
        capabilities=GENERIC_CHAT_CAPABILITIES,
        api_key_required=False,
        default_base_url="https://api.openai.com/v1",
        description="Any OpenAI-compatible Chat Completions endpoint (base_url); the key is taken from "
        "the provider's env var matching base_url.",
    ),
    *(
        preset_spec(preset, factory=CHAT_FACTORY, options="massgen_openai.options:ChatCompletionOptions")
        for preset in CHAT_PRESETS
        if preset.register
    ),
)


@hookimpl
def massgen_capability_kinds() -> Sequence[CapabilityKind]:
    return KINDS


@hookimpl
def massgen_backend_types() -> Sequence[BackendSpec]:
    return BACKENDS


@hookimpl
def massgen_tools(context: ToolContext) -> Sequence[ToolSpec | McpServerSpec]:
    """The media tools (speech, transcription, video) for ``openai`` agents that enable them."""
    if context.backend_type != "openai":
        return []
    from .media_tool_specs import media_tool_specs
    from .options import OpenAIOptions

    if not isinstance(context.options, OpenAIOptions):
        return []

    return media_tool_specs(context)
