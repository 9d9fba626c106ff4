"""The ``claude`` backend through the official anthropic SDK against the fake provider over loopback."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from claude_testkit import (  # noqa: F401  (fixtures)
    MODEL,
    anyio_backend,
    claude,
    collect,
    fake,
    message_rule_breaks,
    of_type,
    request,
)
from massgen_core.plugin import (
    BuiltinToolActivity,
    Done,
    InvalidRequestError,
    MediaPart,
    Message,
    ReasoningDelta,
    ReasoningPart,
    TextDelta,
    ToolCall,
    ToolDefinition,
    ToolResultPart,
    Usage,
)
from massgen_core.testing.fake_provider import (
    Citation,
    CodeExecution,
    FakeProviderServer,
    Reasoning,
    Reply,
    SearchResult,
    StopReason,
    WebSearch,
    WireFormat,
)
from massgen_core.testing.fake_provider import ToolCall as ScriptedToolCall
from massgen_core.testing.fake_provider import Usage as ScriptedUsage

pytestmark = pytest.mark.anyio

WEATHER = ToolDefinition(
    name="get_weather",
    description="Weather for a city",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)


async def test_text_stream_usage_and_request(fake: FakeProviderServer) -> None:
    fake.enqueue(Reply("Hello from Claude.", text_chunks=3, usage=ScriptedUsage(12, 7, cached_tokens=4)))
    backend = claude(fake)
    events = await collect(backend.stream(request(Message.system("Be brief."), "hi")))
    await backend.aclose()
    assert [e.text for e in of_type(events, TextDelta)] == ["Hello ", "from C", "laude."]
    usage = of_type(events, Usage)
    assert usage == [Usage(input_tokens=16, output_tokens=7, cached_input_tokens=4)]
    done = events[-1]
    assert isinstance(done, Done) and done.stop_reason == "end_turn"
    assert done.message.text == "Hello from Claude."
    sent = fake.last_request
    assert sent.wire_format is WireFormat.ANTHROPIC_MESSAGES and sent.path == "/v1/messages"
    body = sent.json
    assert body["model"] == MODEL and body["stream"] is True and body["max_tokens"] == 16_384
    assert body["system"] == "Be brief."
    assert body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]
    assert "tools" not in body and "thinking" not in body
    assert sent.headers.get("x-stainless-retry-count", "0") == "0"
    assert "anthropic-version" in sent.headers


async def test_sampling_settings_and_extras(fake: FakeProviderServer) -> None:
    fake.enqueue(Reply("ok"))
    backend = claude(
        fake,
        temperature=0.2,
        top_p=0.9,
        max_tokens=512,
        prompt_caching=True,
        betas=["context-1m-2025-08-07", "other-beta"],
        extra_body={"metadata": {"user_id": "u1"}},
    )
    await collect(backend.stream(request("hi")))
    await backend.aclose()
    body = fake.last_request.json
    assert (body["temperature"], body["top_p"], body["max_tokens"]) == (0.2, 0.9, 512)
    assert body["cache_control"] == {"type": "ephemeral"} and body["metadata"] == {"user_id": "u1"}
    assert fake.last_request.headers["anthropic-beta"] == "context-1m-2025-08-07,other-beta"


async def test_thinking_with_signature_round_trip_on_a_tool_turn(fake: FakeProviderServer) -> None:
    fake.enqueue(
        Reply(
            reasoning=Reasoning("I should check the weather.", signature="sig-1", redacted=("opaque-data",)),
            tool_calls=[ScriptedToolCall("get_weather", {"city": "Paris"}, id="toolu_1")],
        ),
        Reply("It is sunny in Paris."),
    )
    backend = claude(fake, thinking_budget=2048)
    first = await collect(backend.stream(request("Weather in Paris?", tools=[WEATHER])))
    assert "".join(e.text for e in of_type(first, ReasoningDelta)) == "I should check the weather."
    body = fake.last_request.json
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert body["max_tokens"] == 16_384 + 2048
    done = first[-1]
    assert isinstance(done, Done) and done.stop_reason == "tool_calls"
    thinking, redacted = done.message.reasoning
    assert thinking.text == "I should check the weather." and redacted.text == ""

    results = Message.tool_results([ToolResultPart(call_id="toolu_1", name="get_weather", content="sunny")])
    second = await collect(
        backend.stream(request("Weather in Paris?", done.message, results, tools=[WEATHER]))
    )
    await backend.aclose()
    assert isinstance(second[-1], Done) and second[-1].message.text == "It is sunny in Paris."
    messages = fake.last_request.json["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert messages[1]["content"] == [
        {"type": "thinking", "thinking": "I should check the weather.", "signature": "sig-1"},
        {"type": "redacted_thinking", "data": "opaque-data"},
        {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
    ]
    assert messages[2]["content"] == [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"}]
    assert message_rule_breaks(fake.last_request.json) == []
    # the rule check sees what the real API would refuse: a tool turn without its thinking, a call unanswered
    unthought = [messages[0], {**messages[1], "content": messages[1]["content"][2:]}, messages[2]]
    assert message_rule_breaks({**fake.last_request.json, "messages": unthought}) == [
        "turn 1: with thinking on, the tool-using turn must start with its thinking"
    ]
    unanswered = [*messages[:2], {"role": "user", "content": [{"type": "text", "text": "well?"}]}]
    assert message_rule_breaks({"messages": unanswered}) == [
        "turn 1 asked for ['toolu_1'], turn 2 answered []"
    ]


async def test_parallel_tool_calls_with_streamed_arguments(fake: FakeProviderServer) -> None:
    fake.enqueue(
        Reply(
            "Let me check both.",
            tool_calls=[
                ScriptedToolCall("get_weather", {"city": "Paris"}, id="toolu_a", chunks=4),
                ScriptedToolCall("get_weather", {"city": "Rome"}, id="toolu_b", chunks=4),
            ],
        ),
        Reply("Paris 20C, Rome 25C."),
    )
    backend = claude(fake)
    first = await collect(backend.stream(request("Paris and Rome?", tools=[WEATHER])))
    calls = [e.call for e in of_type(first, ToolCall)]
    assert [(c.id, c.name, dict(c.arguments)) for c in calls] == [
        ("toolu_a", "get_weather", {"city": "Paris"}),
        ("toolu_b", "get_weather", {"city": "Rome"}),
    ]
    done = first[-1]
    assert isinstance(done, Done) and done.stop_reason == "tool_calls"
    body = fake.last_request.json
    assert body["tool_choice"] == {"type": "auto"}
    assert body["tools"] == [
        {"name": "get_weather", "description": "Weather for a city", "input_schema": dict(WEATHER.parameters)}
    ]
    results = Message.tool_results(
        [
            ToolResultPart(call_id="toolu_a", name="get_weather", content="20C"),
            ToolResultPart(call_id="toolu_b", name="get_weather", content="boom", is_error=True),
        ]
    )
    await collect(backend.stream(request("Paris and Rome?", done.message, results, tools=[WEATHER])))
    await backend.aclose()
    assistant, tool_turn = fake.last_request.json["messages"][1:]
    assert [b["type"] for b in assistant["content"]] == ["text", "tool_use", "tool_use"]
    assert tool_turn["content"] == [
        {"type": "tool_result", "tool_use_id": "toolu_a", "content": "20C"},
        {"type": "tool_result", "tool_use_id": "toolu_b", "content": "boom", "is_error": True},
    ]


async def test_parallel_tool_calls_can_be_turned_off(fake: FakeProviderServer) -> None:
    fake.enqueue(Reply("ok"))
    backend = claude(fake, parallel_tool_calls=False)
    await collect(backend.stream(request("hi", tools=[WEATHER])))
    await backend.aclose()
    assert fake.last_request.json["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}


async def test_web_search_results_and_citations(fake: FakeProviderServer) -> None:
    hits = [
        SearchResult("https://w.example/paris", "Paris weather"),
        SearchResult("https://m.example", "Meteo"),
    ]
    fake.enqueue(
        Reply(
            "Paris is sunny.",
            web_searches=[WebSearch("paris weather", results=hits)],
            citations=[Citation("https://w.example/paris", "Paris weather", end_index=15)],
        ),
        Reply("Tomorrow too."),
    )
    backend = claude(fake, enable_web_search=True, web_search_max_uses=3)
    events = await collect(backend.stream(request("Weather in Paris?")))
    activity = [a for a in of_type(events, BuiltinToolActivity) if a.call_id != "citations"]
    assert [a.status for a in activity] == ["started", "in_progress", "completed"]
    assert activity[-1].query == "paris weather"
    assert [(c.url, c.title) for c in activity[-1].citations] == [(h.url, h.title) for h in hits]
    cited = [a for a in of_type(events, BuiltinToolActivity) if a.call_id == "citations"]
    assert cited[0].citations[0].snippet == "Paris is sunny."
    usage = of_type(events, Usage)[0]
    assert usage.web_search_requests == 1
    done = events[-1]
    assert isinstance(done, Done) and done.message.text == "Paris is sunny."
    assert [(c.url, c.title) for c in done.citations] == [("https://w.example/paris", "Paris weather")]
    assert fake.last_request.json["tools"] == [
        {"type": "web_search_20250305", "name": "web_search", "max_uses": 3}
    ]

    # the next turn shows Claude its search and its cited text as it produced them
    await collect(backend.stream(request("Weather in Paris?", done.message, "And tomorrow?")))
    await backend.aclose()
    assistant = fake.last_request.json["messages"][1]["content"]
    assert [b["type"] for b in assistant] == ["server_tool_use", "web_search_tool_result", "text"]
    assert assistant[0]["input"] == {"query": "paris weather"}
    assert assistant[1]["content"][0]["encrypted_content"]
    assert assistant[2]["citations"][0]["url"] == "https://w.example/paris"


async def test_code_execution_output_stderr_and_return_code(fake: FakeProviderServer) -> None:
    fake.enqueue(
        Reply(
            "The script failed.",
            code_executions=[
                CodeExecution(
                    "python3 s.py",
                    "partial\n",
                    stderr="Traceback: boom",
                    return_code=1,
                    anthropic_tool="bash_code_execution",
                ),
                CodeExecution("print(6*7)", "42\n"),
            ],
        )
    )
    backend = claude(fake, enable_code_execution=True)
    events = await collect(backend.stream(request("Run it")))
    await backend.aclose()
    runs = [a for a in of_type(events, BuiltinToolActivity) if a.status == "completed"]
    assert [a.tool for a in runs] == ["code_execution", "code_execution"]
    bash, python = runs
    assert bash.code == "python3 s.py"
    assert bash.data["stdout"] == "partial\n" and bash.data["stderr"] == "Traceback: boom"
    assert bash.data["return_code"] == 1
    assert bash.output == "partial\n[stderr]\nTraceback: boom\n[return code 1]"
    assert python.code == "print(6*7)" and python.output == "42\n" and python.data["return_code"] == 0
    assert fake.last_request.json["tools"] == [{"type": "code_execution_20250825", "name": "code_execution"}]
    done = events[-1]
    assert isinstance(done, Done) and done.message.text == "The script failed."


async def test_image_and_pdf_reach_the_provider_as_bytes(fake: FakeProviderServer, tmp_path: Path) -> None:
    image = tmp_path / "pixel.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n fake pixel")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4 fake report")
    fake.enqueue(Reply("A pixel and a report."))
    backend = claude(fake)
    question = Message.user(
        "What are these?",
        MediaPart.from_path(image),
        MediaPart.from_path(pdf),
        MediaPart(kind="image", url="https://img.example/cat.jpg"),
    )
    await collect(backend.stream(request(question)))
    await backend.aclose()
    text, png, document, remote = fake.last_request.json["messages"][0]["content"]
    assert text == {"type": "text", "text": "What are these?"}
    assert png["type"] == "image" and png["source"]["media_type"] == "image/png"
    assert base64.b64decode(png["source"]["data"]) == image.read_bytes()
    assert document["type"] == "document" and document["title"] == "report.pdf"
    assert document["source"]["media_type"] == "application/pdf"
    assert base64.b64decode(document["source"]["data"]) == pdf.read_bytes()
    assert remote == {"type": "image", "source": {"type": "url", "url": "https://img.example/cat.jpg"}}


async def test_audio_is_refused_clearly(fake: FakeProviderServer) -> None:
    backend = claude(fake)
    clip = MediaPart(kind="audio", mime_type="audio/wav", data=b"RIFF")
    with pytest.raises(InvalidRequestError, match="does not accept audio"):
        await collect(backend.stream(request(Message.user("listen", clip))))
    await backend.aclose()
    assert not fake.model_calls()


async def test_cache_tokens_are_counted_apart(fake: FakeProviderServer) -> None:
    fake.enqueue(Reply("cached", usage=ScriptedUsage(100, 20, cached_tokens=3000, cache_write_tokens=500)))
    backend = claude(fake)
    events = await collect(backend.stream(request("hi")))
    await backend.aclose()
    assert of_type(events, Usage) == [
        Usage(input_tokens=3600, output_tokens=20, cached_input_tokens=3000, cache_write_tokens=500)
    ]


async def test_a_paused_turn_is_continued(fake: FakeProviderServer) -> None:
    fake.enqueue(
        Reply(
            "Searching. ",
            web_searches=[WebSearch("q", results=[SearchResult("https://a.example", "A")])],
            wire_stop_reason="pause_turn",
            usage=ScriptedUsage(10, 5),
        ),
        Reply("Found it.", usage=ScriptedUsage(30, 4)),
    )
    backend = claude(fake, enable_web_search=True)
    events = await collect(backend.stream(request("look it up")))
    await backend.aclose()
    _first, second = fake.model_calls()
    continued = second.json["messages"]
    assert [m["role"] for m in continued] == ["user", "assistant"]
    assert [b["type"] for b in continued[1]["content"]] == [
        "server_tool_use",
        "web_search_tool_result",
        "text",
    ]
    done = events[-1]
    assert isinstance(done, Done) and done.stop_reason == "end_turn"
    assert done.message.text == "Searching. Found it."
    assert of_type(events, Usage) == [Usage(input_tokens=40, output_tokens=9, web_search_requests=1)]


async def test_max_tokens_stop(fake: FakeProviderServer) -> None:
    fake.enqueue(Reply("cut sho", stop_reason=StopReason.MAX_TOKENS))
    backend = claude(fake)
    events = await collect(backend.stream(request("hi")))
    await backend.aclose()
    assert isinstance(events[-1], Done) and events[-1].stop_reason == "max_tokens"


async def test_reasoning_parts_of_other_origin_are_not_sent(fake: FakeProviderServer) -> None:
    fake.enqueue(Reply("ok"))
    backend = claude(fake)
    earlier = Message(
        role="assistant", parts=(ReasoningPart(text="unsigned"), *Message.assistant("Before.").parts)
    )
    await collect(backend.stream(request("q1", earlier, "q2")))
    await backend.aclose()
    assert fake.last_request.json["messages"][1] == {
        "role": "assistant",
        "content": [{"type": "text", "text": "Before."}],
    }
