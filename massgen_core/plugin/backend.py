"""The backend contract: what a plugin's backend implements and what it is given.

A backend is built by ``factory(options, context)`` (the context is a
:class:`~massgen_core.plugin.specs.BackendContext`) and implements one async streaming
method::

    class MyBackend:
        def __init__(self, options: MyOptions, context: BackendContext) -> None: ...
        def stream(self, request: ChatRequest) -> AsyncIterator[BackendEvent]: ...
        async def aclose(self) -> None: ...

``stream`` yields deltas and ends with a :class:`~massgen_core.plugin.stream.Done` (the core
assembles the assistant turn from the deltas); on failure it
raises a :class:`~massgen_core.plugin.errors.BackendError` (use :func:`map_http_error` to build one
from a status code). It does no retries of its own and turns its SDK's retries off: the core's
:func:`~massgen_core.runtime.resilience.resilient_stream` is the one retry and timeout loop for every
backend.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from typing import Any, Literal, Protocol, runtime_checkable

import attrs

from .messages import Message, ReasoningPart, TextPart, ToolCallPart, ToolResultPart
from .stream import BackendEvent

__all__ = [
    "Backend",
    "ChatRequest",
    "MessageBuilder",
    "ToolDefinition",
    "ToolRunner",
    "parse_tool_arguments",
]


@attrs.frozen(kw_only=True)
class ToolDefinition:
    """A function tool as the model sees it."""

    name: str
    description: str
    parameters: Mapping[str, Any] = attrs.field(factory=lambda: {"type": "object", "properties": {}})


def _messages(value: Iterable[Message]) -> tuple[Message, ...]:
    return tuple(value)


def _tools(value: Iterable[ToolDefinition]) -> tuple[ToolDefinition, ...]:
    return tuple(value)


@runtime_checkable
class ToolRunner(Protocol):
    """The core's tool executor, for backends that run their own agent loop (Claude Code, AG2).

    Most backends never use it: they yield :class:`~massgen_core.plugin.stream.ToolCall` events, end
    with ``Done``, and the core runs the calls and sends the results in the next request. A
    backend whose provider loops by itself (it calls tools and carries on without returning)
    instead runs each call through :meth:`run`, yields a ``ToolCall`` and then a
    :class:`~massgen_core.plugin.stream.ToolResult` with the same ``call_id``; the core does not run
    those calls again. A call :meth:`runs` says no to (the coordination's ``new_answer`` and
    ``vote``) ends the turn: the backend yields its ``ToolCall``, stops its loop, and ends with
    ``Done(stop_reason="tool_calls")``; the core handles it.
    """

    def runs(self, name: str) -> bool:
        """Whether the core runs tool ``name`` inside a turn (``False``: the call ends the turn)."""
        ...

    async def run(self, call: ToolCallPart) -> ToolResultPart:
        """Run ``call`` (never raises: a failure is a result with ``is_error``)."""
        ...


@attrs.frozen(kw_only=True)
class ChatRequest:
    """One request to a backend: the conversation so far and the tools on offer.

    :param tool_runner: runs the tools in :attr:`tools` that the core runs itself; only for
        backends with their own agent loop (see :class:`ToolRunner`).
    """

    messages: tuple[Message, ...] = attrs.field(converter=_messages)
    tools: tuple[ToolDefinition, ...] = attrs.field(default=(), converter=_tools)
    tool_choice: Literal["auto", "required", "none"] | str = "auto"
    tool_runner: ToolRunner | None = attrs.field(default=None, eq=False, repr=False)


@runtime_checkable
class Backend(Protocol):
    """What a backend object implements."""

    def stream(self, request: ChatRequest) -> AsyncIterator[BackendEvent]:
        """Send ``request`` and yield events, ending with ``Done``; raise ``BackendError`` on failure."""
        ...

    async def aclose(self) -> None:
        """Release connections and subprocesses."""
        ...


def parse_tool_arguments(raw: str | Mapping[str, Any] | None) -> Mapping[str, Any]:
    """Arguments of a tool call as a mapping, whatever the provider sent.

    Streams deliver JSON text; an empty string means no arguments; text that is not a JSON
    object is kept under ``"_raw"`` so the tool can report it to the model instead of crashing.
    """
    if raw is None or raw == "":
        return {}
    if isinstance(raw, Mapping):
        return raw
    try:
        value = json.loads(raw)
    except ValueError:
        return {"_raw": raw}
    return value if isinstance(value, dict) else {"_raw": raw}


class MessageBuilder:
    """Assembles the assistant :class:`Message` of a streamed response.

    Backends feed it the pieces they stream (text, reasoning, complete tool calls) and any
    provider state, then call :meth:`build` for the ``Done`` event. Consecutive text (and
    reasoning) deltas are merged into one part.
    """

    __slots__ = ("_parts", "_pending_kind", "_pending_state", "_pending_text", "provider_state")

    def __init__(self) -> None:
        self._parts: list[Any] = []
        self._pending_kind: str | None = None
        self._pending_text: list[str] = []
        self._pending_state: dict[str, Any] = {}
        self.provider_state: dict[str, Any] = {}

    def _flush(self) -> None:
        if self._pending_kind is None:
            return
        text = "".join(self._pending_text)
        state = dict(self._pending_state)
        if self._pending_kind == "text":
            self._parts.append(TextPart(text=text, provider_state=state))
        else:
            summary = self._pending_kind == "summary"
            self._parts.append(ReasoningPart(text=text, summary=summary, provider_state=state))
        self._pending_kind = None
        self._pending_text = []
        self._pending_state = {}

    def _add(self, kind: str, text: str, state: Mapping[str, Any] | None) -> None:
        if self._pending_kind != kind:
            self._flush()
            self._pending_kind = kind
        self._pending_text.append(text)
        if state:
            self._pending_state.update(state)

    def text(self, text: str, state: Mapping[str, Any] | None = None) -> None:
        self._add("text", text, state)

    def reasoning(self, text: str, *, summary: bool = False, state: Mapping[str, Any] | None = None) -> None:
        self._add("summary" if summary else "reasoning", text, state)

    def reasoning_state(self, state: Mapping[str, Any], *, summary: bool = False) -> None:
        """Attach provider state (e.g. a signature) to the current reasoning part, creating one if needed."""
        kind = "summary" if summary else "reasoning"
        if self._pending_kind != kind:
            self._flush()
            self._pending_kind = kind
        self._pending_state.update(state)

    def end_part(self) -> None:
        """Close the current text or reasoning part, so the next delta starts a new one
        (e.g. two reasoning items in a row, each with its own provider state)."""
        self._flush()

    def tool_call(self, call: ToolCallPart) -> None:
        self._flush()
        self._parts.append(call)

    def build(self) -> Message:
        self._flush()
        return Message(role="assistant", parts=tuple(self._parts), provider_state=dict(self.provider_state))

    @property
    def tool_calls(self) -> Sequence[ToolCallPart]:
        return [p for p in self._parts if isinstance(p, ToolCallPart)]
