"""The ``openai`` backend through the official SDK against the fake provider over loopback."""

from __future__ import annotations

import base64
import socket
import time
from pathlib import Path

import pytest
from massgen_core.plugin import (
    AuthenticationError,
    BackendError,
    BackendTimeoutError,
    BuiltinToolActivity,
    ConnectionFailedError,
    Done,
    MediaPart,
    Message,
    ModelNotFoundError,
    ProviderServerError,
    RateLimitError,
    ReasoningSummaryDelta,
    StreamError,
    TextDelta,
    Timeouts,
    ToolCall,
    ToolDefinition,
    ToolResultPart,
    Usage,
)
from massgen_core.testing.backends import resilient
from massgen_core.testing.fake_provider import (
    Citation,
    CodeExecution,
    Disconnect,
    FakeProviderServer,
    HttpError,
    Reasoning,
    Reply,
    SearchResult,
    Stall,
    WebSearch,
    WireFormat,
)
from massgen_core.testing.fake_provider import (
    StreamError as ScriptedStreamError,
)
from massgen_core.testing.fake_provider import (
    ToolCall as ScriptedToolCall,
)
from openai_testkit import FAST, anyio_backend, build, collect, fake, of_type, request  # noqa: F401  (fixtures)

pytestmark = pytest.mark.anyio

WEATHER = ToolDefinition(
    name="get_weather",
    description="Weather for a city",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)


def openai_backend(
    fake: FakeProviderServer, model: str = "gpt-5", timeouts: Timeouts = FAST, **options: object
):
    return build(
        "openai", timeouts=timeouts, model=model, api_key="test-key", base_url=fake.openai_base_url, **options
    )


async def test_text_stream(fake: FakeProviderServer) -> None:
    fake.enqueue(Reply("Hello from GPT.", text_chunks=3))
    backend = openai_backend(fake)
    events = await collect(backend.stream(request("hi")))
    await backend.aclose()
    assert [e.text for e in of_type(events, TextDelta)] == ["Hello", " from", " GPT."]
    assert isinstance(events[-1], Done) and events[-1].message.text == "Hello from GPT."
    assert of_type(events, Usage)
    sent = fake.last_request
    assert sent.wire_format is WireFormat.OPENAI_RESPONSES and sent.path == "/v1/responses"
    assert sent.json["model"] == "gpt-5" and sent.json["stream"] is True
    assert sent.headers["authorization"] == "Bearer test-key"
    assert "x-stainless-retry-count" not in sent.headers or sent.headers["x-stainless-retry-count"] == "0"


async def test_reasoning_summary_and_settings(fake: FakeProviderServer) -> None:
    fake.enqueue(Reply("42", reasoning=Reasoning("Let me think. Six times seven.", chunks=2)))
    backend = openai_backend(fake, reasoning={"effort": "high", "summary": "auto"}, text={"verbosity": "low"})
    events = await collect(backend.stream(request("6*7?")))
    await backend.aclose()
    summary = "".join(e.text for e in of_type(events, ReasoningSummaryDelta))
    assert summary == "Let me think. Six times seven."
    done = events[-1]
    assert isinstance(done, Done)
    assert done.message.reasoning[0].text == summary and done.message.reasoning[0].summary
    body = fake.last_request.json
    assert body["reasoning"] == {"effort": "high", "summary": "auto"}
    assert body["text"] == {"verbosity": "low"}
    assert body["include"] == ["reasoning.encrypted_content"] and body["store"] is False


async def test_web_search_and_code_interpreter_events(fake: FakeProviderServer) -> None:
    fake.enqueue(
        Reply(
            "Paris is sunny.",
            web_searches=[
                WebSearch("paris weather", results=[SearchResult("https://w.example/paris", "Paris")])
            ],
            code_executions=[CodeExecution("print(6*7)", "42\n")],
            citations=[Citation("https://w.example/paris", "Paris weather")],
        )
    )
    backend = openai_backend(fake, enable_web_search=True, enable_code_interpreter=True)
    events = await collect(backend.stream(request("weather?")))
    await backend.aclose()
    activity = of_type(events, BuiltinToolActivity)
    searches = [a for a in activity if a.tool == "web_search" and a.query]
    assert [a.status for a in searches] == ["started", "completed"]
    assert searches[-1].query == "paris weather"
    assert searches[-1].citations[0].url == "https://w.example/paris"
    code = [a for a in activity if a.tool == "code_execution"]
    assert [a.status for a in code] == ["started", "in_progress", "completed"]
    assert code[-1].code == "print(6*7)" and code[-1].output == "42\n"
    done = events[-1]
    assert isinstance(done, Done)
    assert [(c.url, c.title) for c in done.citations] == [("https://w.example/paris", "Paris weather")]
    body = fake.last_request.json
    assert body["tools"] == [
        {"type": "web_search"},
        {"type": "code_interpreter", "container": {"type": "auto"}},
    ]
    assert "web_search_call.action.sources" in body["include"]


