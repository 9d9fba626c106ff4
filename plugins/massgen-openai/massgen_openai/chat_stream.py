"""Chat Completions stream chunks (as JSON objects) → MassGen stream events.

Written for every OpenAI-compatible server, not just OpenAI:

* tool calls are assembled by index from fragments spread over chunks, several at once; a server
  that repeats ``id``/``name`` in every delta (llama.cpp) is treated as set-once, and one that
  reuses an index with a new id starts a new call;
* reasoning arrives as ``reasoning_content`` (DeepSeek, SGLang, llama.cpp, GLM) or ``reasoning``
  (vLLM, OpenRouter); both are read;
* citations come as top-level ``citations`` (xAI Live Search, Perplexity) or ``url_citation``
  annotations (OpenAI search models, OpenRouter);
* a stream that ends without a ``finish_reason`` is an error, never a silently truncated answer;
  one in which no chunk looked like a chat completion chunk says that the server does not speak
  the Chat Completions API (a web page, a proxy, another API behind ``base_url``).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from typing import Any, Literal

import attrs
from massgen_core.plugin import (
    BackendError,
    BackendEvent,
    BuiltinToolActivity,
    Citation,
    Done,
    MessageBuilder,
    ProviderServerError,
    ReasoningDelta,
    TextDelta,
    ToolCall,
    ToolCallPart,
    Usage,
    parse_tool_arguments,
)

from .errors import ErrorContext, stream_error

__all__ = ["ChatStreamConverter", "ToolCallAssembler", "chat_usage"]

Stop = Literal["end_turn", "tool_calls", "max_tokens", "content_filter", "refusal", "other"]
_STOP: dict[str, Stop] = {
    "stop": "end_turn",
    "eos": "end_turn",
    "end_turn": "end_turn",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "length": "max_tokens",
    "content_filter": "content_filter",
}
_generated_ids = itertools.count(1)


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def chat_usage(usage: Mapping[str, Any]) -> Usage:
    """A Chat Completions ``usage`` object as a :class:`Usage`."""
    return Usage(
        input_tokens=int(usage.get("prompt_tokens") or 0),
        output_tokens=int(usage.get("completion_tokens") or 0),
        cached_input_tokens=int(_map(usage.get("prompt_tokens_details")).get("cached_tokens") or 0),
        reasoning_tokens=int(_map(usage.get("completion_tokens_details")).get("reasoning_tokens") or 0),
    )


@attrs.define
class _Slot:
    id: str = ""
    name: str = ""
    arguments: list[str] = attrs.field(factory=list)


class ToolCallAssembler:
    """Assembles streamed ``delta.tool_calls`` entries into complete calls."""

    def __init__(self) -> None:
        self._slots: list[_Slot] = []
        self._by_index: dict[int, _Slot] = {}

    def add(self, entry: Mapping[str, Any]) -> None:
        function = _map(entry.get("function"))
        call_id = _str(entry.get("id")) or ""
        name = _str(function.get("name")) or ""
        arguments = function.get("arguments")
        slot = self._slot_for(entry.get("index"), call_id)
        if call_id and not slot.id:
            slot.id = call_id
        if name and name != slot.name:
            slot.name = name if not slot.name else slot.name + name  # fragments; identical repeats: set-once
        if isinstance(arguments, str):
            slot.arguments.append(arguments)
        elif isinstance(arguments, Mapping):  # a server that sends the object itself
            slot.arguments = [json.dumps(dict(arguments))]

    def _slot_for(self, index: Any, call_id: str) -> _Slot:
        if not isinstance(index, int):
            match = next((s for s in self._slots if call_id and s.id == call_id), None)
            if match is not None:
                return match
            if call_id or not self._slots:
                return self._new(len(self._slots) + 10_000)
            return self._slots[-1]
        slot = self._by_index.get(index)
        if slot is None:
            return self._new(index)
        if call_id and slot.id and call_id != slot.id and slot.arguments:
            return self._new(index)  # the index was reused for another call
        return slot

    def _new(self, index: int) -> _Slot:
        slot = _Slot()
        self._slots.append(slot)
        self._by_index[index] = slot
        return slot

    def calls(self) -> list[ToolCallPart]:
        """The complete calls, in the order they started; ids generated where the server sent none."""
        out = []
        for slot in self._slots:
            if not slot.name:
                continue
            call_id = slot.id or f"call_{next(_generated_ids)}"
            arguments = parse_tool_arguments("".join(slot.arguments))
            out.append(ToolCallPart(id=call_id, name=slot.name, arguments=arguments))
        return out


class ChatStreamConverter:
    """Converts one streamed chat completion. Feed chunks in order, then call :meth:`finish`."""

    def __init__(self, errors: ErrorContext) -> None:
        self.errors = errors
        self.builder = MessageBuilder()
        self.tools = ToolCallAssembler()
        self.citations: list[Citation] = []
        self.usage: Usage | None = None
        self.finish_reason: str | None = None
        self._refusal = False
        self._recognized = False  # a chunk had the Chat Completions shape

    def feed(self, chunk: Mapping[str, Any]) -> list[BackendEvent]:
        self._recognized = self._recognized or _is_chat_chunk(chunk)
        if isinstance(chunk.get("error"), Mapping):
            error = chunk["error"]
            raise stream_error(
                self.errors,
                message=_str(error.get("message")),
                code=_str(error.get("code")),
                kind=_str(error.get("type")),
            )
        out: list[BackendEvent] = []
        if isinstance(chunk.get("usage"), Mapping):
            self.usage = chat_usage(chunk["usage"])
        if isinstance(chunk.get("citations"), list):
            out += self._citations(chunk["citations"])
        for choice in chunk.get("choices") or ():
            choice = _map(choice)
            if choice.get("index", 0) not in (0, None):
                continue
            out += self._delta(_map(choice.get("delta")))
            if _str(choice.get("finish_reason")):
                self.finish_reason = choice["finish_reason"]
        return out

    def _delta(self, delta: Mapping[str, Any]) -> list[BackendEvent]:
        out: list[BackendEvent] = []
        reasoning = _str(delta.get("reasoning_content")) or _str(delta.get("reasoning"))
        if reasoning:
            self.builder.reasoning(reasoning)
            out.append(ReasoningDelta(reasoning))
        for key in ("content", "refusal"):
            text = _str(delta.get(key))
            if text:
                self._refusal = self._refusal or key == "refusal"
                self.builder.text(text)
                out.append(TextDelta(text))
        for entry in delta.get("tool_calls") or ():
            self.tools.add(_map(entry))
        annotations = delta.get("annotations")
        if isinstance(annotations, list):
            out += self._citations(annotations)
        return out

    def _citations(self, items: list[Any]) -> list[BackendEvent]:
        new: list[Citation] = []
        for item in items:
            citation = _as_citation(item)
            if citation is not None and all(c.url != citation.url for c in self.citations):
                self.citations.append(citation)
                new.append(citation)
        if not new:
            return []
        return [
            BuiltinToolActivity(
                tool="web_search", call_id="citations", status="completed", citations=tuple(new)
            )
        ]

    def finish(self) -> list[BackendEvent]:
        """The tool calls, ``Usage`` (when reported) and ``Done``; raises if the stream was cut short."""
        if self.finish_reason is None:
            raise self._truncated() if self._recognized else self._not_chat_completions()
        out: list[BackendEvent] = []
        calls = self.tools.calls()
        for call in calls:
            self.builder.tool_call(call)
            out.append(ToolCall(call))
        if self.usage is not None:
            out.append(self.usage)
        stop = _STOP.get(self.finish_reason, "other")
        if calls:
            stop = "tool_calls"
        elif self._refusal:
            stop = "refusal"
        out.append(Done(stop_reason=stop, message=self.builder.build(), citations=tuple(self.citations)))
        return out

    def _truncated(self) -> BackendError:
        return ProviderServerError(
            f"{self.errors.backend}: the stream ended without a finish_reason; the answer is incomplete",
            backend=self.errors.backend,
            model=self.errors.model,
        )

    def _not_chat_completions(self) -> BackendError:
        where = self.errors.base_url or "the server"
        return BackendError(
            f"{self.errors.backend}: {where} answered, but not with Chat Completions stream chunks: "
            f"it does not speak the API the {self.errors.backend} backend expects. Check that base_url "
            "points at an OpenAI-compatible server (not a web page, a proxy or another API)",
            backend=self.errors.backend,
            model=self.errors.model,
            retryable=False,
        )


def _is_chat_chunk(chunk: Mapping[str, Any]) -> bool:
    return (
        chunk.get("object") == "chat.completion.chunk"
        or isinstance(chunk.get("choices"), list)
        or isinstance(chunk.get("error"), Mapping)
    )


def _as_citation(item: Any) -> Citation | None:
    if isinstance(item, str):
        return Citation(url=item) if item else None
    item = _map(item)
    nested = _map(item.get("url_citation"))
    source = nested or item
    url = _str(source.get("url"))
    if not url:
        return None
    return Citation(url=url, title=_str(source.get("title")), snippet=_str(source.get("content")) or None)
