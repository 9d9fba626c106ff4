"""Messages API stream events (as JSON objects) → MassGen stream events.

:class:`ClaudeStreamConverter` is fed each event of a streamed ``POST /v1/messages`` and returns
the MassGen events it stands for; :meth:`~ClaudeStreamConverter.finish` returns the closing
``Usage`` and ``Done``. A stream that ends before ``message_stop`` raises, so an answer is never
silently truncated (an ``error`` event is raised by the SDK before it gets here).

Every content block is kept for the next turn in the ``provider_state["claude"]`` of the part
it became: ``block`` (thinking with its signature, redacted thinking, text with citations) and
``before`` (the server-tool blocks, web search and code execution, that came before the part).
A turn paused by the API (``pause_turn``, a long server-tool run) is continued by the backend
with :attr:`~ClaudeStreamConverter.content` sent back; the converter then takes the next stream.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from massgen_core.plugin import (
    BackendError,
    BuiltinToolActivity,
    Citation,
    Done,
    Message,
    Part,
    ProviderServerError,
    ReasoningDelta,
    ReasoningPart,
    StreamEvent,
    TextDelta,
    TextPart,
    ToolCall,
    ToolCallPart,
    Usage,
    parse_tool_arguments,
)

from .errors import ErrorContext, stream_error
from .request import STATE_KEY

__all__ = ["ClaudeStreamConverter", "code_output"]

#: the core's ``StopReason``
Stop = Literal["end_turn", "tool_calls", "max_tokens", "content_filter", "refusal", "other"]
_STOP: dict[str, Stop] = {
    "end_turn": "end_turn",
    "stop_sequence": "end_turn",
    "tool_use": "tool_calls",
    "max_tokens": "max_tokens",
    "model_context_window_exceeded": "max_tokens",
    "refusal": "refusal",
}
#: server tool name -> the capability kind its activity is reported under
_SERVER_TOOL_KIND = {
    "web_search": "web_search",
    "code_execution": "code_execution",
    "bash_code_execution": "code_execution",
    "text_editor_code_execution": "code_execution",
}


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def code_output(stdout: str, stderr: str, return_code: int | None) -> str:
    """What a code run printed, as one text: stdout, then stderr and a non-zero return code."""
    out = stdout
    if stderr:
        out += ("" if not out or out.endswith("\n") else "\n") + f"[stderr]\n{stderr}"
    if return_code:
        out += ("" if not out or out.endswith("\n") else "\n") + f"[return code {return_code}]"
    return out


class _Block:
    """A content block being streamed: its start, its deltas, its signature and citations."""

    __slots__ = ("citations", "pieces", "signature", "start")

    def __init__(self, start: Mapping[str, Any]) -> None:
        self.start = start
        self.pieces: list[str] = []
        self.signature: str | None = None
        self.citations: list[dict[str, Any]] = []

    @property
    def kind(self) -> str:
        return str(self.start.get("type") or "")

    def joined(self) -> str:
        return "".join(self.pieces)


class _RoundUsage:
    """One request's usage: ``message_start`` gives the input side, ``message_delta`` the rest."""

    __slots__ = ("cache_read", "cache_write", "input", "output", "searches")

    def __init__(self) -> None:
        self.input = self.cache_read = self.cache_write = self.output = self.searches = 0

    def update(self, usage: Mapping[str, Any]) -> None:
        if "input_tokens" in usage:
            self.input = _int(usage["input_tokens"])
        if "cache_read_input_tokens" in usage:
            self.cache_read = _int(usage["cache_read_input_tokens"])
        if "cache_creation_input_tokens" in usage:
            self.cache_write = _int(usage["cache_creation_input_tokens"])
        if "output_tokens" in usage:
            self.output = _int(usage["output_tokens"])
        searches = _map(usage.get("server_tool_use")).get("web_search_requests")
        if searches is not None:
            self.searches = _int(searches)

    def usage(self) -> Usage:
        return Usage(
            input_tokens=self.input + self.cache_read + self.cache_write,
            output_tokens=self.output,
            cached_input_tokens=self.cache_read,
            cache_write_tokens=self.cache_write,
            web_search_requests=self.searches,
        )


