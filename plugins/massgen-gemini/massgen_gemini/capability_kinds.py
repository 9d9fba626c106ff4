"""The capability kind this plugin adds to the core's vocabulary (kept out of the feature table)."""

from __future__ import annotations

from massgen_core.plugin import CapabilityKind

__all__ = ["BUILTIN_WITH_FUNCTIONS", "KINDS"]

#: The model accepts Google Search / code execution and function declarations in one request
#: (Gemini 3 and later, with server-side tool invocations returned in the response).
BUILTIN_WITH_FUNCTIONS = "builtin_tools_with_functions"

KINDS: tuple[CapabilityKind, ...] = (
    CapabilityKind(
        key=BUILTIN_WITH_FUNCTIONS,
        title="Built-in tools with functions",
        description="Combines provider-hosted tools (web search, code execution) with function "
        "calling in one request.",
    ),
)
