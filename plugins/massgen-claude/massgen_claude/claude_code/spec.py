"""The ``claude_code`` backend type: declaration only (no SDK import).

The implementation (:mod:`.backend`) and the options class (:mod:`.options`) are named as
``"module:attr"`` strings, imported only when a ``claude_code`` backend is built or its options
are needed.
"""

from __future__ import annotations

from massgen_core.plugin import BackendSpec

from ..models import CLAUDE_MODELS, DEFAULT_MODEL

__all__ = ["CLAUDE_CODE_CAPABILITIES", "CLAUDE_CODE_SPEC"]

#: What a claude_code agent really does (each is exercised by the plugin's tests against the
#: bundled CLI): streamed text and thinking, MassGen's tools and MCP servers as in-process MCP
#: tools, Claude Code's own file tools and Bash, and its session resumed across a turn.
CLAUDE_CODE_CAPABILITIES = frozenset(
    {"streaming", "tool_calling", "reasoning", "multi_turn", "mcp", "filesystem_native", "bash"}
)

CLAUDE_CODE_SPEC = BackendSpec(
    type="claude_code",
    display_name="Claude Code",
    provider="Anthropic",
    factory="massgen_claude.claude_code.backend:ClaudeCodeBackend",
    options="massgen_claude.claude_code.options:ClaudeCodeOptions",
    capabilities=CLAUDE_CODE_CAPABILITIES,
    models=CLAUDE_MODELS,
    default_model=DEFAULT_MODEL,
    api_key_env="ANTHROPIC_API_KEY",
    default_base_url="https://api.anthropic.com",
    base_url_env="ANTHROPIC_BASE_URL",
    description="Claude Code (the CLI bundled in claude-agent-sdk): its own file tools and Bash in the "
    "agent's workspace, under MassGen's path rules; MassGen's tools as MCP tools.",
)
