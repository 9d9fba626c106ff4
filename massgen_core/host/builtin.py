"""The core's built-in plugin: the built-in capability kinds and the ``scripted`` backend.

It is registered through the same path as any third-party plugin and uses only the public API.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..plugin.capabilities import BUILTIN_KINDS, CapabilityKind
from ..plugin.hookspecs import hookimpl
from ..plugin.specs import BackendSpec


@hookimpl
def massgen_capability_kinds() -> Sequence[CapabilityKind]:
    return BUILTIN_KINDS


@hookimpl
def massgen_backend_types() -> Sequence[BackendSpec]:
    return [
        BackendSpec(
            type="scripted",
            display_name="Scripted (test)",
            provider="MassGen test kit",
            factory="massgen_core.testing.scripted:ScriptedBackend",
            options="massgen_core.testing.scripted_options:ScriptedOptions",
            capabilities={
                "streaming",
                "tool_calling",
                "parallel_tool_calls",
                "reasoning",
                "multi_turn",
                "mcp",
                "filesystem_mcp",
            },
            default_model="scripted",
            api_key_required=False,
            listed=False,
            description="Replies from a script, or echoes; no network. For tests and offline demos.",
        )
    ]
