"""The ``gemini`` backend through google-genai over loopback HTTP against the fake provider:
conversation structure, streaming, thinking and signatures, function calls, built-in tools, media."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from gemini_testkit import MODEL, answer, anyio_backend, build, collect, fake, of_type, parts, request  # noqa: F401
from massgen_core.plugin import (
    BuiltinToolActivity,
    ChatRequest,
    Done,
    MediaPart,
    Message,
    ReasoningPart,
    ReasoningSummaryDelta,
    TextDelta,
    TextPart,
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
)
from massgen_core.testing.fake_provider import (
    ToolCall as ScriptedCall,
)
from massgen_core.testing.fake_provider import (
    Usage as ScriptedUsage,
)

pytestmark = pytest.mark.anyio

WEATHER = ToolDefinition(
    name="get_weather",
    description="Weather in a city.",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
TIME = ToolDefinition(name="get_time", description="Time in a zone.")


def done(events: Sequence[object]) -> Done:
    last = events[-1]
    assert isinstance(last, Done), last
    return last


async def test_text_streams_with_usage_and_the_real_request_shape(fake: FakeProviderServer) -> None:
    fake.enqueue(
        Reply(
            "Paris is the capital.",
            text_chunks=3,
            usage=ScriptedUsage(100, 30, reasoning_tokens=10, cached_tokens=40, tool_use_prompt_tokens=7),
        )
    )
    chat = ChatRequest(messages=[Message.system("Be brief."), Message.user("Capital of France?")])
    events = await answer(fake, chat, temperature=0.3, top_k=20, max_tokens=500)
    assert "".join(e.text for e in of_type(events, TextDelta)) == "Paris is the capital."
    assert len(of_type(events, TextDelta)) == 3
    assert of_type(events, Usage) == [
        Usage(input_tokens=107, output_tokens=30, cached_input_tokens=40, reasoning_tokens=10)
    ]
    final = done(events)
    assert (final.stop_reason, final.message.text) == ("end_turn", "Paris is the capital.")

    sent = fake.last_request
    assert (sent.path, sent.query) == (f"/v1beta/models/{MODEL}:streamGenerateContent", {"alt": "sse"})
    assert sent.headers["x-goog-api-key"] == "test-key"
    body = sent.json
    assert body["systemInstruction"]["parts"] == [{"text": "Be brief."}]
    assert body["contents"] == [{"role": "user", "parts": [{"text": "Capital of France?"}]}]
    generation = body["generationConfig"]
    assert (generation["temperature"], generation["topK"], generation["maxOutputTokens"]) == (0.3, 20, 500)
    assert generation["thinkingConfig"] == {"include_thoughts": True}  # snake_case on the wire
    assert "tools" not in body


async def test_thinking_options_and_gemini_2_0_without_thinking(fake: FakeProviderServer) -> None:
    await answer(fake, request("hi"), thinking={"budget": 2048, "include_thoughts": False})
    assert fake.last_request.json["generationConfig"]["thinkingConfig"] == {
        "include_thoughts": False,
        "thinking_budget": 2048,
    }
    await answer(fake, request("hi"), model="gemini-3-pro-preview", thinking={"level": "low"})
    assert fake.last_request.json["generationConfig"]["thinkingConfig"] == {
        "include_thoughts": True,
        "thinking_level": "LOW",
    }
    await answer(fake, request("hi"), model="gemini-2.0-flash")
    assert "thinkingConfig" not in fake.last_request.json.get("generationConfig", {})


async def test_thoughts_and_signatures_round_trip_on_a_function_call_turn(fake: FakeProviderServer) -> None:
    fake.enqueue(
        Reply(
            "Let me check.",
            reasoning=Reasoning("I need the weather.", signature="sig-call"),
            tool_calls=[ScriptedCall("get_weather", {"city": "Paris"})],
        ),
        Reply("Sunny in Paris.", reasoning=Reasoning("Now I can answer.", signature="sig-text")),
    )
    chat = ChatRequest(messages=[Message.user("Weather in Paris?")], tools=[WEATHER])
    first = await answer(fake, chat)
    thoughts = "".join(e.text for e in of_type(first, ReasoningSummaryDelta))
    assert thoughts == "I need the weather."
    turn = done(first)
    assert turn.stop_reason == "tool_calls"
    (call,) = turn.message.tool_calls
    assert (call.name, dict(call.arguments)) == ("get_weather", {"city": "Paris"})
    assert call.provider_state["gemini"]["thought_signature"] == base64.b64encode(b"sig-call").decode()
    assert [p.text for p in turn.message.reasoning] == ["I need the weather."]
    declared = fake.last_request.json["tools"][0]["functionDeclarations"][0]
    assert declared["parameters_json_schema"] == dict(WEATHER.parameters)  # snake_case on the wire

    result = ToolResultPart(call_id=call.id, name="get_weather", content="sunny, 24C")
    follow_up = ChatRequest(
        messages=[Message.user("Weather in Paris?"), turn.message, Message.tool_results([result])],
        tools=[WEATHER],
    )
    second = await answer(fake, follow_up)
    sent = fake.last_request.json["contents"]
    assert [c["role"] for c in sent] == ["user", "model", "user"]
    model_parts = sent[1]["parts"]
    assert model_parts[0] == {"text": "I need the weather.", "thought": True}
    assert model_parts[1] == {"text": "Let me check."}
    assert model_parts[2]["functionCall"] == {"name": "get_weather", "args": {"city": "Paris"}}
    assert base64.b64decode(model_parts[2]["thoughtSignature"]) == b"sig-call"
    assert sent[2]["parts"] == [
        {"functionResponse": {"name": "get_weather", "response": {"output": "sunny, 24C"}}}
    ]

    # the text turn's signature (on its text part) goes back on the next turn too
    final = done(second)
    assert final.message.text == "Sunny in Paris."
    (text_part,) = [p for p in final.message.parts if isinstance(p, TextPart)]
    assert text_part.provider_state["gemini"]["thought_signature"] == base64.b64encode(b"sig-text").decode()
    await answer(fake, ChatRequest(messages=[*follow_up.messages, final.message, Message.user("Thanks!")]))
    signed = [p for p in parts(fake.last_request, "model") if "thoughtSignature" in p]
    assert [base64.b64decode(p["thoughtSignature"]) for p in signed] == [b"sig-call", b"sig-text"]
    # text pieces are merged, but never into the signed piece (Gemini's rule for signatures)
    last_turn = fake.last_request.json["contents"][-2]["parts"]
    assert last_turn[-2:] == [{"text": "Sunny in P"}, signed[1]] and signed[1]["text"] == "aris."


async def test_parallel_function_calls_with_and_without_provider_ids(fake: FakeProviderServer) -> None:
    fake.enqueue(
        Reply(
            tool_calls=[
                ScriptedCall("get_weather", {"city": "Paris"}),
                ScriptedCall("get_time", {}, id="t-1"),
            ]
        )
    )
    chat = ChatRequest(
        messages=[Message.user("Weather and time?")], tools=[WEATHER, TIME], tool_choice="required"
    )
    events = await answer(fake, chat)
    calls = [e.call for e in of_type(events, ToolCall)]
    assert [(c.name, dict(c.arguments)) for c in calls] == [
        ("get_weather", {"city": "Paris"}),
        ("get_time", {}),
    ]
    assert calls[1].id == "t-1" and calls[0].id.startswith("call_")
    assert fake.last_request.json["toolConfig"] == {"functionCallingConfig": {"mode": "ANY"}}
    assert fake.last_request.json["tools"][0]["functionDeclarations"][1]["name"] == "get_time"

    turn = done(events).message
    results = Message.tool_results(
        [
            ToolResultPart(call_id=calls[0].id, name="get_weather", content="sunny"),
            ToolResultPart(call_id=calls[1].id, name="get_time", content="no clock", is_error=True),
        ]
    )
    await answer(
        fake, ChatRequest(messages=[Message.user("Weather and time?"), turn, results], tools=[WEATHER, TIME])
    )
    responses = [p["functionResponse"] for p in parts(fake.last_request, "user") if "functionResponse" in p]
    assert responses == [
        {"name": "get_weather", "response": {"output": "sunny"}},  # Gemini gave no id: none sent back
        {"id": "t-1", "name": "get_time", "response": {"error": "no clock"}},
    ]


async def test_a_named_tool_choice_forces_that_function(fake: FakeProviderServer) -> None:
    fake.enqueue(Reply(tool_calls=[ScriptedCall("get_time", {})]))
    await answer(
        fake, ChatRequest(messages=[Message.user("t?")], tools=[WEATHER, TIME], tool_choice="get_time")
    )
    assert fake.last_request.json["toolConfig"]["functionCallingConfig"] == {
        "mode": "ANY",
        "allowedFunctionNames": ["get_time"],
    }


async def test_web_search_grounding_gives_queries_sources_and_citations(fake: FakeProviderServer) -> None:
    fake.enqueue(
        Reply(
            "Paris has 2.1 million people.",
            web_searches=[
                WebSearch(
                    "paris population",
                    [
                        SearchResult("https://insee.example/paris", "INSEE"),
                        SearchResult("https://wiki.example/p", "Wiki"),
                    ],
                )
            ],
            citations=[Citation("https://insee.example/paris", "INSEE", 0, 5)],
        )
    )
    events = await answer(fake, request("Population of Paris?"), enable_web_search=True)
    assert fake.last_request.json["tools"] == [{"googleSearch": {}}]
    (search,) = of_type(events, BuiltinToolActivity)
    assert (search.tool, search.status, search.query) == ("web_search", "completed", "paris population")
    assert [(c.url, c.title, c.snippet) for c in search.citations] == [
        ("https://insee.example/paris", "INSEE", "Paris"),
        ("https://wiki.example/p", "Wiki", None),
    ]
    final = done(events)
    assert final.citations == search.citations
    kept = final.message.provider_state["gemini"]["grounding"][0]
    assert kept["queries"] == ["paris population"]
    assert kept["sources"][0] == {"url": "https://insee.example/paris", "title": "INSEE", "supports": "Paris"}


async def test_code_execution_shows_the_code_and_its_result(fake: FakeProviderServer) -> None:
    fake.enqueue(
        Reply(
            "The sum is 5050.",
            code_executions=[
                CodeExecution("print(sum(range(101)))", "5050\n"),
                CodeExecution("1/0", "", stderr="ZeroDivisionError", return_code=1),
            ],
        ),
        Reply("ok"),
    )
    events = await answer(fake, request("Sum 1..100"), enable_code_execution=True)
    assert fake.last_request.json["tools"] == [{"codeExecution": {}}]
    activity = [(a.call_id, a.status, a.code, a.output) for a in of_type(events, BuiltinToolActivity)]
    assert activity == [
        ("code_1", "in_progress", "print(sum(range(101)))", None),
        ("code_1", "completed", "print(sum(range(101)))", "5050\n"),
        ("code_2", "in_progress", "1/0", None),
        ("code_2", "failed", "1/0", "ZeroDivisionError"),
    ]
    turn = done(events).message
    assert turn.text == "The sum is 5050."
    # the executed code and its result go back to Gemini on the next turn
    await answer(fake, ChatRequest(messages=[Message.user("Sum 1..100"), turn, Message.user("thanks")]))
    kinds = [next(iter(p)) for p in parts(fake.last_request, "model")]
    assert kinds == ["executableCode", "codeExecutionResult", "executableCode", "codeExecutionResult", "text"]


async def test_image_and_audio_bytes_reach_gemini_inline(fake: FakeProviderServer, tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n fake image"
    (tmp_path / "chart.png").write_bytes(png)
    image = MediaPart.from_path(tmp_path / "chart.png")
    audio = MediaPart(kind="audio", mime_type="audio/wav", data=b"RIFF fake wav")
    remote = MediaPart(kind="image", mime_type="image/jpeg", url="https://img.example/cat.jpg")
    video = MediaPart(kind="video", url="data:video/mp4;base64," + base64.b64encode(b"fake mp4").decode())
    await answer(fake, ChatRequest(messages=[Message.user("What is this?", image, audio, remote, video)]))
    sent = parts(fake.last_request, "user")
    assert sent[0] == {"text": "What is this?"}
    assert sent[1] == {"inlineData": {"data": base64.b64encode(png).decode(), "mime_type": "image/png"}}
    assert base64.b64decode(sent[2]["inlineData"]["data"]) == b"RIFF fake wav"
    assert sent[3] == {"fileData": {"file_uri": "https://img.example/cat.jpg", "mime_type": "image/jpeg"}}
    assert sent[4]["inlineData"]["mime_type"] == "video/mp4"
    assert base64.b64decode(sent[4]["inlineData"]["data"]) == b"fake mp4"


async def test_stop_reasons(fake: FakeProviderServer) -> None:
    fake.enqueue(
        Reply("cut", stop_reason=StopReason.MAX_TOKENS), Reply("no", stop_reason=StopReason.CONTENT_FILTER)
    )
    assert done(await answer(fake, request("a"))).stop_reason == "max_tokens"
    assert done(await answer(fake, request("b"))).stop_reason == "content_filter"


async def test_history_from_another_backend_is_rebuilt(fake: FakeProviderServer) -> None:
    other = Message(
        role="assistant",
        parts=(
            ReasoningPart(text="someone else's reasoning", provider_state={"openai": {"item": {}}}),
            TextPart(text="Earlier answer."),
        ),
    )
    await answer(fake, ChatRequest(messages=[Message.user("Q1"), other, Message.user("Q2")]))
    assert fake.last_request.json["contents"] == [
        {"role": "user", "parts": [{"text": "Q1"}]},
        {"role": "model", "parts": [{"text": "Earlier answer."}]},
        {"role": "user", "parts": [{"text": "Q2"}]},
    ]
    assert json.dumps(fake.last_request.json).count("reasoning") == 0


@pytest.mark.parametrize(
    ("base_path", "options", "version"),
    [("", {}, "v1beta"), ("/v1", {}, "v1"), ("", {"api_version": "v1alpha"}, "v1alpha")],
)
async def test_the_api_version_comes_from_the_option_or_the_base_url(
    fake: FakeProviderServer, base_path: str, options: dict[str, str], version: str
) -> None:
    backend = build(base_url=fake.gemini_base_url + base_path, **options)
    await collect(backend.stream(request("hi")))
    await backend.aclose()
    assert fake.last_request.path == f"/{version}/models/{MODEL}:streamGenerateContent"