async def test_parallel_tool_calls_and_round_trip(fake: FakeProviderServer) -> None:
    fake.enqueue(
        Reply(
            tool_calls=[
                ScriptedToolCall("get_weather", {"city": "Paris"}, id="call_a", chunks=3),
                ScriptedToolCall("get_weather", {"city": "Rome"}, id="call_b", chunks=3),
            ]
        ),
        Reply("Paris 20C, Rome 25C."),
    )
    backend = openai_backend(fake, parallel_tool_calls=True)
    first = await collect(backend.stream(request("weather in Paris and Rome?", tools=[WEATHER])))
    calls = [e.call for e in of_type(first, ToolCall)]
    assert [(c.id, dict(c.arguments)) for c in calls] == [
        ("call_a", {"city": "Paris"}),
        ("call_b", {"city": "Rome"}),
    ]
    done = first[-1]
    assert isinstance(done, Done) and done.stop_reason == "tool_calls"
    body = fake.last_request.json
    assert body["parallel_tool_calls"] is True and body["tool_choice"] == "auto"
    assert body["tools"][0]["name"] == "get_weather" and body["tools"][0]["strict"] is False

    results = Message.tool_results(
        [
            ToolResultPart(call_id="call_a", name="get_weather", content="20C"),
            ToolResultPart(call_id="call_b", name="get_weather", content="25C"),
        ]
    )
    second = await collect(
        backend.stream(request("weather in Paris and Rome?", done.message, results, tools=[WEATHER]))
    )
    await backend.aclose()
    assert isinstance(second[-1], Done) and second[-1].message.text == "Paris 20C, Rome 25C."
    items = fake.last_request.json["input"]
    assert [i.get("type", i.get("role")) for i in items] == [
        "user",
        "function_call",
        "function_call",
        "function_call_output",
        "function_call_output",
    ]
    assert items[1]["call_id"] == "call_a" and items[1]["id"].startswith("fc_")
    assert items[1]["arguments"] == '{"city": "Paris"}'
    assert items[3] == {"type": "function_call_output", "call_id": "call_a", "output": "20C"}


async def test_multi_turn_carries_reasoning_items(fake: FakeProviderServer) -> None:
    """With store on, reasoning items go back by id; message items always go back with their id."""
    fake.enqueue(Reply("First answer.", reasoning=Reasoning("thinking")), Reply("Second answer."))
    backend = openai_backend(fake, store=True)
    first = await collect(backend.stream(request("q1")))
    done = first[-1]
    assert isinstance(done, Done)
    assert "include" not in fake.last_request.json  # store: nothing encrypted to ask for
    await collect(backend.stream(request("q1", done.message, "q2")))
    await backend.aclose()
    items = fake.last_request.json["input"]
    assert [i.get("type", i.get("role")) for i in items] == ["user", "reasoning", "message", "user"]
    assert items[1]["id"].startswith("rs_") and items[1]["summary"][0]["text"] == "thinking"
    assert items[2]["id"].startswith("msg_") and items[2]["content"][0]["text"] == "First answer."


async def test_image_input(fake: FakeProviderServer, tmp_path: Path) -> None:
    image = tmp_path / "pixel.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n")
    backend = openai_backend(fake, model="gpt-4o")
    await collect(backend.stream(request(Message.user("what is this?", MediaPart.from_path(image)))))
    await backend.aclose()
    content = fake.last_request.json["input"][0]["content"]
    assert content[1] == {
        "type": "input_image",
        "image_url": "data:image/png;base64," + base64.b64encode(image.read_bytes()).decode(),
        "detail": "auto",
    }
    assert "include" not in fake.last_request.json  # gpt-4o is not a reasoning model


# -- errors ------------------------------------------------------------------------------------------


async def test_401_names_the_env_var(fake: FakeProviderServer) -> None:
    fake.enqueue(HttpError.bad_api_key())
    backend = openai_backend(fake)
    with pytest.raises(AuthenticationError, match="OPENAI_API_KEY") as caught:
        await collect(backend.stream(request("hi")))
    await backend.aclose()
    assert caught.value.status_code == 401 and not caught.value.retryable


async def test_404_lists_known_models(fake: FakeProviderServer) -> None:
    fake.enqueue(HttpError(404))
    backend = openai_backend(fake, model="gpt-9")
    with pytest.raises(ModelNotFoundError, match="gpt-5-mini") as caught:
        await collect(backend.stream(request("hi")))
    await backend.aclose()
    assert "'gpt-9'" in str(caught.value)


async def test_429_retry_after_is_honoured_by_the_core_retry_loop(fake: FakeProviderServer) -> None:
    fake.enqueue(HttpError.rate_limited(retry_after=0.4), Reply("finally"))
    backend = openai_backend(fake)
    started = time.monotonic()
    events = await collect(resilient(backend, request("hi"), timeouts=FAST, name="openai"))
    elapsed = time.monotonic() - started
    await backend.aclose()
    assert isinstance(events[-1], Done) and events[-1].message.text == "finally"
    assert elapsed >= 0.4
    assert len(fake.model_calls()) == 2  # one retry, by the core (the SDK's retries are off)


