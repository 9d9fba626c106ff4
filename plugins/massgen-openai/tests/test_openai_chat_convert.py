"""The Chat Completions converters as pure functions, on chunk sequences real servers send."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from massgen_core.plugin import (
    BuiltinToolActivity,
    ChatRequest,
    Done,
    MediaPart,
    Message,
    ProviderServerError,
    RateLimitError,
    ReasoningDelta,
    TextDelta,
    ToolCall,
    ToolCallPart,
    ToolDefinition,
    ToolResultPart,
)

from massgen_openai.chat_request import ChatSettings, build_chat_params, chat_messages
from massgen_openai.chat_stream import ChatStreamConverter, ToolCallAssembler
from massgen_openai.errors import ErrorContext

CTX = ErrorContext(backend="chatcompletion", model="m")


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None, **extra: Any) -> dict[str, Any]:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    return {"id": "c", "object": "chat.completion.chunk", "choices": choices, **extra}


def convert(chunks: list[dict[str, Any]]) -> list[Any]:
    converter = ChatStreamConverter(CTX)
    out: list[Any] = []
    for c in chunks:
        out += converter.feed(c)
    return out + converter.finish()


def tool_delta(
    index: int, *, id: str | None = None, name: str | None = None, args: str | None = None
) -> dict[str, Any]:
    entry: dict[str, Any] = {"index": index}
    if id is not None:
        entry |= {"id": id, "type": "function"}
    function: dict[str, Any] = {}
    if name is not None:
        function["name"] = name
    if args is not None:
        function["arguments"] = args
    if function:
        entry["function"] = function
    return {"tool_calls": [entry]}


def test_text_usage_and_stop() -> None:
    events = convert(
        [
            chunk({"role": "assistant", "content": ""}),
            chunk({"content": "Hel"}),
            chunk({"content": "lo"}),
            chunk({}, "stop"),
            chunk(
                None,
                usage={
                    "prompt_tokens": 3,
                    "completion_tokens": 2,
                    "prompt_tokens_details": {"cached_tokens": 1},
                },
            ),
        ]
    )
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["Hel", "lo"]
    done = events[-1]
    assert isinstance(done, Done) and done.stop_reason == "end_turn" and done.message.text == "Hello"
    assert events[-2].input_tokens == 3 and events[-2].cached_input_tokens == 1


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_both_reasoning_fields(field: str) -> None:
    events = convert([chunk({field: "think"}), chunk({field: "ing"}), chunk({"content": "ok"}, "stop")])
    assert "".join(e.text for e in events if isinstance(e, ReasoningDelta)) == "thinking"
    done = events[-1]
    assert done.message.reasoning[0].text == "thinking" and not done.message.reasoning[0].summary


def test_both_reasoning_fields_at_once_are_read_once() -> None:
    events = convert([chunk({"reasoning_content": "x", "reasoning": "x"}), chunk({}, "stop")])
    assert [e.text for e in events if isinstance(e, ReasoningDelta)] == ["x"]


def test_parallel_tool_calls_in_fragments() -> None:
    events = convert(
        [
            chunk(tool_delta(0, id="call_1", name="get", args="")),
            chunk(tool_delta(1, id="call_2", name="get", args='{"ci')),
            chunk(tool_delta(0, args='{"city":')),
            chunk(tool_delta(1, args='ty":"Rome"}')),
            chunk(tool_delta(0, args='"Paris"}')),
            chunk({}, "tool_calls"),
        ]
    )
    calls = [e.call for e in events if isinstance(e, ToolCall)]
    assert [(c.id, c.name, dict(c.arguments)) for c in calls] == [
        ("call_1", "get", {"city": "Paris"}),
        ("call_2", "get", {"city": "Rome"}),
    ]
    done = events[-1]
    assert isinstance(done, Done) and done.stop_reason == "tool_calls" and len(done.message.tool_calls) == 2


def test_repeated_identity_in_every_delta_is_set_once() -> None:
    """llama.cpp repeats id, type and name in each delta; the name must not be concatenated."""
    deltas = [tool_delta(0, id="call_x", name="get_weather", args=p) for p in ('{"city"', ':"Paris"', "}")]
    events = convert([*(chunk(d) for d in deltas), chunk({}, "tool_calls")])
    (call,) = [e.call for e in events if isinstance(e, ToolCall)]
    assert call.name == "get_weather" and call.id == "call_x" and dict(call.arguments) == {"city": "Paris"}


def test_reused_index_with_a_new_id_is_a_new_call() -> None:
    assembler = ToolCallAssembler()
    assembler.add({"index": 0, "id": "a", "function": {"name": "f", "arguments": "{}"}})
    assembler.add({"index": 0, "id": "b", "function": {"name": "g", "arguments": "{}"}})
    assert [(c.id, c.name) for c in assembler.calls()] == [("a", "f"), ("b", "g")]


def test_calls_without_index_or_id() -> None:
    assembler = ToolCallAssembler()
    assembler.add({"function": {"name": "f", "arguments": '{"a":'}})
    assembler.add({"function": {"arguments": "1}"}})
    (call,) = assembler.calls()
    assert call.name == "f" and dict(call.arguments) == {"a": 1} and call.id.startswith("call_")


def test_empty_and_bad_arguments() -> None:
    assembler = ToolCallAssembler()
    assembler.add({"index": 0, "id": "a", "function": {"name": "f"}})
    assembler.add({"index": 1, "id": "b", "function": {"name": "g", "arguments": "not json"}})
    first, second = assembler.calls()
    assert dict(first.arguments) == {} and dict(second.arguments) == {"_raw": "not json"}


@given(st.text(min_size=1, max_size=40), st.lists(st.integers(min_value=1, max_value=39), max_size=6))
def test_argument_fragments_reassemble_for_any_split(value: str, cuts: list[int]) -> None:
    import json

    text = json.dumps({"v": value})
    points = sorted({c % len(text) for c in cuts} | {0, len(text)})
    assembler = ToolCallAssembler()
    assembler.add({"index": 0, "id": "a", "function": {"name": "f", "arguments": ""}})
    for start, end in itertools.pairwise(points):
        assembler.add({"index": 0, "function": {"arguments": text[start:end]}})
    assert dict(assembler.calls()[0].arguments) == {"v": value}


def test_top_level_citations_xai_style() -> None:
    events = convert(
        [chunk({"content": "News."}), chunk({}, "stop", citations=["https://x.ai/a", "https://x.ai/b"])]
    )
    (activity,) = [e for e in events if isinstance(e, BuiltinToolActivity)]
    assert activity.tool == "web_search" and [c.url for c in activity.citations] == [
        "https://x.ai/a",
        "https://x.ai/b",
    ]
    assert [c.url for c in events[-1].citations] == ["https://x.ai/a", "https://x.ai/b"]


def test_annotation_citations() -> None:
    annotation = {"type": "url_citation", "url_citation": {"url": "https://o.example", "title": "O"}}
    events = convert([chunk({"content": "x", "annotations": [annotation]}), chunk({}, "stop")])
    assert [(c.url, c.title) for c in events[-1].citations] == [("https://o.example", "O")]


def test_stream_without_finish_reason_is_an_error() -> None:
    with pytest.raises(ProviderServerError, match="finish_reason"):
        convert([chunk({"content": "half an ans"})])


def test_error_chunk_raises() -> None:
    with pytest.raises(RateLimitError):
        convert(
            [
                chunk({"content": "x"}),
                {"error": {"message": "slow", "type": "requests", "code": "rate_limit_exceeded"}},
            ]
        )


def test_length_stop() -> None:
    assert convert([chunk({"content": "x"}, "length")])[-1].stop_reason == "max_tokens"


# -- requests ---------------------------------------------------------------------------------------


def test_messages_and_sanitising() -> None:
    answered = ToolCallPart(id="c1", name="f", arguments={"a": 1})
    orphan = ToolCallPart(id="c2", name="f", arguments={})
    messages = [
        Message.system("sys"),
        Message.user("hi"),
        Message(role="assistant", parts=(answered, orphan)),
        Message.tool_results([ToolResultPart(call_id="c1", name="f", content="ok")]),
        Message(role="assistant", parts=(ToolCallPart(id="c3", name="f"),)),  # interrupted: dropped
        Message.assistant("done"),
    ]
    assert chat_messages(messages) == [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "hi"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}}
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "ok"},
        {"role": "assistant", "content": "done"},
    ]


def test_media_parts(tmp_path: Path) -> None:
    wav = tmp_path / "a.wav"
    wav.write_bytes(b"RIFF")
    message = Message.user(
        "look",
        MediaPart(kind="image", url="https://i/x.png"),
        MediaPart.from_path(wav),
        MediaPart(kind="video", url="https://v/x.mp4"),
    )
    (entry,) = chat_messages([message])
    assert entry["content"] == [
        {"type": "text", "text": "look"},
        {"type": "image_url", "image_url": {"url": "https://i/x.png"}},
        {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
        {"type": "video_url", "video_url": {"url": "https://v/x.mp4"}},
    ]


def test_params() -> None:
    settings = ChatSettings(
        model="m",
        temperature=0.2,
        max_tokens=50,
        max_tokens_parameter="max_completion_tokens",
        parallel_tool_calls=False,
        reasoning_effort="low",
        extra_body={"top_k": 5},
    )
    tool = ToolDefinition(name="f", description="d")
    params = build_chat_params(
        ChatRequest(messages=[Message.user("x")], tools=[tool], tool_choice="required"), settings
    )
    assert params["stream_options"] == {"include_usage": True}
    assert params["max_completion_tokens"] == 50 and "max_tokens" not in params
    assert params["tool_choice"] == "required" and params["parallel_tool_calls"] is False
    assert params["tools"] == [
        {
            "type": "function",
            "function": {"name": "f", "description": "d", "parameters": {"type": "object", "properties": {}}},
        }
    ]
    assert params["reasoning_effort"] == "low" and params["extra_body"] == {"top_k": 5}
    assert params["temperature"] == 0.2
    bare = build_chat_params(
        ChatRequest(messages=[Message.user("x")]), ChatSettings(model="m", stream_usage=False)
    )
    assert set(bare) == {"model", "messages", "stream"}
