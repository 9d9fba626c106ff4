"""The ``massgen`` entry point of massgen-ag2: declarations only.

``import autogen`` takes seconds, so nothing here (nor in :mod:`massgen_ag2.options`) imports
it: the backend is named as a ``"module:attr"`` string and AG2 is imported when an ``ag2``
backend is built.
"""

from __future__ import annotations

from collections.abc import Sequence

from massgen_core.plugin import BackendSpec, hookimpl

__all__ = ["AG2_SPEC", "massgen_backend_types"]

AG2_SPEC = BackendSpec(
    type="ag2",
    display_name="AG2 (AutoGen)",
    provider="AG2",
    factory="massgen_ag2.backend:Ag2Backend",
    options="massgen_ag2.options:Ag2Options",
    capabilities={
        "streaming",
        "tool_calling",
        "parallel_tool_calls",
        "mcp",
        "filesystem_mcp",
        "code_execution",
    },
    api_key_required=False,
    description="An AG2 (autogen 0.14) agent or group chat as one agent: code execution in the agent's "
    "workspace through execute_command; models through llm_config (openai-compatible, google, anthropic).",
)


@hookimpl
def massgen_backend_types() -> Sequence[BackendSpec]:
    return [AG2_SPEC]
