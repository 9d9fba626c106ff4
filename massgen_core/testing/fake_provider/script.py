"""What a test scripts: provider-neutral replies, HTTP errors and stream faults.

A :class:`Reply` describes one model turn (reasoning, built-in tool activity, text, tool calls, usage,
stop reason) plus how it is delivered (latency, a fault part-way through the stream). The server renders
it into whichever wire format the request came in on. :class:`HttpError` answers with an error status
instead.

"After K chunks" (``after=K`` on a fault) counts *content deltas*: text, reasoning, tool-argument and
code deltas (every chunk for Gemini). ``after=0`` fires right after the stream's opening events. If the
reply has K deltas or fewer, the fault fires before the closing events (finish chunk, ``message_delta``,
``response.completed``).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, TypeAlias

import attrs
from attrs import field, frozen


def split_text(text: str, pieces: int) -> tuple[str, ...]:
    """Split ``text`` into at most ``pieces`` consecutive non-empty parts of near-equal length."""
    if not text:
        return ()
    pieces = max(1, min(pieces, len(text)))
    size, extra = divmod(len(text), pieces)
    parts: list[str] = []
    start = 0
    for i in range(pieces):
        end = start + size + (1 if i < extra else 0)
        parts.append(text[start:end])
        start = end
    return tuple(parts)


def _chunks(value: str | Sequence[str]) -> str | tuple[str, ...]:
    return value if isinstance(value, str) else tuple(value)


def _search_results(value: Iterable[SearchResult]) -> tuple[SearchResult, ...]:
    return tuple(value)


def _web_searches(value: Iterable[WebSearch]) -> tuple[WebSearch, ...]:
    return tuple(value)


def _code_executions(value: Iterable[CodeExecution]) -> tuple[CodeExecution, ...]:
    return tuple(value)


def _citations(value: Iterable[Citation]) -> tuple[Citation, ...]:
    return tuple(value)


def _tool_calls(value: Iterable[ToolCall]) -> tuple[ToolCall, ...]:
    return tuple(value)


def _frozen_mapping(value: Mapping[str, str] | None) -> Mapping[str, str]:
    return dict(value or {})


class StopReason(enum.Enum):
    """Why the turn ended, rendered per format (Chat / Responses / Anthropic / Gemini)."""

    END = "end"  # stop / completed / end_turn / STOP
    TOOL_CALLS = "tool_calls"  # tool_calls / completed / tool_use / STOP
    MAX_TOKENS = "max_tokens"  # length / incomplete(max_output_tokens) / max_tokens / MAX_TOKENS
    CONTENT_FILTER = "content_filter"  # content_filter / incomplete(content_filter) / refusal / SAFETY


@frozen
class Usage:
    """Token counts; ``reasoning_tokens`` and ``cached_tokens`` are reported where the format has them.

    ``tool_use_prompt_tokens``: Gemini's ``toolUsePromptTokenCount`` (the prompt tokens of its
    built-in tools' results), counted in Gemini's ``totalTokenCount`` only.
    ``cache_write_tokens``: Anthropic's ``cache_creation_input_tokens`` (prompt tokens written to
    the cache), reported by the Anthropic format only.
    """

    input_tokens: int = 10
    output_tokens: int = 20
    reasoning_tokens: int = 0
    cached_tokens: int = 0
    tool_use_prompt_tokens: int = 0
    cache_write_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@frozen
class Reasoning:
    """Reasoning / thinking text streamed before the answer.

    ``chat_field``: the Chat Completions delta field (``reasoning_content`` as DeepSeek/SGLang/llama.cpp,
    ``reasoning`` as current vLLM). ``summary``/``raw``: Responses emits reasoning-summary events and/or
    raw ``response.reasoning_text.*`` events. ``signature``: Anthropic ``signature_delta`` and Gemini
    ``thoughtSignature`` (sent base64-encoded, so the SDK decodes it back to these UTF-8 bytes).
    ``redacted``: the opaque ``data`` of Anthropic ``redacted_thinking`` blocks sent after the
    thinking block (other formats ignore it).
    """

    text: str | tuple[str, ...] = field(converter=_chunks)
    chunks: int = field(default=2, kw_only=True)
    chat_field: Literal["reasoning_content", "reasoning"] = field(default="reasoning_content", kw_only=True)
    summary: bool = field(default=True, kw_only=True)
    raw: bool = field(default=False, kw_only=True)
    signature: str = field(default="fake-signature", kw_only=True)
    redacted: tuple[str, ...] = field(default=(), converter=tuple, kw_only=True)

    @property
    def pieces(self) -> tuple[str, ...]:
        return split_text(self.text, self.chunks) if isinstance(self.text, str) else self.text

    @property
    def full_text(self) -> str:
        return "".join(self.pieces)


@frozen
class ToolCall:
    """A function/tool call. ``arguments`` is a JSON object (mapping) or a raw JSON string.

    ``id`` defaults to a generated id with the format's usual prefix (``call_``, ``toolu_``); Gemini
    only sends an ``id`` when one is scripted. ``chunks``: argument fragments (not for Gemini).
    """

    name: str
    arguments: Mapping[str, Any] | str = field(factory=dict)
    id: str | None = field(default=None, kw_only=True)
    chunks: int = field(default=2, kw_only=True)

    @property
    def arguments_json(self) -> str:
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(dict(self.arguments), separators=(",", ":"))

    @property
    def arguments_object(self) -> Any:
        if isinstance(self.arguments, str):
            return json.loads(self.arguments) if self.arguments.strip() else {}
        return dict(self.arguments)

    @property
    def argument_pieces(self) -> tuple[str, ...]:
        return split_text(self.arguments_json, self.chunks)


@frozen
class SearchResult:
    """One web search hit."""

    url: str
    title: str
    page_age: str | None = None


@frozen
class WebSearch:
    """A built-in web search (Responses ``web_search_call``, Anthropic ``server_tool_use`` +
    ``web_search_tool_result``, Gemini ``groundingMetadata``). Chat Completions has no built-in tools.
    Responses lists ``action.sources`` only when the request's ``include`` asks for
    ``web_search_call.action.sources``, as the real API does."""

    query: str
    results: tuple[SearchResult, ...] = field(default=(), converter=_search_results)


@frozen
class Citation:
    """A citation of ``url`` on ``text[start_index:end_index]`` (``end_index=None``: to the end)."""

    url: str
    title: str
    start_index: int = 0
    end_index: int | None = None


@frozen
class CodeExecution:
    """A built-in code execution (Responses ``code_interpreter_call``, Gemini ``executableCode`` +
    ``codeExecutionResult``, Anthropic ``server_tool_use`` + ``*code_execution_tool_result``).

    ``anthropic_tool``: ``code_execution`` (input ``{"code"}``, tool 20250522) or ``bash_code_execution``
    (input ``{"command"}``, tool 20250825). ``chunks``: code fragments where the format streams code.
    Responses fills ``outputs`` only when the request's ``include`` has ``code_interpreter_call.outputs``.
    """

    code: str
    output: str = ""
    stderr: str = field(default="", kw_only=True)
    return_code: int = field(default=0, kw_only=True)
    anthropic_tool: Literal["code_execution", "bash_code_execution"] = field(
        default="code_execution", kw_only=True
    )
    chunks: int = field(default=2, kw_only=True)


def _count(instance: object, attribute: attrs.Attribute[int], value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(
            f"{type(instance).__name__}.{attribute.name} must be a count of deltas (0 or more), got {value!r}"
        )


@frozen
class StreamError:
    """An error event sent after ``after`` content deltas, in the format's mid-stream error shape.

    ``status`` picks the error kind (None: the format's usual one — Anthropic ``overloaded_error``,
    OpenAI ``server_error``, Gemini 503 ``UNAVAILABLE``). ``body`` replaces the payload verbatim.
    For a non-streaming request it becomes an HTTP error with that status.
    """

    after: int = field(default=1, validator=_count)
    status: int | None = field(default=None, kw_only=True)
    message: str | None = field(default=None, kw_only=True)
    body: Mapping[str, Any] | None = field(default=None, kw_only=True)


@frozen
class Stall:
    """Stop sending after ``after`` content deltas, keeping the connection open.

    ``seconds=None`` stalls until the client goes away or the server stops; otherwise the stream
    resumes after that pause. For a non-streaming request the stall happens before the headers.
    """

    after: int = field(default=1, validator=_count)
    seconds: float | None = field(default=None, kw_only=True)


@frozen
class Disconnect:
    """Close the connection abruptly after ``after`` content deltas (chunked body left unterminated).

    ``reset=True`` sends a TCP RST instead of a FIN. A non-streaming request gets no response at all.
    """

    after: int = field(default=1, validator=_count)
    reset: bool = field(default=False, kw_only=True)


@frozen
class Malformed:
    """After ``after`` content deltas, send ``data`` (raw bytes that are not the format's events:
    by default an SSE line whose data is not JSON) and end the stream: a server that does not
    speak the API. For a non-streaming request, ``data`` is the whole 200 body."""

    after: int = field(default=1, validator=_count)
    data: bytes = field(default=b"data: this is not json {\n\n", kw_only=True)


Fault: TypeAlias = StreamError | Stall | Disconnect | Malformed


@frozen
class Reply:
    """One scripted model turn, rendered into the wire format of the request it answers.

    ``text``: a string split into ``text_chunks`` pieces, or an explicit sequence of chunks.
    ``usage``: None estimates tokens from the request and reply sizes. ``stop_reason``: None means
    TOOL_CALLS when there are tool calls, else END. ``wire_stop_reason`` is sent verbatim instead
    (Chat ``finish_reason``, Anthropic ``stop_reason``, Gemini ``finishReason``; for Responses any
    value other than ``completed`` gives status ``incomplete`` with that reason).
    ``model``: None echoes the requested model. ``delay``: seconds before the response headers.
    ``chunk_delay``: seconds before each content delta. ``stream_time``: seconds over which the
    content deltas are spread evenly after the headers, as a model generating at a steady rate
    (the last one lands ``delay + stream_time`` after the request arrived). ``fault``: a StreamError, Stall or Disconnect.
    ``chat_repeat_tool_identity``: the llama.cpp quirk (Chat repeats id/type/name in every tool delta).
    """

    text: str | tuple[str, ...] = field(default="", converter=_chunks)
    text_chunks: int = field(default=3, kw_only=True)
    reasoning: Reasoning | None = field(default=None, kw_only=True)
    tool_calls: tuple[ToolCall, ...] = field(default=(), converter=_tool_calls, kw_only=True)
    web_searches: tuple[WebSearch, ...] = field(default=(), converter=_web_searches, kw_only=True)
    code_executions: tuple[CodeExecution, ...] = field(default=(), converter=_code_executions, kw_only=True)
    citations: tuple[Citation, ...] = field(default=(), converter=_citations, kw_only=True)
    usage: Usage | None = field(default=None, kw_only=True)
    stop_reason: StopReason | None = field(default=None, kw_only=True)
    wire_stop_reason: str | None = field(default=None, kw_only=True)
    model: str | None = field(default=None, kw_only=True)
    delay: float = field(default=0.0, kw_only=True)
    chunk_delay: float = field(default=0.0, kw_only=True)
    stream_time: float = field(default=0.0, kw_only=True)
    fault: Fault | None = field(default=None, kw_only=True)
    chat_repeat_tool_identity: bool = field(default=False, kw_only=True)

    @property
    def text_pieces(self) -> tuple[str, ...]:
        return split_text(self.text, self.text_chunks) if isinstance(self.text, str) else self.text

    @property
    def full_text(self) -> str:
        return "".join(self.text_pieces)

    @property
    def resolved_stop_reason(self) -> StopReason:
        if self.stop_reason is not None:
            return self.stop_reason
        return StopReason.TOOL_CALLS if self.tool_calls else StopReason.END

    def evolve(self, **changes: Any) -> Reply:
        """A copy with some fields changed (``attrs.evolve``)."""
        return attrs.evolve(self, **changes)


@frozen
class HttpError:
    """Answer with an HTTP error instead of a reply.

    The body is the provider's real error shape for ``status`` (defaults for 400, 401, 403, 404, 413,
    429, 500, 503, 504, 529); ``message``, ``error_type`` (OpenAI ``error.type``, Anthropic
    ``error.type``, Gemini ``error.status``) and ``code`` (OpenAI ``error.code``) override parts of it,
    ``body`` replaces it verbatim. ``headers`` are added (e.g. ``retry-after``, ``retry-after-ms``,
    ``x-should-retry``). ``invalid_api_key``: the provider's bad-key answer, whatever ``status`` says
    (401 for OpenAI/Anthropic, 400 ``INVALID_ARGUMENT``/``API_KEY_INVALID`` for Gemini).
    """

    status: int = 500
    message: str | None = field(default=None, kw_only=True)
    error_type: str | None = field(default=None, kw_only=True)
    code: str | None = field(default=None, kw_only=True)
    body: Mapping[str, Any] | None = field(default=None, kw_only=True)
    headers: Mapping[str, str] = field(factory=dict, converter=_frozen_mapping, kw_only=True)
    delay: float = field(default=0.0, kw_only=True)
    invalid_api_key: bool = field(default=False, kw_only=True)

    @classmethod
    def rate_limited(
        cls, *, retry_after: float | None = None, retry_after_ms: int | None = None, **kwargs: Any
    ) -> HttpError:
        """A 429 with optional ``retry-after`` (seconds) / ``retry-after-ms`` headers."""
        headers = dict(kwargs.pop("headers", {}))
        if retry_after is not None:
            headers["retry-after"] = f"{retry_after:g}"
        if retry_after_ms is not None:
            headers["retry-after-ms"] = str(retry_after_ms)
        return cls(429, headers=headers, **kwargs)

    @classmethod
    def bad_api_key(cls, **kwargs: Any) -> HttpError:
        """The provider's answer to an invalid API key."""
        return cls(401, invalid_api_key=True, **kwargs)


Scripted: TypeAlias = Reply | HttpError
