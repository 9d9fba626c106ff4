"""A third-party-style plugin: a backend type, a new capability kind and a tool.

It uses only ``massgen_core.plugin``, exactly as an outside author would.
"""

from __future__ import annotations

from collections.abc import Sequence

from massgen_core.plugin import (
    BackendSpec,
    CapabilityKind,
    McpServerSpec,
    ModelSpec,
    ToolContext,
    ToolSpec,
    hookimpl,
)


@hookimpl
def massgen_capability_kinds() -> Sequence[CapabilityKind]:
    return [CapabilityKind(key="telepathy", title="Telepathy", description="Reads minds.", row="Telepathy")]


@hookimpl
def massgen_backend_types() -> Sequence[BackendSpec]:
    return [
        BackendSpec(
            type="shout",
            display_name="Shout",
            provider="Test plugin",
            factory="massgen_testplugin.backend:ShoutBackend",
            options="massgen_testplugin.options:ShoutOptions",
            capabilities={"streaming", "tool_calling", "mcp"},
            models=[
                ModelSpec(name="shout-1", input_price=1.0, output_price=2.0),
                ModelSpec(name="shout-psychic", add={"telepathy"}),
            ],
            default_model="shout-1",
            model_patterns=("shout-*",),
            api_key_env=("SHOUT_API_KEY",),
            description="Answers in capitals.",
        )
    ]


def reverse_text(text: str) -> str:
    return text[::-1]


@hookimpl
def massgen_tools(context: ToolContext) -> Sequence[ToolSpec | McpServerSpec]:
    if context.backend_type not in ("shout", "scripted"):  # a plugin decides who gets its tools
        return []
    return [
        ToolSpec(
            name="reverse_text",
            description="Reverse a piece of text.",
            parameters={"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]},
            function=reverse_text,
            read_only=True,
        )
    ]
