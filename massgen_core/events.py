"""Stream events: what a backend yields while it answers.

Every event is a small frozen attrs class with a ``kind`` tag. A backend's ``stream()`` yields
deltas as they arrive and ends with exactly one :class:`Done` (carrying the assembled assistant
:class:`~massgen_core.messages.Message`, provider state included) or one :class:`StreamError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import attrs

from .errors import BackendError
from .messages import Message, ToolCallPart

__all__ = [
    "BuiltinToolActivity",
    "Citation",
    "Done",
    "ReasoningDelta",
    "ReasoningSummaryDelta",
    "StopReason",
    "StreamError",
    "StreamEvent",
    "TextDelta",
    "ToolCall",
    "ToolResult",
    "Usage",
]

StopReason = Literal["end_turn", "tool_calls", "max_tokens", "content_filter", "refusal", "other"]


@attrs.frozen
class TextDelta:
    """A piece of the answer text."""

    text: str
    kind: Literal["text_delta"] = "text_delta"


@attrs.frozen
class ReasoningDelta:
    """A piece of the model's raw reasoning (chain of thought), where the provider exposes it."""

    text: str
    kind: Literal["reasoning_delta"] = "reasoning_delta"


@attrs.frozen
class ReasoningSummaryDelta:
    """A piece of the provider's reasoning summary (OpenAI ``reasoning.summary``, Gemini thoughts)."""

    text: str
    kind: Literal["reasoning_summary_delta"] = "reasoning_summary_delta"


@attrs.frozen
class ToolCall:
    """The model asks for a (function) tool to be run; emitted once the call is complete."""

    call: ToolCallPart
    kind: Literal["tool_call"] = "tool_call"


@attrs.frozen(kw_only=True)
class ToolResult:
    """A tool call the core ran for the model, and what it returned (for displays and logs)."""

    call_id: str
    name: str
    output: str
    is_error: bool = False
    kind: Literal["tool_result"] = "tool_result"


@attrs.frozen(kw_only=True)
class Citation:
    """A source the provider cites for its answer."""

    url: str
    title: str | None = None
    snippet: str | None = None


@attrs.frozen(kw_only=True)
class BuiltinToolActivity:
    """A provider-hosted tool at work (web search, code execution, ...).

    ``tool`` is the capability kind (``"web_search"``, ``"code_execution"``, ...); ``status`` moves
    ``started`` → ``in_progress`` → ``completed`` (or ``failed``). ``query``/``code``/``output`` and
    ``citations`` carry what the provider reported; ``data`` holds anything else it sent.
    """

    tool: str
    call_id: str
    status: Literal["started", "in_progress", "completed", "failed"]
    query: str | None = None
    code: str | None = None
    output: str | None = None
    citations: tuple[Citation, ...] = ()
    data: Mapping[str, Any] = attrs.field(factory=dict)
    kind: Literal["builtin_tool"] = "builtin_tool"


@attrs.frozen(kw_only=True)
class Usage:
    """Token usage for one request (cumulative for that request when sent more than once).

    ``input_tokens`` counts every prompt token; ``cached_input_tokens`` (read from the provider's
    prompt cache) and ``cache_write_tokens`` (written to it) are the parts of it priced
    differently. ``web_search_requests``: searches the provider ran, priced per request.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    reasoning_tokens: int = 0
    cache_write_tokens: int = 0
    web_search_requests: int = 0
    kind: Literal["usage"] = "usage"

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cached_input_tokens=self.cached_input_tokens + other.cached_input_tokens,
            reasoning_tokens=self.reasoning_tokens + other.reasoning_tokens,
            cache_write_tokens=self.cache_write_tokens + other.cache_write_tokens,
            web_search_requests=self.web_search_requests + other.web_search_requests,
        )

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@attrs.frozen(kw_only=True)
class Done:
    """The response is complete. ``message`` is the assembled assistant turn."""

    stop_reason: StopReason
    message: Message
    citations: tuple[Citation, ...] = ()
    kind: Literal["done"] = "done"


@attrs.frozen
class StreamError:
    """The response failed. Produced by the core's retry policy from a :class:`BackendError`."""

    error: BackendError
    kind: Literal["error"] = "error"


StreamEvent = (
    TextDelta
    | ReasoningDelta
    | ReasoningSummaryDelta
    | ToolCall
    | ToolResult
    | BuiltinToolActivity
    | Usage
    | Done
    | StreamError
)