async def test_429_carries_retry_after(fake: FakeProviderServer) -> None:
    fake.enqueue(HttpError.rate_limited(retry_after_ms=1500))
    backend = openai_backend(fake)
    with pytest.raises(RateLimitError) as caught:
        await collect(backend.stream(request("hi")))
    await backend.aclose()
    assert caught.value.retry_after == 1.5 and caught.value.retryable
    assert len(fake.model_calls()) == 1


async def test_500_is_a_retryable_server_error(fake: FakeProviderServer) -> None:
    fake.enqueue(HttpError(500), HttpError(500), HttpError(500))
    backend = openai_backend(fake)
    with pytest.raises(ProviderServerError) as caught:
        await collect(backend.stream(request("hi")))
    assert caught.value.retryable
    events = await collect(resilient(backend, request("hi"), timeouts=FAST, max_attempts=2))
    await backend.aclose()
    assert isinstance(events[-1], StreamError) and isinstance(events[-1].error, ProviderServerError)
    assert len(fake.model_calls()) == 3


async def test_midstream_error_is_raised_not_truncated(fake: FakeProviderServer) -> None:
    fake.enqueue(Reply("Partial answer that breaks", text_chunks=4, fault=ScriptedStreamError(after=1)))
    backend = openai_backend(fake)
    seen: list[object] = []
    with pytest.raises(ProviderServerError):
        async for event in backend.stream(request("hi")):
            seen.append(event)
    await backend.aclose()
    assert of_type(seen, TextDelta) and not of_type(seen, Done)


async def test_midstream_rate_limit_error_event(fake: FakeProviderServer) -> None:
    fake.enqueue(Reply("x y z", fault=ScriptedStreamError(after=0, status=429, message="too fast")))
    backend = openai_backend(fake)
    events = await collect(resilient(backend, request("hi"), timeouts=FAST, max_attempts=1))
    await backend.aclose()
    assert isinstance(events[-1], StreamError) and isinstance(events[-1].error, RateLimitError)
    assert "too fast" in str(events[-1].error)


async def test_disconnect_midstream_is_an_error(fake: FakeProviderServer) -> None:
    fake.enqueue(Reply("a b c d", text_chunks=4, fault=Disconnect(after=2)))
    backend = openai_backend(fake)
    with pytest.raises(BackendError):
        await collect(backend.stream(request("hi")))
    await backend.aclose()


async def test_connection_refused_gives_the_curl_hint() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    backend = build("openai", model="gpt-5", api_key="k", base_url=f"http://127.0.0.1:{port}/v1")
    with pytest.raises(ConnectionFailedError, match=rf"curl http://127.0.0.1:{port}/v1/models") as caught:
        await collect(backend.stream(request("hi")))
    await backend.aclose()
    assert caught.value.retryable


# -- timeouts (the core's) -------------------------------------------------------------------------


async def test_slow_stream_within_the_idle_timeout_completes(fake: FakeProviderServer) -> None:
    fake.enqueue(Reply("slow but steady", text_chunks=3, chunk_delay=0.15))
    timeouts = Timeouts(connect=2, first_event=2, idle=1.0, total=10)
    backend = openai_backend(fake, timeouts=timeouts)
    events = await collect(resilient(backend, request("hi"), timeouts=timeouts))
    await backend.aclose()
    assert isinstance(events[-1], Done) and events[-1].message.text == "slow but steady"


async def test_stalled_stream_hits_the_idle_timeout(fake: FakeProviderServer) -> None:
    fake.enqueue(Reply("never finishes", text_chunks=3, fault=Stall(after=1)))
    timeouts = Timeouts(connect=2, first_event=2, idle=0.3, total=10)
    backend = openai_backend(fake, timeouts=timeouts)
    started = time.monotonic()
    events = await collect(resilient(backend, request("hi"), timeouts=timeouts, max_attempts=1))
    await backend.aclose()
    assert isinstance(events[-1], StreamError) and isinstance(events[-1].error, BackendTimeoutError)
    assert "stalled" in str(events[-1].error)
    assert time.monotonic() - started < 3


async def test_slow_first_byte_hits_the_first_event_timeout(fake: FakeProviderServer) -> None:
    fake.enqueue(Reply("late", delay=1.5))
    timeouts = Timeouts(connect=2, first_event=0.3, idle=5, total=10)
    backend = openai_backend(fake, timeouts=timeouts)
    events = await collect(resilient(backend, request("hi"), timeouts=timeouts, max_attempts=1))
    await backend.aclose()
    assert isinstance(events[-1], StreamError) and isinstance(events[-1].error, BackendTimeoutError)
