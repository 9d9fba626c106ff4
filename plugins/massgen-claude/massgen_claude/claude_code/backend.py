"""The ``claude_code`` backend: one run of the Claude Code CLI per request.

Imported only when a ``claude_code`` backend is built (``import claude_agent_sdk`` takes seconds).
Each :meth:`ClaudeCodeBackend.stream` starts the CLI (through the launcher of :mod:`.process`) in
the agent's workspace, sends the conversation (resuming Claude Code's session when the request
continues one, see :mod:`.conversation`), streams what it does (:mod:`.translate`) and stops it:

* MassGen's tools are in-process MCP tools (:mod:`.bridge`); the call that ends the turn
  (``new_answer`` / ``vote``) stops the CLI through a ``PostToolUse`` hook;
* a ``PreToolUse`` hook checks every path Claude Code's own file tools touch against the agent's
  permissions (:mod:`.paths`), and the kernel confines each Bash command to what the agent may
  write now (Bash is not offered where the machine cannot confine it);
* a tool call Claude Code would ask permission for is refused (nobody is there to answer),
  except MassGen's own tools, which the core governs;
* the CLI and everything it started is stopped when the request ends, fails, is cancelled or
  times out, and on :meth:`aclose`.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import os
import signal
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from claude_agent_sdk import (
    CanUseToolShadowedWarning,
    ClaudeAgentOptions,
    ClaudeSDKClient,
    ClaudeSDKError,
    HookMatcher,
    PermissionResultAllow,
    PermissionResultDeny,
    ToolPermissionContext,
)
from massgen_core.plugin import BackendContext, ChatRequest, ConfigError, StreamEvent, missing_api_key

from .bridge import ToolBridge
from .conversation import Conversation, conversation
from .errors import BACKEND, cli_error
from .options import ClaudeCodeOptions
from .paths import MCP_PREFIX, refusal
from .permissions import effective_permission_mode, plan_tools, setting_notes
from .private_access import PrivateWorkspaceAccess
from .process import CliState, bundled_cli, can_confine, cli_environment, read_pid, stop_group
from .translate import Translator

__all__ = ["ClaudeCodeBackend"]

#: Process groups of CLIs still running, stopped at interpreter exit if a run did not.
_LIVE_GROUPS: set[int] = set()


def _kill_live_groups() -> None:
    for pgid in list(_LIVE_GROUPS):
        with contextlib.suppress(OSError):
            os.killpg(pgid, signal.SIGKILL)
    _LIVE_GROUPS.clear()


atexit.register(_kill_live_groups)
# the SDK logs what it also raises (MassGen reports the raised error): keep Python's last-resort
# handler from printing it again on stderr when the application configured no logging
logging.getLogger("claude_agent_sdk").addHandler(logging.NullHandler())

_STOP_REASON = "MassGen: the workflow call ends this turn"


class ClaudeCodeBackend:
    """A claude_code agent (see the module docstring)."""

    def __init__(self, options: ClaudeCodeOptions, context: BackendContext) -> None:
        if not context.api_key:
            raise missing_api_key(BACKEND, context.api_key_env or ("ANTHROPIC_API_KEY",))
        self.options = options
        self.context = context
        self.cli = options.cli_path or bundled_cli()
        if not os.access(self.cli, os.X_OK):
            raise ConfigError(
                f"claude_code: the Claude Code CLI {self.cli} is not an executable file"
                + (
                    "; fix cli_path"
                    if options.cli_path
                    else "; reinstall claude-agent-sdk (pip install -U massgen-claude)"
                )
            )
        self.state = CliState(context.agent_id, options.config_dir)
        self.workspace = context.workspace or self.state.private_workspace()
        self.access = context.access or PrivateWorkspaceAccess(self.workspace)
        self.confine = can_confine()
        self.mode = effective_permission_mode(options.permission_mode, is_sandbox=options.is_sandbox)
        plan = plan_tools(context.allowed_tools, context.exclude_tools)
        builtins = list(plan.builtins)
        notes = setting_notes(
            options.permission_mode,
            is_sandbox=options.is_sandbox,
            allowed_tools=context.allowed_tools,
            exclude_tools=context.exclude_tools,
        )
        if "Bash" in builtins and not self.confine:
            builtins.remove("Bash")
            notes.append(
                (
                    "allowed_tools",
                    "this machine cannot confine commands (Landlock needs Linux >= 6.2): Bash is not "
                    "offered to Claude Code, whose commands could otherwise write anywhere",
                )
            )
        self.builtins = builtins
        self.preapproved = [n for n in plan.preapproved if n in builtins]
        self._sessions: set[str] = set()
        self._groups: set[int] = set()
        if context.logger is not None:
            for key, message in notes:
                context.logger.warning(f"claude_code {key}: {message}", agent=context.agent_id)

    # -- one request ----------------------------------------------------------------------------
    def _sdk_options(
        self,
        conv: Conversation,
        bridge: ToolBridge,
        launcher: str,
        shell_prefix: Path | None,
        stderr: list[str],
    ) -> ClaudeAgentOptions:
        access = self.access
        mode = self.mode

        async def pre_tool_use(data: Any, tool_use_id: str | None, _ctx: Any) -> Any:
            name = str(data.get("tool_name", ""))
            bridge.note_call(name, str(data.get("tool_use_id") or tool_use_id or ""))
            if name.startswith(MCP_PREFIX) and name not in bridge.core_name:
                reason: str | None = f"{name} is not one of this agent's tools"
            else:
                reason = refusal(name, data.get("tool_input") or {}, access)
            if reason is None:
                return {}
            return {
                "hookSpecificOutput": {
                    "hookEventName": "PreToolUse",
                    "permissionDecision": "deny",
                    "permissionDecisionReason": reason,
                }
            }

        async def post_workflow_call(_data: Any, _tool_use_id: str | None, _ctx: Any) -> Any:
            return {"continue_": False, "stopReason": _STOP_REASON}

        async def can_use_tool(
            name: str, _input: dict[str, Any], _ctx: ToolPermissionContext
        ) -> PermissionResultAllow | PermissionResultDeny:
            if name in bridge.core_name:  # MassGen's tools: the core governs them
                return PermissionResultAllow()
            return PermissionResultDeny(
                message=(
                    f"permission_mode {mode!r}: Claude Code would ask before running {name}, and MassGen "
                    f"runs it unattended, so the call is refused. To allow it, list {name} in the agent's "
                    "allowed_tools or choose a permission_mode that allows it (acceptEdits, bypassPermissions)"
                )
            )

        hooks: dict[Any, list[HookMatcher]] = {
            "PreToolUse": [HookMatcher(matcher=None, hooks=[pre_tool_use], on_failure="block")]
        }
        if bridge.workflow_names:
            matcher = "|".join(sorted(bridge.workflow_names))
            hooks["PostToolUse"] = [HookMatcher(matcher=matcher, hooks=[post_workflow_call])]
        system: Any = {"type": "preset", "preset": "claude_code"}
        if conv.system:
            system["append"] = conv.system
        thinking: Any = None
        if self.options.max_thinking_tokens is not None:
            budget = self.options.max_thinking_tokens
            thinking = {"type": "enabled", "budget_tokens": budget} if budget else {"type": "disabled"}
        assert self.context.api_key is not None
        return ClaudeAgentOptions(
            cli_path=launcher,
            cwd=str(self.workspace),
            model=self.context.model,
            env=cli_environment(
                api_key=self.context.api_key,
                base_url=self.context.base_url,
                state=self.state,
                shell_prefix=shell_prefix,
                sandboxed_root=self.mode == "bypassPermissions" and self.options.is_sandbox,
            ),
            system_prompt=system,
            tools=list(self.builtins),
            allowed_tools=[*self.preapproved, *bridge.claude_names],
            disallowed_tools=list(self.options.disallowed_tools),
            permission_mode=mode,  # type: ignore[arg-type]
            can_use_tool=can_use_tool,
            hooks=hooks,
            mcp_servers=dict(bridge.servers),
            strict_mcp_config=True,
            setting_sources=[],
            include_partial_messages=True,
            resume=conv.resume,
            max_turns=self.options.max_turns,
            thinking=thinking,
            stderr=stderr.append,
        )

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        bridge = ToolBridge(request.tools, request.tool_runner)
        launcher, pidfile = self.state.launcher(self.cli)
        prefix = self.state.shell_prefix(self.access, pidfile) if "Bash" in self.builtins else None
        stderr: list[str] = []
        conv = conversation(request.messages, resumable=self._sessions)
        options = self._sdk_options(conv, bridge, str(launcher), prefix, stderr)
        client = ClaudeSDKClient(options)
        translator = Translator(bridge, self.context)
        pgid: int | None = None
        completed = False
        try:
            try:
                with warnings.catch_warnings():
                    # MassGen's tools are pre-approved on purpose; can_use_tool is for the others
                    warnings.simplefilter("ignore", CanUseToolShadowedWarning)
                    await client.connect()
                pgid = read_pid(pidfile)
                if pgid is not None:
                    self._groups.add(pgid)
                    _LIVE_GROUPS.add(pgid)
                await client.query(conv.prompt or "Continue.")
                async for message in client.receive_response():
                    for event in translator.feed(message):
                        yield event
            except ClaudeSDKError as exc:
                raise (translator.failure() or cli_error(exc, self.context, "\n".join(stderr))) from exc
            failure = translator.failure()
            if failure is not None:
                raise failure
            if translator.result is None:
                raise cli_error(
                    RuntimeError("the CLI ended without a result"), self.context, "\n".join(stderr)
                )
            if translator.session_id:
                self._sessions.add(translator.session_id)
            usage = translator.usage()
            if usage is not None:
                yield usage
            completed = True
            yield translator.done()
        finally:
            await self._finish(client, pgid if pgid is not None else read_pid(pidfile), graceful=completed)
            for path in (pidfile, launcher, prefix):
                if path is not None:
                    path.unlink(missing_ok=True)

    async def _finish(self, client: ClaudeSDKClient, pgid: int | None, *, graceful: bool) -> None:
        """Stop the CLI: after a complete answer let it exit by itself (it saves its session),
        otherwise stop its process group at once; then reap it and anything it left behind."""
        if not graceful and pgid is not None:
            await asyncio.shield(asyncio.to_thread(stop_group, pgid))
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.shield(client.disconnect())
        if pgid is not None:
            await asyncio.shield(asyncio.to_thread(stop_group, pgid, grace=0.5))
            self._groups.discard(pgid)
            _LIVE_GROUPS.discard(pgid)

    async def aclose(self) -> None:
        for pgid in list(self._groups):
            await asyncio.to_thread(stop_group, pgid)
            _LIVE_GROUPS.discard(pgid)
        self._groups.clear()
        self.state.remove()
