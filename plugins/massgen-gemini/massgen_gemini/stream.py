"""One streamed ``generateContent`` response (SDK chunks) → MassGen events and the model's parts.

:class:`ResponseReader` is fed each ``GenerateContentResponse`` chunk and returns the events it
stands for; :meth:`ResponseReader.finish` returns the closing ones (grounding, usage) and raises
when the stream ended before Gemini gave a finish reason, so an answer is never silently cut.

Besides feeding a :class:`MessageBuilder` (the provider-neutral message), it keeps the model's
parts as Gemini sent them (:attr:`ResponseReader.parts`, JSON-able): text with its ``thought``
flag and ``thought_signature`` (base64), function calls with their signature and id, and the
built-in tools' parts (code and its result, server-side tool calls and responses) in the SDK's
own JSON. Consecutive text pieces are merged, but never into a part that carries a signature.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from typing import Any

from massgen_core.plugin import (
    BuiltinToolActivity,
    Citation,
    MessageBuilder,
    ReasoningDelta,
    ReasoningSummaryDelta,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallPart,
    Usage,
)

from .errors import ErrorContext, broken_stream
from .request import STATE_KEY

__all__ = ["Grounding", "ResponseReader", "gemini_usage", "source_list"]

Json = dict[str, Any]


def _enum(value: Any) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "value", value))


def _b64(value: bytes | None) -> str | None:
    return base64.b64encode(value).decode("ascii") if value else None


def gemini_usage(metadata: Any) -> Usage:
    """``usage_metadata`` as a :class:`Usage`: tool-use prompt tokens count as input, thoughts as
    output (they are billed as output) and as reasoning; cached content is part of the prompt."""
    thoughts = metadata.thoughts_token_count or 0
    return Usage(
        input_tokens=(metadata.prompt_token_count or 0) + (metadata.tool_use_prompt_token_count or 0),
        output_tokens=(metadata.candidates_token_count or 0) + thoughts,
        cached_input_tokens=metadata.cached_content_token_count or 0,
        reasoning_tokens=thoughts,
    )


class Grounding:
    """Google Search grounding of one response: queries, sources, and the text each supports."""

    def __init__(self, metadata: Any) -> None:
        self.queries: list[str] = [q for q in (metadata.web_search_queries or []) if q]
        sources: list[tuple[str, str | None]] = []
        for chunk in metadata.grounding_chunks or []:
            web = chunk.web
            if web is not None and web.uri:
                sources.append((web.uri, web.title))
        snippets: dict[int, str] = {}
        for support in metadata.grounding_supports or []:
            text = support.segment.text if support.segment is not None else None
            for index in support.grounding_chunk_indices or []:
                if text and index not in snippets:
                    snippets[index] = text
        self.citations: tuple[Citation, ...] = tuple(
            Citation(url=url, title=title, snippet=snippets.get(i)) for i, (url, title) in enumerate(sources)
        )

    def __bool__(self) -> bool:
        return bool(self.queries or self.citations)

    def state(self) -> Json:
        """What is kept with the answer (``provider_state["gemini"]["grounding"]``)."""
        return {
            "queries": list(self.queries),
            "sources": [{"url": c.url, "title": c.title, "supports": c.snippet} for c in self.citations],
        }

    def activity(self, call_id: str) -> BuiltinToolActivity:
        return BuiltinToolActivity(
            tool="web_search",
            call_id=call_id,
            status="completed",
            query="; ".join(self.queries) or None,
            citations=self.citations,
            data={"queries": list(self.queries)},
        )


class ResponseReader:
    """Reads one streamed response. Feed chunks in order, then call :meth:`finish`.

    :param builder: receives the text, reasoning and tool calls (several readers may share one
        when a turn takes more than one request).
    :param research: the response of a built-in-tools-only request made before the function
        calling one: its text is the research the answer builds on, shown as reasoning.
    """

    def __init__(self, errors: ErrorContext, builder: MessageBuilder, *, research: bool = False) -> None:
        self.errors = errors
        self.builder = builder
        self.research = research
        self.parts: list[Json] = []
        self.call_ids: dict[str, str | None] = {}
        self.finish_reason: str | None = None
        self.block_reason: str | None = None
        self.grounding: Grounding | None = None
        self.usage: Usage | None = None
        self.research_text: list[str] = []
        self._code: dict[int, str] = {}
        self._signed_text = False  # the last stored part is text with a signature

    @property
    def tool_calls(self) -> bool:
        return bool(self.call_ids)

    # -- feeding ------------------------------------------------------------------------------
    def feed(self, chunk: Any) -> list[StreamEvent]:
        """The MassGen events for one ``GenerateContentResponse`` chunk."""
        events: list[StreamEvent] = []
        if chunk.usage_metadata is not None:
            self.usage = gemini_usage(chunk.usage_metadata)
        feedback = chunk.prompt_feedback
        if feedback is not None and feedback.block_reason is not None:
            self.block_reason = _enum(feedback.block_reason)
        candidates = chunk.candidates
        if not candidates:
            return events
        candidate = candidates[0]
        content = candidate.content
        if content is not None and content.parts:
            for part in content.parts:
                events += self._part(part)
        if candidate.grounding_metadata is not None:
            grounding = Grounding(candidate.grounding_metadata)
            if grounding:
                self.grounding = grounding
        if candidate.finish_reason is not None:
            self.finish_reason = _enum(candidate.finish_reason)
        return events

    def _part(self, part: Any) -> list[StreamEvent]:
        signature = _b64(part.thought_signature)
        state = {STATE_KEY: {"thought_signature": signature}} if signature else None
        if part.function_call is not None:
            return [self._function_call(part.function_call, signature, state)]
        if part.text is not None:
            return self._text(part.text, bool(part.thought), signature, state)
        self.parts.append({"sdk_json": part.model_dump_json(exclude_none=True)})
        self._signed_text = False
        if part.executable_code is not None:
            number = len(self._code) + 1
            code = part.executable_code.code or ""
            self._code[number] = code
            return [
                BuiltinToolActivity(
                    tool="code_execution", call_id=f"code_{number}", status="in_progress", code=code
                )
            ]
        if part.code_execution_result is not None:
            result = part.code_execution_result
            number = max(self._code, default=0)
            ok = _enum(result.outcome) == "OUTCOME_OK"
            return [
                BuiltinToolActivity(
                    tool="code_execution",
                    call_id=f"code_{number}",
                    status="completed" if ok else "failed",
                    code=self._code.get(number),
                    output=result.output or "",
                    data={"outcome": _enum(result.outcome)},
                )
            ]
        if part.tool_call is not None:
            call = part.tool_call
            args = dict(call.args or {})
            queries = args.get("queries")
            query = "; ".join(map(str, queries)) if isinstance(queries, list) else None
            return [
                BuiltinToolActivity(
                    tool=_builtin_kind(call.tool_type),
                    call_id=call.id or f"server_{len(self.parts)}",
                    status="started",
                    query=query,
                    data=args,
                )
            ]
        if part.tool_response is not None:
            response = part.tool_response
            return [
                BuiltinToolActivity(
                    tool=_builtin_kind(response.tool_type),
                    call_id=response.id or f"server_{len(self.parts)}",
                    status="completed",
                    data=dict(response.response or {}),
                )
            ]
        return []

    def _text(self, text: str, thought: bool, signature: str | None, state: Json | None) -> list[StreamEvent]:
        last = self.parts[-1] if self.parts else None
        if (
            last is not None
            and not self._signed_text
            and "text" in last
            and bool(last.get("thought")) == thought
            and signature is None
        ):
            last["text"] += text
        else:
            stored: Json = {"text": text}
            if thought:
                stored["thought"] = True
            if signature:
                stored["thought_signature"] = signature
            self.parts.append(stored)
            self._signed_text = signature is not None
        if thought:
            self.builder.reasoning(text, summary=True, state=state)
            return [ReasoningSummaryDelta(text)] if text else []
        if self.research:
            self.research_text.append(text)
            self.builder.reasoning(text, state=state)
            return [ReasoningDelta(text)] if text else []
        self.builder.text(text, state)
        return [TextDelta(text)] if text else []

    def _function_call(self, call: Any, signature: str | None, state: Json | None) -> StreamEvent:
        provider_id = call.id or None
        call_id = provider_id or f"call_{uuid.uuid4().hex[:16]}"
        self.call_ids[call_id] = provider_id
        args = dict(call.args or {})
        function_call: Json = {"name": call.name or "", "args": args}
        if provider_id:
            function_call["id"] = provider_id
        stored: Json = {"function_call": function_call}
        if signature:
            stored["thought_signature"] = signature
        self.parts.append(stored)
        self._signed_text = False
        tool_call = ToolCallPart(id=call_id, name=call.name or "", arguments=args, provider_state=state or {})
        self.builder.tool_call(tool_call)
        return ToolCall(tool_call)

    # -- the end ------------------------------------------------------------------------------
    def finish(self, *, activity_id: str = "search") -> list[StreamEvent]:
        """The closing events: the search grounding, then the usage."""
        if self.finish_reason is None and self.block_reason is None:
            raise broken_stream(self.errors, "no finish reason")
        events: list[StreamEvent] = []
        if self.grounding:
            events.append(self.grounding.activity(activity_id))
        if self.usage is not None:
            events.append(self.usage)
        return events

    def content(self) -> Json | None:
        """The model's turn as stored for the next request (None when it said nothing)."""
        return {"role": "model", "parts": self.parts} if self.parts else None


def _builtin_kind(tool_type: Any) -> str:
    name = _enum(tool_type) or ""
    if name.startswith("GOOGLE_SEARCH") or name == "URL_CONTEXT":
        return "web_search"
    return name.lower() or "builtin"


def source_list(citations: Sequence[Citation]) -> str:
    """Sources as numbered lines, for the request that follows a research request."""
    return "\n".join(f"[{i}] {c.title or c.url}: {c.url}" for i, c in enumerate(citations, 1))
