"""Stream events: what a backend yields while it answers.

Every event is a small frozen attrs class with a ``kind`` tag. A backend's ``stream()`` yields
:data:`BackendEvent` objects as they arrive (text, reasoning, complete tool calls, provider tools at
work, usage) and ends with exactly one :class:`Done`. The core builds the assistant turn from
those events (:class:`TurnAssembler`): a backend records nothing twice. Provider state the next
turn needs (a thinking signature, a reasoning item's id) rides on the delta it belongs to
(``state=``) or on the tool call's part; ``new_part=True`` starts a new part where the provider
has block boundaries. A backend that builds the message itself may still pass
``Done(message=...)``.

:data:`StreamEvent` adds what only the core produces: :class:`StreamError` (from the retry
policy, when a :class:`~massgen_core.plugin.errors.BackendError` ends the response).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import attrs

from .errors import BackendError
from .messages import Message, ReasoningPart, TextPart, ToolCallPart

__all__ = [
    "BackendEvent",
    "BuiltinToolActivity",
    "Citation",
    "Done",
    "ReasoningDelta",
    "ReasoningSummaryDelta",
    "Restart",
    "StopReason",
    "StreamError",
    "StreamEvent",
    "TextDelta",
    "ToolCall",
    "ToolResult",
    "TurnAssembler",
    "Usage",
]

StopReason = Literal["end_turn", "tool_calls", "max_tokens", "content_filter", "refusal", "other"]


@attrs.frozen
class TextDelta:
    """A piece of the answer text.

    :param state: provider state for the text part this delta belongs to (merged; e.g. a
        Gemini thought signature), sent back untouched on the next turn.
    :param new_part: this delta starts a new text part (the provider opened a new block).
    """

    text: str
    state: Mapping[str, Any] | None = attrs.field(default=None, kw_only=True)
    new_part: bool = attrs.field(default=False, kw_only=True)
    kind: Literal["text_delta"] = "text_delta"


@attrs.frozen
class ReasoningDelta:
    """A piece of the model's raw reasoning (chain of thought), where the provider exposes it.

    ``state`` and ``new_part`` as for :class:`TextDelta` (a thinking block's signature arrives
    as ``ReasoningDelta("", state={"signature": ...})``).
    """

    text: str
    state: Mapping[str, Any] | None = attrs.field(default=None, kw_only=True)
    new_part: bool = attrs.field(default=False, kw_only=True)
    kind: Literal["reasoning_delta"] = "reasoning_delta"


@attrs.frozen
class ReasoningSummaryDelta:
    """A piece of the provider's reasoning summary (OpenAI ``reasoning.summary``, Gemini thoughts).

    ``state`` and ``new_part`` as for :class:`TextDelta`.
    """

    text: str
    state: Mapping[str, Any] | None = attrs.field(default=None, kw_only=True)
    new_part: bool = attrs.field(default=False, kw_only=True)
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
    ``cost``: USD, when the backend knows it (the provider reported it, or the backend runs a
    framework that prices its own calls, as AG2 does); the core then uses it instead of pricing
    the tokens at the model's :class:`~massgen_core.plugin.specs.ModelSpec` prices.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    reasoning_tokens: int = 0
    cache_write_tokens: int = 0
    web_search_requests: int = 0
    cost: float | None = None
    kind: Literal["usage"] = "usage"

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cached_input_tokens=self.cached_input_tokens + other.cached_input_tokens,
            reasoning_tokens=self.reasoning_tokens + other.reasoning_tokens,
            cache_write_tokens=self.cache_write_tokens + other.cache_write_tokens,
            web_search_requests=self.web_search_requests + other.web_search_requests,
            cost=None if self.cost is None or other.cost is None else self.cost + other.cost,
        )

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@attrs.frozen(kw_only=True)
class Done:
    """The response is complete.

    :param stop_reason: why the model stopped.
    :param message: the assistant turn, if the backend assembled it; left out, the core
        assembles it from the events of this response (:class:`TurnAssembler`).
    :param state: message-level provider state (e.g. a response id), when the core assembles.
    :param citations: sources the provider cites for the whole answer.
    """

    stop_reason: StopReason
    message: Message | None = None
    state: Mapping[str, Any] | None = None
    citations: tuple[Citation, ...] = ()
    kind: Literal["done"] = "done"


@attrs.frozen
class StreamError:
    """The response failed. Produced by the core's retry policy from a :class:`BackendError`."""

    error: BackendError
    kind: Literal["error"] = "error"


#: What a backend's ``stream()`` yields. ``ToolResult`` only from backends with their own agent
#: loop (calls they ran through :class:`~massgen_core.plugin.backend.ToolRunner`).
BackendEvent = (
    TextDelta
    | ReasoningDelta
    | ReasoningSummaryDelta
    | ToolCall
    | ToolResult
    | BuiltinToolActivity
    | Usage
    | Done
)


@attrs.frozen(kw_only=True)
class Restart:
    """The core retries a reply that broke off after it began: what this response streamed so
    far is dropped, and the retried reply follows. Produced by the core's retry policy."""

    attempt: int
    reason: str
    kind: Literal["restart"] = "restart"


#: What the core's streams carry: a backend's events, and the core's :class:`StreamError` and
#: :class:`Restart`.
StreamEvent = BackendEvent | StreamError | Restart

_ASSEMBLED = (TextDelta, ReasoningDelta, ReasoningSummaryDelta, ToolCall)


class TurnAssembler:
    """Builds the assistant :class:`~massgen_core.plugin.messages.Message` of one response from its events.

    Feed it every event (:meth:`add`; events that are not part of the message are ignored), then
    :meth:`message` for the ``Done``: the backend's own ``Done.message`` when it gave one, else
    the parts in order: consecutive deltas of one kind make one part (with their ``state``
    merged), ``new_part`` or a change of kind closes it, and each ``ToolCall`` is a part.
    """

    __slots__ = ("_events",)

    def __init__(self) -> None:
        self._events: list[TextDelta | ReasoningDelta | ReasoningSummaryDelta | ToolCall] = []

    def add(self, event: object) -> None:
        if isinstance(event, _ASSEMBLED):
            self._events.append(event)
        elif isinstance(event, Restart):
            self._events.clear()

    def message(self, done: Done) -> Message:
        if done.message is not None:
            return done.message
        parts: list[Any] = []
        kind: type | None = None
        texts: list[str] = []
        state: dict[str, Any] = {}

        def close() -> None:
            if kind is TextDelta:
                parts.append(TextPart(text="".join(texts), provider_state=dict(state)))
            elif kind is not None:
                summary = kind is ReasoningSummaryDelta
                parts.append(ReasoningPart(text="".join(texts), summary=summary, provider_state=dict(state)))
            texts.clear()
            state.clear()

        for event in self._events:
            if isinstance(event, ToolCall):
                close()
                kind = None
                parts.append(event.call)
                continue
            if type(event) is not kind or event.new_part:
                close()
                kind = type(event)
            texts.append(event.text)
            if event.state:
                state.update(event.state)
        close()
        return Message(role="assistant", parts=tuple(parts), provider_state=dict(done.state or {}))
