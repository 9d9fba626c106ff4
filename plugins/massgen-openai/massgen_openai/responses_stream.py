"""Responses API stream events (as JSON objects) → MassGen stream events.

:class:`ResponsesStreamConverter` is fed each event of a streamed ``POST /responses``
as a mapping and returns the MassGen events it stands for; :meth:`finish` returns the closing
``Usage`` and ``Done``. It raises a :class:`~massgen_core.plugin.BackendError` for ``error`` and
``response.failed`` events (which the SDK yields instead of raising) and for a stream that ends
without a terminal event, so an answer is never silently truncated; when no event of the stream
was a Responses API event, the error says the server does not speak that API.

The assistant message is assembled from the output items as they complete (``output_item.done``);
each part keeps its output item in ``provider_state["openai"]["item"]`` (and the built-in tool
calls before it under ``"before"``) for the next turn's request.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from massgen_core.plugin import (
    BackendError,
    BackendEvent,
    BuiltinToolActivity,
    Citation,
    Done,
    Message,
    Part,
    ProviderServerError,
    ReasoningDelta,
    ReasoningPart,
    ReasoningSummaryDelta,
    TextDelta,
    TextPart,
    ToolCall,
    ToolCallPart,
    Usage,
    parse_tool_arguments,
)

from .errors import ErrorContext, stream_error
from .responses_request import STATE_KEY

__all__ = ["ResponsesStreamConverter", "responses_usage"]

_BUILTIN_KIND = {
    "web_search_call": "web_search",
    "code_interpreter_call": "code_execution",
    "image_generation_call": "image_generation",
}
_PROGRESS_EVENTS = {
    "response.web_search_call.in_progress": "web_search",
    "response.web_search_call.searching": "web_search",
    "response.code_interpreter_call.in_progress": "code_execution",
    "response.code_interpreter_call.interpreting": "code_execution",
    "response.image_generation_call.in_progress": "image_generation",
    "response.image_generation_call.generating": "image_generation",
    "response.image_generation_call.partial_image": "image_generation",
}
#: the core's ``StopReason`` (not exported by ``massgen_core.plugin``)
Stop = Literal["end_turn", "tool_calls", "max_tokens", "content_filter", "refusal", "other"]
_INCOMPLETE_STOP: dict[str, Stop] = {"max_output_tokens": "max_tokens", "content_filter": "content_filter"}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _citation(annotation: Mapping[str, Any]) -> Citation | None:
    if annotation.get("type") != "url_citation" or not _str(annotation.get("url")):
        return None
    return Citation(url=str(annotation["url"]), title=_str(annotation.get("title")))


def responses_usage(usage: Mapping[str, Any]) -> Usage:
    """A Responses ``usage`` object as a :class:`Usage`."""
    return Usage(
        input_tokens=int(usage.get("input_tokens") or 0),
        output_tokens=int(usage.get("output_tokens") or 0),
        cached_input_tokens=int(_map(usage.get("input_tokens_details")).get("cached_tokens") or 0),
        reasoning_tokens=int(_map(usage.get("output_tokens_details")).get("reasoning_tokens") or 0),
    )


class ResponsesStreamConverter:
    """Converts one streamed response. Feed events in order, then call :meth:`finish`.

    :param errors: names the backend/model in errors raised for failure events.
    :param media_dir: where generated images are saved (the agent's workspace); ``None`` keeps
        only their size in the activity event.
    """

    def __init__(self, errors: ErrorContext, *, media_dir: Path | None = None) -> None:
        self.errors = errors
        self.media_dir = media_dir
        self.response_id: str | None = None
        self.parts: list[Part] = []
        self.citations: list[Citation] = []
        self.usage: Usage | None = None
        self.stop_reason: Stop | None = None
        self._before: list[Mapping[str, Any]] = []
        self._text: dict[str, list[str]] = {}
        self._summary: dict[str, dict[int, list[str]]] = {}
        self._raw_reasoning: dict[str, list[str]] = {}
        self._arguments: dict[str, list[str]] = {}
        self._calls: dict[str, Mapping[str, Any]] = {}
        self._code: dict[str, list[str]] = {}
        self._progress: set[str] = set()
        self._done_items: set[str] = set()
        self._refusal = False
        self._recognized = False  # an event had the Responses API shape

    # -- feeding ------------------------------------------------------------------------------
    def feed(self, event: Mapping[str, Any]) -> list[BackendEvent]:
        """The MassGen events for one provider event (often none)."""
        kind = str(event.get("type") or "")
        self._recognized = self._recognized or kind.startswith("response.") or kind == "error"
        item_id = str(event.get("item_id") or "")
        delta = event.get("delta")
        if kind in ("response.created", "response.in_progress", "response.queued"):
            self.response_id = _str(_map(event.get("response")).get("id")) or self.response_id
            return []
        if kind == "response.output_text.delta" and isinstance(delta, str):
            self._text.setdefault(item_id, []).append(delta)
            return [TextDelta(delta)] if delta else []
        if kind == "response.refusal.delta" and isinstance(delta, str):
            self._refusal = True
            self._text.setdefault(item_id, []).append(delta)
            return [TextDelta(delta)] if delta else []
        if kind == "response.reasoning_summary_text.delta" and isinstance(delta, str):
            return self._summary_delta(item_id, int(event.get("summary_index") or 0), delta)
        if kind == "response.reasoning_text.delta" and isinstance(delta, str):
            self._raw_reasoning.setdefault(item_id, []).append(delta)
            return [ReasoningDelta(delta)] if delta else []
        if kind == "response.function_call_arguments.delta" and isinstance(delta, str):
            self._arguments.setdefault(item_id, []).append(delta)
            return []
        if kind == "response.function_call_arguments.done" and isinstance(event.get("arguments"), str):
            self._arguments[item_id] = [event["arguments"]]
            return []
        if kind == "response.code_interpreter_call_code.delta" and isinstance(delta, str):
            self._code.setdefault(item_id, []).append(delta)
            return []
        if kind == "response.code_interpreter_call_code.done" and isinstance(event.get("code"), str):
            self._code[item_id] = [event["code"]]
            return []
        if kind == "response.output_text.annotation.added":
            return self._annotation(item_id, _map(event.get("annotation")))
        if kind in _PROGRESS_EVENTS:
            if item_id in self._progress:
                return []
            self._progress.add(item_id)
            return [BuiltinToolActivity(tool=_PROGRESS_EVENTS[kind], call_id=item_id, status="in_progress")]
        if kind == "response.output_item.added":
            return self._item_added(_map(event.get("item")))
        if kind == "response.output_item.done":
            return self._item_done(_map(event.get("item")))
        if kind == "response.completed":
            return self._completed(_map(event.get("response")), None)
        if kind == "response.incomplete":
            response = _map(event.get("response"))
            reason = _str(_map(response.get("incomplete_details")).get("reason")) or "other"
            return self._completed(response, _INCOMPLETE_STOP.get(reason, "other"))
        if kind == "error":
            raise stream_error(self.errors, message=_str(event.get("message")), code=_str(event.get("code")))
        if kind == "response.failed":
            error = _map(_map(event.get("response")).get("error"))
            raise stream_error(self.errors, message=_str(error.get("message")), code=_str(error.get("code")))
        return []

    def _summary_delta(self, item_id: str, index: int, delta: str) -> list[BackendEvent]:
        pieces = self._summary.setdefault(item_id, {})
        out: list[BackendEvent] = []
        if index not in pieces and pieces:
            out.append(ReasoningSummaryDelta("\n\n"))
        pieces.setdefault(index, []).append(delta)
        if delta:
            out.append(ReasoningSummaryDelta(delta))
        return out

    def _annotation(self, item_id: str, annotation: Mapping[str, Any]) -> list[BackendEvent]:
        citation = _citation(annotation)
        if citation is None or not self._add_citation(citation):
            return []
        return [
            BuiltinToolActivity(
                tool="web_search",
                call_id=item_id,
                status="completed",
                citations=(citation,),
                data={"annotation": dict(annotation)},
            )
        ]

    def _add_citation(self, citation: Citation) -> bool:
        if any(c.url == citation.url for c in self.citations):
            return False
        self.citations.append(citation)
        return True

    def _item_added(self, item: Mapping[str, Any]) -> list[BackendEvent]:
        kind = str(item.get("type") or "")
        item_id = str(item.get("id") or "")
        if kind == "function_call":
            self._calls[item_id] = item
            if isinstance(item.get("arguments"), str) and item["arguments"]:
                self._arguments[item_id] = [item["arguments"]]
            return []
        tool = _BUILTIN_KIND.get(kind)
        if tool is None:
            return []
        action = _map(item.get("action"))
        return [
            BuiltinToolActivity(
                tool=tool,
                call_id=item_id,
                status="started",
                query=_str(action.get("query")),
                code=_str(item.get("code")) or None,
            )
        ]

    def _item_done(self, item: Mapping[str, Any]) -> list[BackendEvent]:
        kind = str(item.get("type") or "")
        item_id = str(item.get("id") or "")
        if item_id:
            self._done_items.add(item_id)
        if kind == "message":
            return self._message_done(item_id, item)
        if kind == "reasoning":
            self._reasoning_done(item_id, item)
            return []
        if kind == "function_call":
            return self._function_call_done(item_id, item)
        if kind in _BUILTIN_KIND:
            return self._builtin_done(kind, item_id, item)
        return []

    def _state(self, item: Mapping[str, Any]) -> dict[str, Any]:
        state: dict[str, Any] = {"item": dict(item)}
        if self._before:
            state["before"] = [dict(i) for i in self._before]
            self._before = []
        return {STATE_KEY: state}

    def _message_done(self, item_id: str, item: Mapping[str, Any]) -> list[BackendEvent]:
        texts: list[str] = []
        out: list[BackendEvent] = []
        for content in item.get("content") or ():
            content = _map(content)
            if content.get("type") == "output_text":
                texts.append(str(content.get("text") or ""))
                for annotation in content.get("annotations") or ():
                    out += self._annotation(item_id, _map(annotation))
            elif content.get("type") == "refusal":
                self._refusal = True
                texts.append(str(content.get("refusal") or ""))
        text = "".join(texts) or "".join(self._text.get(item_id, ()))  # some servers send empty items
        self.parts.append(TextPart(text=text, provider_state=self._state(item)))
        return out

    def _reasoning_done(self, item_id: str, item: Mapping[str, Any]) -> None:
        summary = [str(_map(s).get("text") or "") for s in item.get("summary") or ()]
        raw = [str(_map(c).get("text") or "") for c in item.get("content") or ()]
        if not any(summary) and item_id in self._summary:
            pieces = self._summary[item_id]
            summary = ["".join(pieces[i]) for i in sorted(pieces)]
        if not any(raw) and item_id in self._raw_reasoning:
            raw = ["".join(self._raw_reasoning[item_id])]
        is_summary = any(summary)
        text = "\n\n".join(s for s in summary if s) if is_summary else "".join(raw)
        self.parts.append(ReasoningPart(text=text, summary=is_summary, provider_state=self._state(item)))

    def _function_call_done(self, item_id: str, item: Mapping[str, Any]) -> list[BackendEvent]:
        added = self._calls.get(item_id, {})
        arguments = _str(item.get("arguments"))
        if not arguments:
            arguments = "".join(self._arguments.get(item_id, ()))
        call_id = _str(item.get("call_id")) or _str(added.get("call_id")) or item_id
        name = _str(item.get("name")) or _str(added.get("name")) or ""
        complete = dict(item) | {"arguments": arguments, "call_id": call_id, "name": name}
        part = ToolCallPart(
            id=call_id,
            name=name,
            arguments=parse_tool_arguments(arguments),
            provider_state=self._state(complete),
        )
        self.parts.append(part)
        return [ToolCall(part)]

    def _builtin_done(self, kind: str, item_id: str, item: Mapping[str, Any]) -> list[BackendEvent]:
        tool = _BUILTIN_KIND[kind]
        status: Literal["completed", "failed"] = (
            "failed" if item.get("status") in ("failed", "incomplete") else "completed"
        )
        data: dict[str, Any] = {}
        if kind == "web_search_call":
            action = _map(item.get("action"))
            sources = tuple(
                Citation(url=str(s["url"]), title=_str(s.get("title")))
                for s in (_map(x) for x in action.get("sources") or ())
                if _str(s.get("url"))
            )
            self._before.append(item)
            return [
                BuiltinToolActivity(
                    tool=tool,
                    call_id=item_id,
                    status=status,
                    query=_str(action.get("query")),
                    citations=sources,
                    data={"action": dict(action)},
                )
            ]
        if kind == "code_interpreter_call":
            code = _str(item.get("code")) or "".join(self._code.get(item_id, ())) or None
            logs: list[str] = []
            for output in item.get("outputs") or ():
                output = _map(output)
                if output.get("type") == "logs":
                    logs.append(str(output.get("logs") or ""))
                elif output.get("type") == "image" and _str(output.get("url")):
                    data.setdefault("images", []).append(output["url"])
            if _str(item.get("container_id")):
                data["container_id"] = item["container_id"]
            self._before.append(item)
            return [
                BuiltinToolActivity(
                    tool=tool,
                    call_id=item_id,
                    status=status,
                    code=code,
                    output="".join(logs) if logs else None,
                    data=data,
                )
            ]
        # image_generation_call: save the image; the item itself is not replayed (it holds the bytes)
        result = _str(item.get("result"))
        if result:
            data |= self._save_image(item_id, result, _str(item.get("output_format")) or "png")
        if _str(item.get("revised_prompt")):
            data["revised_prompt"] = item["revised_prompt"]
        return [BuiltinToolActivity(tool=tool, call_id=item_id, status=status, data=data)]

    def _save_image(self, item_id: str, result: str, fmt: str) -> dict[str, Any]:
        try:
            raw = base64.b64decode(result, validate=True)
        except (binascii.Error, ValueError):
            return {"error": "the image is not valid base64"}
        if self.media_dir is None:
            return {"bytes": len(raw)}
        self.media_dir.mkdir(parents=True, exist_ok=True)
        path = self.media_dir / f"image_{item_id or len(self.parts)}.{fmt}"
        path.write_bytes(raw)
        return {"path": str(path), "bytes": len(raw)}

    def _completed(self, response: Mapping[str, Any], stop: Stop | None) -> list[BackendEvent]:
        out: list[BackendEvent] = []
        # servers that skip output_item.done: take the items from the final response
        for item in response.get("output") or ():
            item = _map(item)
            if item.get("id") and str(item["id"]) not in self._done_items:
                out += self._item_done(item)
        self.response_id = _str(response.get("id")) or self.response_id
        if isinstance(response.get("usage"), Mapping):
            self.usage = responses_usage(response["usage"])
        if stop is None:
            if self._refusal:
                stop = "refusal"
            elif any(isinstance(p, ToolCallPart) for p in self.parts):
                stop = "tool_calls"
            else:
                stop = "end_turn"
        self.stop_reason = stop
        return out

    # -- closing ------------------------------------------------------------------------------
    def finish(self) -> list[BackendEvent]:
        """``Usage`` (when reported) and ``Done``; raises if the stream never completed."""
        if self.stop_reason is None:
            raise self._truncated() if self._recognized else self._not_responses_api()
        out: list[BackendEvent] = []
        if self.usage is not None:
            out.append(self.usage)
        state = {STATE_KEY: {"response_id": self.response_id}} if self.response_id else {}
        message = Message(role="assistant", parts=tuple(self.parts), provider_state=state)
        out.append(Done(stop_reason=self.stop_reason, message=message, citations=tuple(self.citations)))
        return out

    def _not_responses_api(self) -> BackendError:
        where = self.errors.base_url or "the server"
        return BackendError(
            f"{self.errors.backend}: {where} answered, but not with Responses API events: it does not "
            f"speak the API the {self.errors.backend} backend expects. Check that base_url points at a "
            "server with the Responses API (for other OpenAI-compatible servers use the chatcompletion "
            "backend)",
            backend=self.errors.backend,
            model=self.errors.model,
            retryable=False,
        )

    def _truncated(self) -> BackendError:
        return ProviderServerError(
            f"{self.errors.backend}: the response stream ended before response.completed; "
            f"the answer is incomplete",
            backend=self.errors.backend,
            model=self.errors.model,
        )
