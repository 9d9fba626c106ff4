"""The Responses converters as pure functions: request building and recorded event sequences."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from massgen_core.plugin import (
    BuiltinToolActivity,
    ChatRequest,
    Done,
    InvalidRequestError,
    MediaPart,
    Message,
    ProviderServerError,
    RateLimitError,
    ReasoningPart,
    ReasoningSummaryDelta,
    TextDelta,
    TextPart,
    ToolCall,
    ToolCallPart,
    ToolDefinition,
    ToolResultPart,
    Usage,
)

from massgen_openai.errors import ErrorContext
from massgen_openai.options import OpenAIOptions, ReasoningSettings, TextSettings
from massgen_openai.responses_request import ResponsesSettings, build_responses_params, responses_input
from massgen_openai.responses_stream import ResponsesStreamConverter

CTX = ErrorContext(backend="openai", model="gpt-5", api_key_env=("OPENAI_API_KEY",))


def convert(events: list[dict[str, Any]], media_dir: Path | None = None) -> list[Any]:
    converter = ResponsesStreamConverter(CTX, media_dir=media_dir)
    out: list[Any] = []
    for event in events:
        out += converter.feed(event)
    return out + converter.finish()


def completed(usage: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "response.completed",
        "response": {
            "id": "resp_1",
            "status": "completed",
            "usage": usage or {"input_tokens": 5, "output_tokens": 7},
        },
    }


REASONING_ITEM = {
    "id": "rs_1",
    "type": "reasoning",
    "summary": [{"type": "summary_text", "text": "Think A"}, {"type": "summary_text", "text": "Think B"}],
    "encrypted_content": "gAAAA-secret",
}
MESSAGE_ITEM = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "status": "completed",
    "content": [{"type": "output_text", "text": "Hello world", "annotations": []}],
}

TEXT_TURN = [
    {"type": "response.created", "response": {"id": "resp_1", "status": "in_progress"}},
    {
        "type": "response.output_item.added",
        "output_index": 0,
        "item": {"id": "rs_1", "type": "reasoning", "summary": []},
    },
    {"type": "response.reasoning_summary_part.added", "item_id": "rs_1", "summary_index": 0},
    {
        "type": "response.reasoning_summary_text.delta",
        "item_id": "rs_1",
        "summary_index": 0,
        "delta": "Think ",
    },
    {"type": "response.reasoning_summary_text.delta", "item_id": "rs_1", "summary_index": 0, "delta": "A"},
    {
        "type": "response.reasoning_summary_text.delta",
        "item_id": "rs_1",
        "summary_index": 1,
        "delta": "Think B",
    },
    {"type": "response.output_item.done", "output_index": 0, "item": REASONING_ITEM},
    {
        "type": "response.output_item.added",
        "output_index": 1,
        "item": {"id": "msg_1", "type": "message", "content": []},
    },
    {"type": "response.output_text.delta", "item_id": "msg_1", "delta": "Hello "},
    {"type": "response.output_text.delta", "item_id": "msg_1", "delta": "world"},
    {"type": "response.output_item.done", "output_index": 1, "item": MESSAGE_ITEM},
    completed(
        {
            "input_tokens": 5,
            "output_tokens": 7,
            "input_tokens_details": {"cached_tokens": 2},
            "output_tokens_details": {"reasoning_tokens": 3},
        }
    ),
]


def test_text_and_reasoning_summary() -> None:
    events = convert(TEXT_TURN)
    summary = "".join(e.text for e in events if isinstance(e, ReasoningSummaryDelta))
    assert summary == "Think A\n\nThink B"
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Hello world"
    usage = next(e for e in events if isinstance(e, Usage))
    assert (usage.input_tokens, usage.output_tokens, usage.cached_input_tokens, usage.reasoning_tokens) == (
        5,
        7,
        2,
        3,
    )
    done = events[-1]
    assert isinstance(done, Done) and done.stop_reason == "end_turn"
    reasoning, text = done.message.parts
    assert (
        isinstance(reasoning, ReasoningPart) and reasoning.summary and reasoning.text == "Think A\n\nThink B"
    )
    assert reasoning.provider_state["openai"]["item"]["encrypted_content"] == "gAAAA-secret"
    assert isinstance(text, TextPart) and text.text == "Hello world"
    assert done.message.provider_state["openai"]["response_id"] == "resp_1"


def test_web_search_and_code_interpreter_activity_and_citations() -> None:
    ws = {
        "id": "ws_1",
        "type": "web_search_call",
        "status": "in_progress",
        "action": {"type": "search", "query": "q"},
    }
    ci = {"id": "ci_1", "type": "code_interpreter_call", "status": "in_progress", "code": "", "outputs": None}
    annotation = {
        "type": "url_citation",
        "url": "https://a.example",
        "title": "A",
        "start_index": 0,
        "end_index": 2,
    }
    message = MESSAGE_ITEM | {"content": [{"type": "output_text", "text": "Hi", "annotations": [annotation]}]}
    events = convert(
        [
            {"type": "response.output_item.added", "item": ws},
            {"type": "response.web_search_call.in_progress", "item_id": "ws_1"},
            {"type": "response.web_search_call.searching", "item_id": "ws_1"},
            {"type": "response.web_search_call.completed", "item_id": "ws_1"},
            {
                "type": "response.output_item.done",
                "item": ws
                | {
                    "status": "completed",
                    "action": {
                        "type": "search",
                        "query": "q",
                        "sources": [{"type": "url", "url": "https://a.example"}],
                    },
                },
            },
            {"type": "response.output_item.added", "item": ci},
            {"type": "response.code_interpreter_call.in_progress", "item_id": "ci_1"},
            {"type": "response.code_interpreter_call_code.delta", "item_id": "ci_1", "delta": "print(1"},
            {"type": "response.code_interpreter_call_code.delta", "item_id": "ci_1", "delta": "+1)"},
            {"type": "response.code_interpreter_call.interpreting", "item_id": "ci_1"},
            {
                "type": "response.output_item.done",
                "item": ci
                | {"status": "completed", "code": "print(1+1)", "outputs": [{"type": "logs", "logs": "2\n"}]},
            },
            {"type": "response.output_text.delta", "item_id": "msg_1", "delta": "Hi"},
            {"type": "response.output_text.annotation.added", "item_id": "msg_1", "annotation": annotation},
            {"type": "response.output_item.done", "item": message},
            completed(),
        ]
    )
    activity = [(e.tool, e.status) for e in events if isinstance(e, BuiltinToolActivity)]
    assert activity == [
        ("web_search", "started"),
        ("web_search", "in_progress"),
        ("web_search", "completed"),
        ("code_execution", "started"),
        ("code_execution", "in_progress"),
        ("code_execution", "completed"),
        ("web_search", "completed"),  # the citation, once (not again from the item)
    ]
    search = [e for e in events if isinstance(e, BuiltinToolActivity) and e.call_id == "ws_1"][-1]
    assert search.query == "q" and search.citations[0].url == "https://a.example"
    code = [e for e in events if isinstance(e, BuiltinToolActivity) and e.call_id == "ci_1"][-1]
    assert code.code == "print(1+1)" and code.output == "2\n"
    done = events[-1]
    assert isinstance(done, Done)
    assert [c.url for c in done.citations] == ["https://a.example"]
    (text,) = done.message.parts
    before = text.provider_state["openai"]["before"]
    assert [i["type"] for i in before] == ["web_search_call", "code_interpreter_call"]


def test_parallel_function_calls() -> None:
    def call(n: int, args: str) -> list[dict[str, Any]]:
        item = {
            "id": f"fc_{n}",
            "type": "function_call",
            "call_id": f"call_{n}",
            "name": "get",
            "arguments": "",
        }
        return [
            {"type": "response.output_item.added", "item": item},
            {"type": "response.function_call_arguments.delta", "item_id": f"fc_{n}", "delta": args[:3]},
            {"type": "response.function_call_arguments.delta", "item_id": f"fc_{n}", "delta": args[3:]},
            {"type": "response.function_call_arguments.done", "item_id": f"fc_{n}", "arguments": args},
            {"type": "response.output_item.done", "item": item | {"arguments": args, "status": "completed"}},
        ]

    events = convert([*call(1, '{"city":"Paris"}'), *call(2, '{"city":"Rome"}'), completed()])
    calls = [e.call for e in events if isinstance(e, ToolCall)]
    assert [(c.id, dict(c.arguments)) for c in calls] == [
        ("call_1", {"city": "Paris"}),
        ("call_2", {"city": "Rome"}),
    ]
    assert calls[0].provider_state["openai"]["item"]["id"] == "fc_1"
    done = events[-1]
    assert isinstance(done, Done) and done.stop_reason == "tool_calls"


def test_midstream_error_event_raises() -> None:
    with pytest.raises(RateLimitError, match="slow down"):
        convert([TEXT_TURN[0], {"type": "error", "code": "rate_limit_exceeded", "message": "slow down"}])


def test_response_failed_raises() -> None:
    failed = {
        "type": "response.failed",
        "response": {"status": "failed", "error": {"code": "server_error", "message": "boom"}},
    }
    with pytest.raises(ProviderServerError, match="boom"):
        convert([TEXT_TURN[0], failed])


def test_stream_without_terminal_event_is_an_error() -> None:
    with pytest.raises(ProviderServerError, match="incomplete"):
        convert(TEXT_TURN[:-1])


def test_incomplete_maps_the_stop_reason() -> None:
    incomplete = {
        "type": "response.incomplete",
        "response": {"incomplete_details": {"reason": "max_output_tokens"}},
    }
    done = convert([*TEXT_TURN[:-1], incomplete])[-1]
    assert isinstance(done, Done) and done.stop_reason == "max_tokens"


def test_items_only_in_the_completed_response_are_used() -> None:
    """Servers that skip output_item.done (some local ones) still give a complete message."""
    events = convert(
        [
            {"type": "response.output_text.delta", "item_id": "msg_1", "delta": "Hello world"},
            {"type": "response.completed", "response": {"id": "r", "output": [MESSAGE_ITEM]}},
        ]
    )
    done = events[-1]
    assert isinstance(done, Done) and done.message.text == "Hello world"


def test_raw_reasoning_text() -> None:
    events = convert(
        [
            {"type": "response.reasoning_text.delta", "item_id": "rs_9", "delta": "hmm"},
            {
                "type": "response.output_item.done",
                "item": {
                    "id": "rs_9",
                    "type": "reasoning",
                    "summary": [],
                    "content": [{"type": "reasoning_text", "text": "hmm"}],
                },
            },
            completed(),
        ]
    )
    (part,) = events[-1].message.parts
    assert isinstance(part, ReasoningPart) and not part.summary and part.text == "hmm"


def test_generated_image_lands_in_the_workspace(tmp_path: Path) -> None:
    png = b"\x89PNG fake"
    item = {
        "id": "ig_1",
        "type": "image_generation_call",
        "status": "completed",
        "result": base64.b64encode(png).decode(),
        "revised_prompt": "a cat",
    }
    events = convert(
        [
            {"type": "response.output_item.added", "item": item | {"result": None}},
            {"type": "response.image_generation_call.generating", "item_id": "ig_1"},
            {"type": "response.output_item.done", "item": item},
            completed(),
        ],
        media_dir=tmp_path,
    )
    final = [e for e in events if isinstance(e, BuiltinToolActivity)][-1]
    assert final.tool == "image_generation" and final.status == "completed"
    assert Path(final.data["path"]).read_bytes() == png
    assert final.data["revised_prompt"] == "a cat"


# -- requests ---------------------------------------------------------------------------------------

SETTINGS = ResponsesSettings(model="gpt-5", encrypted_reasoning=True)


def test_request_parameters() -> None:
    options = OpenAIOptions(
        reasoning=ReasoningSettings(effort="high", summary="always"),
        text=TextSettings(verbosity="low"),
        enable_web_search=True,
        enable_code_interpreter=True,
        max_tokens=100,
        parallel_tool_calls=True,
        extra_body={"service_tier": "flex"},
    )
    settings = ResponsesSettings(
        model="gpt-5", encrypted_reasoning=True, web_search=True, code_interpreter=True
    )
    tool = ToolDefinition(name="get", description="Get it", parameters={"type": "object", "properties": {}})
    params = build_responses_params(
        ChatRequest(
            messages=[Message.system("Be brief."), Message.user("hi")], tools=[tool], tool_choice="get"
        ),
        options,
        settings,
    )
    assert params["reasoning"] == {"effort": "high", "summary": "detailed"}
    assert params["text"] == {"verbosity": "low"}
    assert params["max_output_tokens"] == 100
    assert params["store"] is False and params["stream"] is True
    assert params["include"] == [
        "reasoning.encrypted_content",
        "web_search_call.action.sources",
        "code_interpreter_call.outputs",
    ]
    assert [t["type"] for t in params["tools"]] == ["web_search", "code_interpreter", "function"]
    assert params["tools"][2] == {
        "type": "function",
        "name": "get",
        "description": "Get it",
        "parameters": {"type": "object", "properties": {}},
        "strict": False,
    }
    assert params["tool_choice"] == {"type": "function", "name": "get"}
    assert params["parallel_tool_calls"] is True
    assert params["extra_body"] == {"service_tier": "flex"}
    assert params["input"][0] == {"role": "system", "content": "Be brief."}


def test_summary_never_sends_no_summary() -> None:
    params = build_responses_params(
        ChatRequest(messages=[Message.user("x")]),
        OpenAIOptions(reasoning=ReasoningSettings(effort="low", summary="never")),
        SETTINGS,
    )
    assert params["reasoning"] == {"effort": "low"}
    assert "tools" not in params and "tool_choice" not in params


def test_multi_turn_replays_output_items() -> None:
    first = convert(TEXT_TURN)[-1].message
    call = ToolCallPart(
        id="call_1",
        name="get",
        arguments={"x": 1},
        provider_state={"openai": {"item": {"id": "fc_1", "type": "function_call"}}},
    )
    second = Message(role="assistant", parts=(call,))
    result = Message.tool_results([ToolResultPart(call_id="call_1", name="get", content="42")])
    items = responses_input([Message.user("q1"), first, Message.user("q2"), second, result], SETTINGS)
    assert items[1] == REASONING_ITEM | {}
    assert items[2] == MESSAGE_ITEM
    assert items[4] == {
        "type": "function_call",
        "call_id": "call_1",
        "name": "get",
        "arguments": '{"x": 1}',
        "id": "fc_1",
    }
    assert items[5] == {"type": "function_call_output", "call_id": "call_1", "output": "42"}


def test_reasoning_without_encrypted_content_is_not_replayed_without_store() -> None:
    part = ReasoningPart(
        text="t", summary=True, provider_state={"openai": {"item": {"id": "rs", "type": "reasoning"}}}
    )
    message = Message(role="assistant", parts=(part, TextPart(text="answer")))
    items = responses_input([message], SETTINGS)
    assert items == [{"role": "assistant", "content": "answer"}]
    stored = responses_input([message], ResponsesSettings(model="gpt-5", store=True))
    assert stored[0] == {"id": "rs", "type": "reasoning"}


def test_edited_text_is_sent_as_plain_assistant_text() -> None:
    part = TextPart(text="edited", provider_state={"openai": {"item": MESSAGE_ITEM}})
    assert responses_input([Message(role="assistant", parts=(part,))], SETTINGS) == [
        {"role": "assistant", "content": "edited"}
    ]


def test_image_input(tmp_path: Path) -> None:
    image = tmp_path / "dot.png"
    image.write_bytes(b"\x89PNG")
    items = responses_input(
        [
            Message.user(
                "what is this?", MediaPart.from_path(image), MediaPart(kind="image", url="https://x/y.jpg")
            )
        ],
        SETTINGS,
    )
    content = items[0]["content"]
    assert content[0] == {"type": "input_text", "text": "what is this?"}
    assert content[1]["type"] == "input_image"
    assert content[1]["image_url"] == "data:image/png;base64," + base64.b64encode(b"\x89PNG").decode()
    assert content[2]["image_url"] == "https://x/y.jpg"


def test_video_input_is_refused_not_dropped() -> None:
    with pytest.raises(InvalidRequestError, match="video"):
        responses_input([Message.user("x", MediaPart(kind="video", url="https://v/x.mp4"))], SETTINGS)


def test_items_of_a_turn_whose_reasoning_cannot_go_back_lose_their_ids() -> None:
    reasoning = ReasoningPart(
        text="t", provider_state={"openai": {"item": {"id": "rs", "type": "reasoning"}}}
    )
    search = {"id": "ws_1", "type": "web_search_call", "status": "completed", "action": {"query": "q"}}
    call = ToolCallPart(
        id="call_1", name="get", provider_state={"openai": {"item": {"id": "fc_1"}, "before": [search]}}
    )
    items = responses_input([Message(role="assistant", parts=(reasoning, call))], SETTINGS)
    assert items == [{"type": "function_call", "call_id": "call_1", "name": "get", "arguments": "{}"}]
