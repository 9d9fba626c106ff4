"""The API for plugin authors: everything a backend or tool plugin needs, in one import.

A plugin imports from here (``from massgen_core.plugin import hookimpl, BackendSpec, ...``)
and from ``massgen_core.testing`` in its tests; nothing else in ``massgen_core`` is API.
Names are imported on first use, so ``from massgen_core.plugin import BackendSpec`` in a plugin's
entry point costs only what that name needs: loading plugins stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .lazy import lazy_attributes

if TYPE_CHECKING:
    from .backend import (
        Backend,
        BackendContext,
        ChatRequest,
        FileAccess,
        MessageBuilder,
        Timeouts,
        ToolDefinition,
        ToolRunner,
        parse_tool_arguments,
    )
    from .capabilities import CapabilityKind
    from .errors import (
        AuthenticationError,
        BackendError,
        BackendTimeoutError,
        BackendUnavailableError,
        ConfigError,
        ConnectionFailedError,
        ContextTooLongError,
        InvalidRequestError,
        ModelNotFoundError,
        ProviderServerError,
        RateLimitError,
        ToolError,
    )
    from .events import (
        BackendEvent,
        BuiltinToolActivity,
        Citation,
        Done,
        ReasoningDelta,
        ReasoningSummaryDelta,
        StopReason,
        StreamError,
        StreamEvent,
        TextDelta,
        ToolCall,
        ToolResult,
        Usage,
    )
    from .hookspecs import hookimpl
    from .http import shared_ssl_context
    from .messages import MediaPart, Message, Part, ReasoningPart, TextPart, ToolCallPart, ToolResultPart
    from .options import BackendOptions, InvalidValue, SamplingOptions, at_least, http_url, option, positive
    from .provider_errors import connection_failed, map_http_error, missing_api_key, parse_retry_after
    from .sandbox import sandbox_available, sandboxed_command
    from .specs import BackendSpec, McpServerSpec, ModelSpec, ToolContext, ToolSpec


_LOCATIONS: dict[str, str] = {
    "AuthenticationError": ".errors",
    "Backend": ".backend",
    "BackendContext": ".backend",
    "BackendError": ".errors",
    "BackendEvent": ".events",
    "BackendOptions": ".options",
    "BackendSpec": ".specs",
    "BackendTimeoutError": ".errors",
    "BackendUnavailableError": ".errors",
    "BuiltinToolActivity": ".events",
    "CapabilityKind": ".capabilities",
    "ChatRequest": ".backend",
    "Citation": ".events",
    "ConfigError": ".errors",
    "ConnectionFailedError": ".errors",
    "ContextTooLongError": ".errors",
    "Done": ".events",
    "FileAccess": ".backend",
    "InvalidRequestError": ".errors",
    "InvalidValue": ".options",
    "McpServerSpec": ".specs",
    "MediaPart": ".messages",
    "Message": ".messages",
    "MessageBuilder": ".backend",
    "ModelNotFoundError": ".errors",
    "ModelSpec": ".specs",
    "Part": ".messages",
    "ProviderServerError": ".errors",
    "RateLimitError": ".errors",
    "ReasoningDelta": ".events",
    "ReasoningPart": ".messages",
    "ReasoningSummaryDelta": ".events",
    "SamplingOptions": ".options",
    "StreamError": ".events",
    "StopReason": ".events",
    "StreamEvent": ".events",
    "TextDelta": ".events",
    "TextPart": ".messages",
    "Timeouts": ".backend",
    "ToolCall": ".events",
    "ToolCallPart": ".messages",
    "ToolContext": ".specs",
    "ToolDefinition": ".backend",
    "ToolError": ".errors",
    "ToolResult": ".events",
    "ToolResultPart": ".messages",
    "ToolRunner": ".backend",
    "ToolSpec": ".specs",
    "Usage": ".events",
    "connection_failed": ".provider_errors",
    "hookimpl": ".hookspecs",
    "shared_ssl_context": ".http",
    "map_http_error": ".provider_errors",
    "missing_api_key": ".provider_errors",
    "option": ".options",
    "positive": ".options",
    "at_least": ".options",
    "http_url": ".options",
    "parse_retry_after": ".provider_errors",
    "parse_tool_arguments": ".backend",
    "sandbox_available": ".sandbox",
    "sandboxed_command": ".sandbox",
}

__all__ = [
    "AuthenticationError",
    "Backend",
    "BackendContext",
    "BackendError",
    "BackendEvent",
    "BackendOptions",
    "BackendSpec",
    "BackendTimeoutError",
    "BackendUnavailableError",
    "BuiltinToolActivity",
    "CapabilityKind",
    "ChatRequest",
    "Citation",
    "ConfigError",
    "ConnectionFailedError",
    "ContextTooLongError",
    "Done",
    "FileAccess",
    "InvalidRequestError",
    "InvalidValue",
    "McpServerSpec",
    "MediaPart",
    "Message",
    "MessageBuilder",
    "ModelNotFoundError",
    "ModelSpec",
    "Part",
    "ProviderServerError",
    "RateLimitError",
    "ReasoningDelta",
    "ReasoningPart",
    "ReasoningSummaryDelta",
    "SamplingOptions",
    "StopReason",
    "StreamError",
    "StreamEvent",
    "TextDelta",
    "TextPart",
    "Timeouts",
    "ToolCall",
    "ToolCallPart",
    "ToolContext",
    "ToolDefinition",
    "ToolError",
    "ToolResult",
    "ToolResultPart",
    "ToolRunner",
    "ToolSpec",
    "Usage",
    "at_least",
    "connection_failed",
    "hookimpl",
    "http_url",
    "map_http_error",
    "missing_api_key",
    "option",
    "parse_retry_after",
    "parse_tool_arguments",
    "positive",
    "sandbox_available",
    "sandboxed_command",
    "shared_ssl_context",
]


__getattr__, __dir__ = lazy_attributes(__name__, _LOCATIONS, __all__)
