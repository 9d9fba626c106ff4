"""How a config's tool and permission settings become Claude Code's (pure; no SDK import).

``allowed_tools`` / ``exclude_tools`` are the agent's keys and mean the same for every backend:
the agent may use only these tools, and never those. The core applies them to the tools it
serves (MCP servers, file tools, plugins' tools); here they also choose Claude Code's built-in
tools: with ``allowed_tools`` set, only the built-ins it names exist, and they run without
asking (Claude Code's own ``allowedTools`` meaning); unset, the :data:`DEFAULT_BUILTINS` exist and
``permission_mode`` decides which run without asking. MassGen runs Claude Code unattended, so a
call it would ask about is refused with a message that says how to allow it.

Where the seed's settings are out of date, :func:`setting_notes` says what is done instead.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import attrs

__all__ = [
    "DEFAULT_BUILTINS",
    "PATH_FREE_BUILTINS",
    "REMOVED_BUILTINS",
    "SUPPORTED_BUILTINS",
    "ToolPlan",
    "effective_permission_mode",
    "plan_tools",
    "setting_notes",
]

#: Built-in tools a claude_code agent has when ``allowed_tools`` is not set.
DEFAULT_BUILTINS: tuple[str, ...] = (
    "Read",
    "Write",
    "Edit",
    "Glob",
    "Grep",
    "Bash",
    "NotebookEdit",
    "WebFetch",
    "WebSearch",
)
#: Built-ins that touch no file (their calls need no path check).
PATH_FREE_BUILTINS = frozenset({"WebFetch", "WebSearch", "Agent", "TaskStop"})
#: Built-ins MassGen can offer: it knows which paths each touches (``Agent`` runs subagents whose
#: own tool calls are checked the same way).
SUPPORTED_BUILTINS = frozenset({*DEFAULT_BUILTINS, "Agent", "TaskStop"})
#: Seed-era names that Claude Code no longer has, and what replaced them.
REMOVED_BUILTINS: dict[str, str] = {
    "LS": "Glob and Grep replace it",
    "MultiEdit": "Edit makes several edits",
    "NotebookRead": "Read reads notebooks",
    "TodoWrite": "it is not offered to SDK sessions",
    "BashOutput": "Bash runs commands to completion",
    "KillShell": "Bash runs commands to completion",
}
_ALIASES = {"Task": "Agent"}

#: The mode ``strict`` (not a Claude Code mode) maps to.
STRICT_MODE = "dontAsk"
#: The mode ``bypassPermissions`` falls back to as root on a machine not declared a sandbox.
ROOT_FALLBACK_MODE = "acceptEdits"


@attrs.frozen
class ToolPlan:
    """Claude Code's built-in tools for an agent.

    :param builtins: the built-ins that exist (Claude Code's ``tools``).
    :param preapproved: those that run without asking (Claude Code's ``allowedTools``).
    :param dropped: names of ``allowed_tools`` that are not Claude Code tools any more, with why.
    """

    builtins: tuple[str, ...]
    preapproved: tuple[str, ...]
    dropped: tuple[tuple[str, str], ...] = ()


def plan_tools(allowed_tools: Sequence[str] | None, exclude_tools: Sequence[str] = ()) -> ToolPlan:
    """Claude Code's built-ins from the agent's ``allowed_tools`` and ``exclude_tools``.

    Names that are not built-ins (MCP tools, MassGen's own tools) are the core's business and
    are left alone here.
    """
    excluded = {_ALIASES.get(n, n) for n in exclude_tools}
    if allowed_tools is None:
        return ToolPlan(tuple(n for n in DEFAULT_BUILTINS if n not in excluded), ())
    chosen: list[str] = []
    dropped: list[tuple[str, str]] = []
    for raw in allowed_tools:
        name = _ALIASES.get(raw, raw)
        if name in REMOVED_BUILTINS:
            dropped.append((raw, REMOVED_BUILTINS[name]))
        elif name in SUPPORTED_BUILTINS and name not in excluded and name not in chosen:
            chosen.append(name)
    return ToolPlan(tuple(chosen), tuple(chosen), tuple(dropped))


def running_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def effective_permission_mode(setting: str, *, is_sandbox: bool, as_root: bool | None = None) -> str:
    """The Claude Code permission mode for the configured ``permission_mode``.

    ``strict`` (the seed's name) is no Claude Code mode: it becomes ``dontAsk``, the most
    restrictive mode that still lets the agent work (only pre-approved tools run; ``plan`` would
    refuse even MassGen's ``new_answer``). ``bypassPermissions`` as root: Claude Code refuses it
    unless told the machine is a sandbox (``is_sandbox: true``); otherwise ``acceptEdits``, which
    allows less, never more.
    """
    root = running_as_root() if as_root is None else as_root
    if setting == "strict":
        return STRICT_MODE
    if setting == "bypassPermissions" and root and not is_sandbox:
        return ROOT_FALLBACK_MODE
    return setting


def setting_notes(
    permission_mode: str,
    *,
    is_sandbox: bool,
    allowed_tools: Sequence[str] | None,
    exclude_tools: Sequence[str] = (),
    as_root: bool | None = None,
) -> list[tuple[str, str]]:
    """``(key, message)`` for each setting that is out of date or cannot apply as written here."""
    notes: list[tuple[str, str]] = []
    mode = effective_permission_mode(permission_mode, is_sandbox=is_sandbox, as_root=as_root)
    if permission_mode == "strict":
        notes.append(
            (
                "permission_mode",
                "'strict' is not a Claude Code permission mode (the seed predates the current modes): "
                f"MassGen uses {mode!r}, the most restrictive mode in which the agent can still work: only "
                "the built-in tools listed in allowed_tools (and reading) run, every other call is refused",
            )
        )
    elif mode != permission_mode:
        notes.append(
            (
                "permission_mode",
                "Claude Code refuses 'bypassPermissions' as root: MassGen uses "
                f"{mode!r} instead (file edits run, other calls need allowed_tools). If this machine is a "
                "disposable sandbox (container, VM), set is_sandbox: true to keep bypassPermissions",
            )
        )
    for name, why in plan_tools(allowed_tools, exclude_tools).dropped:
        notes.append(("allowed_tools", f"{name!r} is no longer a Claude Code tool ({why}): it is left out"))
    return notes
