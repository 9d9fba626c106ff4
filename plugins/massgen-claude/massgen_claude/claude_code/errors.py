"""Claude Code failures as MassGen errors.

The CLI reports a failed model call as a synthetic assistant message (``error`` set, the API's
message as text) and a result with ``api_error_status``; failures to start or run the CLI are
claude-agent-sdk exceptions. Both become :class:`~massgen_core.plugin.BackendError`\\ s through
the core's mapping, so they read like every other backend's.
"""

from __future__ import annotations

from massgen_core.plugin import BackendContext, BackendError, connection_failed, map_http_error

__all__ = ["api_error", "cli_error"]

BACKEND = "claude_code"

#: the status an error kind stands for when the CLI gives none
_STATUS = {
    "authentication_failed": 401,
    "billing_error": 402,
    "rate_limit": 429,
    "invalid_request": 400,
    "server_error": 500,
}


def api_error(kind: str | None, text: str, status: int | None, context: BackendContext) -> BackendError:
    """The error for a model call Claude Code reported as failed."""
    status = status or _STATUS.get(kind or "")
    if status is None:
        lowered = text.lower()
        if "connect" in lowered or "fetch failed" in lowered or "econnrefused" in lowered:
            return connection_failed(
                backend=BACKEND, base_url=context.base_url, detail=text, model=context.model
            )
        return BackendError(f"{BACKEND}: the model call failed: {text}", retryable=False)
    return map_http_error(
        status,
        text,
        backend=BACKEND,
        model=context.model,
        api_key_env=context.api_key_env,
        base_url=context.base_url,
    )


def cli_error(exc: Exception, context: BackendContext, stderr: str = "") -> BackendError:
    """The error for the CLI failing to start or dying (claude-agent-sdk exceptions)."""
    from claude_agent_sdk import CLIConnectionError, CLINotFoundError, ProcessError

    tail = stderr.strip()[-1500:]
    detail = f"\nClaude Code said:\n{tail}" if tail else ""
    if isinstance(exc, CLINotFoundError):
        return BackendError(
            f"{BACKEND}: the Claude Code CLI was not found ({exc}); reinstall claude-agent-sdk "
            "(pip install -U massgen-claude) or set cli_path",
            retryable=False,
        )
    if isinstance(exc, ProcessError):
        return BackendError(
            f"{BACKEND}: the Claude Code CLI exited with status {exc.exit_code}{detail}", retryable=False
        )
    if isinstance(exc, CLIConnectionError):
        return BackendError(f"{BACKEND}: lost the Claude Code CLI: {exc}{detail}", retryable=False)
    return BackendError(
        f"{BACKEND}: Claude Code failed: {type(exc).__name__}: {exc}{detail}", retryable=False
    )
