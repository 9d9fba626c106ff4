"""The options of a ``claude_code`` backend block (besides the agent's tool keys).

The agent's keys written in the same block (``cwd``, ``mcp_servers``, ``allowed_tools``,
``exclude_tools``...) belong to the core; how they apply to Claude Code is in
:mod:`.permissions`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import attrs
from massgen_core.plugin import BackendOptions, at_least, option

if TYPE_CHECKING:
    from massgen_core.plugin import ToolOptions

__all__ = ["ClaudeCodeOptions", "PermissionModeSetting"]

#: ``strict`` is the seed's name, not a Claude Code mode: it is accepted and mapped (see
#: :func:`.permissions.effective_permission_mode`).
PermissionModeSetting = Literal[
    "default", "acceptEdits", "plan", "bypassPermissions", "dontAsk", "auto", "strict"
]


@attrs.frozen(kw_only=True)
class ClaudeCodeOptions(BackendOptions):
    """Claude Code settings (the model, key and base URL come from :class:`BackendOptions`)."""

    permission_mode: PermissionModeSetting = option(
        "acceptEdits",
        help="Which tool calls run without asking (Claude Code's modes; 'strict' maps to 'dontAsk'). "
        "Calls Claude Code would ask about are refused: MassGen runs it unattended.",
    )
    disallowed_tools: tuple[str, ...] = option(
        (), help="Claude Code permission rules that always refuse, e.g. 'Bash(rm *)' or 'WebFetch'."
    )
    max_thinking_tokens: int | None = option(
        None,
        validator=at_least(0),
        help="Extended thinking budget in tokens (0: thinking off; unset: Claude Code decides); "
        "models that think adaptively take any other value as 'on'.",
    )
    max_turns: int | None = option(
        None, validator=at_least(1), help="Most model calls Claude Code makes for one request."
    )
    is_sandbox: bool = option(
        False,
        help="This machine is a disposable sandbox (container, VM): lets bypassPermissions run as root.",
    )
    config_dir: str | None = option(
        None,
        help="Where Claude Code keeps its settings and transcripts for this agent "
        "(default: a private temporary directory, removed when the run ends).",
    )
    cli_path: str | None = option(None, help="Another Claude Code CLI executable than the bundled one.")

    def config_notes(self, tools: ToolOptions) -> Sequence[tuple[str, str]]:
        """Where the seed's settings are out of date (``strict``, ``LS``...) or cannot apply here
        (``bypassPermissions`` as root): what is done instead (see :mod:`.permissions`)."""
        from .permissions import setting_notes

        return setting_notes(
            self.permission_mode,
            is_sandbox=self.is_sandbox,
            allowed_tools=tools.allowed_tools,
            exclude_tools=tools.exclude_tools,
        )