class ClaudeStreamConverter:
    """Converts one assistant turn (one stream, or several when the API paused the turn)."""

    def __init__(self, errors: ErrorContext) -> None:
        self.errors = errors
        self.parts: list[Part] = []
        self.citations: list[Citation] = []
        #: the turn's content blocks so far, as the API takes them back
        self.content: list[dict[str, Any]] = []
        #: the wire ``stop_reason`` of the last completed stream (None: not completed)
        self.stop_reason: str | None = None
        self._usage: list[_RoundUsage] = []
        self._open: dict[int, _Block] = {}
        self._before: list[dict[str, Any]] = []
        self._server_calls: dict[str, Mapping[str, Any]] = {}
        self._completed = False

    @property
    def paused(self) -> bool:
        """Whether the API paused the turn (send :attr:`content` back to continue it)."""
        return self._completed and self.stop_reason == "pause_turn"

    def next_stream(self) -> None:
        """Get ready for the stream that continues a paused turn."""
        self._completed = False
        self.stop_reason = None
        self._open.clear()

    # -- feeding ------------------------------------------------------------------------------
    def feed(self, event: Mapping[str, Any]) -> list[StreamEvent]:
        """The MassGen events for one provider event (often none)."""
        kind = event.get("type")
        if kind == "content_block_delta":
            return self._delta(self._open.get(_int(event.get("index"))), _map(event.get("delta")))
        if kind == "content_block_start":
            block = _Block(_map(event.get("content_block")))
            self._open[_int(event.get("index"))] = block
            return self._started(block)
        if kind == "content_block_stop":
            block_or_none = self._open.pop(_int(event.get("index")), None)
            return self._stopped(block_or_none) if block_or_none is not None else []
        if kind == "message_start":
            self._usage.append(_RoundUsage())
            self._usage[-1].update(_map(_map(event.get("message")).get("usage")))
        elif kind == "message_delta":
            if not self._usage:
                self._usage.append(_RoundUsage())
            self._usage[-1].update(_map(event.get("usage")))
            self.stop_reason = _str(_map(event.get("delta")).get("stop_reason")) or self.stop_reason
        elif kind == "message_stop":
            self._completed = True
        elif kind == "error":
            raise stream_error(self.errors, _map(event.get("error")))
        return []

    def _delta(self, block: _Block | None, delta: Mapping[str, Any]) -> list[StreamEvent]:
        if block is None:
            return []
        kind = delta.get("type")
        if kind == "text_delta":
            text = str(delta.get("text") or "")
            block.pieces.append(text)
            return [TextDelta(text)] if text else []
        if kind == "thinking_delta":
            text = str(delta.get("thinking") or "")
            block.pieces.append(text)
            return [ReasoningDelta(text)] if text else []
        if kind == "signature_delta":
            block.signature = (block.signature or "") + str(delta.get("signature") or "")
        elif kind == "input_json_delta":
            block.pieces.append(str(delta.get("partial_json") or ""))
        elif kind == "citations_delta":
            citation = dict(_map(delta.get("citation")))
            block.citations.append(citation)
            return self._cited(citation)
        return []

    def _cited(self, citation: Mapping[str, Any]) -> list[StreamEvent]:
        url = _str(citation.get("url"))
        if not url or any(c.url == url for c in self.citations):
            return []
        cited = Citation(url=url, title=_str(citation.get("title")), snippet=_str(citation.get("cited_text")))
        self.citations.append(cited)
        return [
            BuiltinToolActivity(
                tool="web_search", call_id="citations", status="completed", citations=(cited,), data=citation
            )
        ]

    def _started(self, block: _Block) -> list[StreamEvent]:
        start = block.start
        if block.kind == "text" and _str(start.get("text")):
            block.pieces.append(str(start["text"]))
            return [TextDelta(str(start["text"]))]
        if block.kind == "thinking" and _str(start.get("thinking")):
            block.pieces.append(str(start["thinking"]))
            return [ReasoningDelta(str(start["thinking"]))]
        if block.kind == "server_tool_use":
            name = str(start.get("name") or "")
            tool = _SERVER_TOOL_KIND.get(name, name)
            return [BuiltinToolActivity(tool=tool, call_id=str(start.get("id") or ""), status="started")]
        return []

    # -- completed blocks ---------------------------------------------------------------------
    def _state(self, block: Mapping[str, Any] | None = None) -> dict[str, Any]:
        state: dict[str, Any] = {}
        if block is not None:
            state["block"] = dict(block)
        if self._before:
            state["before"] = self._before
            self._before = []
        return {STATE_KEY: state} if state else {}

    def _stopped(self, block: _Block) -> list[StreamEvent]:
        kind = block.kind
        if kind == "text":
            text = block.joined()
            wire: dict[str, Any] = {"type": "text", "text": text}
            if block.citations:
                wire["citations"] = block.citations
            if text:
                self.content.append(wire)
                self.parts.append(TextPart(text=text, provider_state=self._state(wire)))
            return []
        if kind == "thinking":
            thinking = block.joined()
            signature = block.signature or _str(block.start.get("signature")) or ""
            wire = {"type": "thinking", "thinking": thinking, "signature": signature}
            self.content.append(wire)
            self.parts.append(ReasoningPart(text=thinking, provider_state=self._state(wire)))
            return []
        if kind == "redacted_thinking":
            wire = dict(block.start)
            self.content.append(wire)
            self.parts.append(ReasoningPart(text="", provider_state=self._state(wire)))
            return []
        if kind == "tool_use":
            return self._tool_use(block)
        if kind == "server_tool_use":
            return self._server_tool_use(block)
        wire = dict(block.start)  # server-tool results and anything newer: kept and sent back verbatim
        self.content.append(wire)
        self._before.append(wire)
        if kind == "web_search_tool_result":
            return self._search_result(wire)
        if kind.endswith("code_execution_tool_result"):
            return self._code_result(wire)
        return []

    def _input(self, block: _Block) -> Mapping[str, Any]:
        raw = block.joined()
        return parse_tool_arguments(raw) if raw else _map(block.start.get("input"))

    def _tool_use(self, block: _Block) -> list[StreamEvent]:
        call_id, name = str(block.start.get("id") or ""), str(block.start.get("name") or "")
        arguments = self._input(block)
        self.content.append({"type": "tool_use", "id": call_id, "name": name, "input": dict(arguments)})
        part = ToolCallPart(id=call_id, name=name, arguments=arguments, provider_state=self._state())
        self.parts.append(part)
        return [ToolCall(part)]

    def _server_tool_use(self, block: _Block) -> list[StreamEvent]:
        tool_input = self._input(block)
        wire = dict(block.start) | {"input": dict(tool_input)}
        call_id = str(wire.get("id") or "")
        self._server_calls[call_id] = wire
        self.content.append(wire)
        self._before.append(wire)
        name = str(wire.get("name") or "")
        tool = _SERVER_TOOL_KIND.get(name, name)
        return [
            BuiltinToolActivity(
                tool=tool,
                call_id=call_id,
                status="in_progress",
                query=_str(tool_input.get("query")),
                code=_code_of(name, tool_input),
                data={"name": name, "input": dict(tool_input)},
            )
        ]

    def _search_result(self, wire: Mapping[str, Any]) -> list[StreamEvent]:
        call_id = str(wire.get("tool_use_id") or "")
        query = _str(_map(self._server_calls.get(call_id, {}).get("input")).get("query"))
        content = wire.get("content")
        if not isinstance(content, Sequence) or isinstance(content, str):
            error = _map(content)
            return [
                BuiltinToolActivity(
                    tool="web_search",
                    call_id=call_id,
                    status="failed",
                    query=query,
                    output=_str(error.get("error_code")),
                    data={"error": dict(error)},
                )
            ]
        results = [_map(r) for r in content]
        found = tuple(
            Citation(url=str(r["url"]), title=_str(r.get("title")))
            for r in results
            if r.get("type") == "web_search_result" and _str(r.get("url"))
        )
        return [
            BuiltinToolActivity(
                tool="web_search",
                call_id=call_id,
                status="completed",
                query=query,
                citations=found,
                data={"results": [{k: v for k, v in r.items() if k != "encrypted_content"} for r in results]},
            )
        ]

    def _code_result(self, wire: Mapping[str, Any]) -> list[StreamEvent]:
        call_id = str(wire.get("tool_use_id") or "")
        call = self._server_calls.get(call_id, {})
        name = str(call.get("name") or "code_execution")
        code = _code_of(name, _map(call.get("input")))
        result = _map(wire.get("content"))
        kind = str(result.get("type") or "")
        if kind.endswith("_error") or "error_code" in result:
            return [
                BuiltinToolActivity(
                    tool="code_execution",
                    call_id=call_id,
                    status="failed",
                    code=code,
                    output=_str(result.get("error_code")) or kind,
                    data={"error": dict(result)},
                )
            ]
        data: dict[str, Any] = {"result_type": kind}
        output: str | None
        if "stdout" in result or "stderr" in result or "return_code" in result:
            stdout, stderr = str(result.get("stdout") or ""), str(result.get("stderr") or "")
            return_code = result.get("return_code")
            data |= {"stdout": stdout, "stderr": stderr, "return_code": return_code}
            output = code_output(stdout, stderr, return_code if isinstance(return_code, int) else None)
        else:  # text editor results: a file viewed, created or edited
            output = _str(result.get("content"))
            data |= {k: v for k, v in result.items() if k != "type"}
        return [
            BuiltinToolActivity(
                tool="code_execution",
                call_id=call_id,
                status="completed",
                code=code,
                output=output,
                data=data,
            )
        ]

    # -- closing ------------------------------------------------------------------------------
    def finish(self) -> list[StreamEvent]:
        """``Usage`` and ``Done``; raises if the last stream never completed."""
        if not self._completed:
            raise self._truncated()
        out: list[StreamEvent] = []
        if self._usage:
            total = Usage()
            for round_usage in self._usage:
                total = total + round_usage.usage()
            out.append(total)
        state = {STATE_KEY: {"after": self._before}} if self._before else {}
        message = Message(role="assistant", parts=tuple(self.parts), provider_state=state)
        stop = _STOP.get(self.stop_reason or "", "other")
        if stop == "end_turn" and any(isinstance(p, ToolCallPart) for p in self.parts):
            stop = "tool_calls"
        out.append(Done(stop_reason=stop, message=message, citations=tuple(self.citations)))
        return out

    def _truncated(self) -> BackendError:
        return ProviderServerError(
            f"{self.errors.backend}: the response stream ended before message_stop; the answer is incomplete",
            backend=self.errors.backend,
            model=self.errors.model,
        )


def _code_of(name: str, tool_input: Mapping[str, Any]) -> str | None:
    """The code a server tool runs: Python (``code``), a shell command, or a file edit."""
    if name == "text_editor_code_execution":
        command, path = _str(tool_input.get("command")), _str(tool_input.get("path"))
        return " ".join(x for x in (command, path) if x) or None
    return _str(tool_input.get("code")) or _str(tool_input.get("command"))
