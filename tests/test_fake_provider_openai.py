"""The fake provider through the official openai SDK (Chat Completions and Responses) over loopback."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

openai = pytest.importorskip("openai")
httpx2 = pytest.importorskip("httpx2")

from openai.types import responses as rtypes  # noqa: E402

from massgen_core.testing.fake_provider import (  # noqa: E402
    Citation,
    CodeExecution,
    Disconnect,
    FakeProviderServer,
    HttpError,
    Reasoning,
    Reply,
    SearchResult,
    Stall,
    StopReason,
    StreamError,
    ToolCall,
    Usage,
    WebSearch,
    WireFormat,
)

USER = [{"role": "user", "content": "What is the weather in Paris?"}]


OPEN_CLIENTS: list[Any] = []


@pytest.fixture(autouse=True)
def close_sdk_clients() -> Iterator[None]:
    """Close the SDK clients a test made, so that no socket is left to the garbage collector."""
    yield
    while OPEN_CLIENTS:
        OPEN_CLIENTS.pop().close()


def client(server: FakeProviderServer, **kwargs: Any) -> Any:
    sdk = openai.OpenAI(base_url=server.openai_base_url, api_key="test-key", max_retries=0, **kwargs)
    OPEN_CLIENTS.append(sdk)
    return sdk


def chat_stream(server: FakeProviderServer, **kwargs: Any) -> list[Any]:
    params: dict[str, Any] = {"model": "gpt-4o", "messages": USER, "stream": True} | kwargs
    return list(client(server).chat.completions.create(**params))


# -- Chat Completions -----------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_chat_stream_text_reasoning_and_usage(fake_provider: FakeProviderServer, field: str) -> None:
    fake_provider.enqueue(
        Reply(
            ["Sunny ", "in ", "Paris."],
            reasoning=Reasoning("Let me think.", chat_field=field),  # type: ignore[arg-type]
            usage=Usage(11, 9, reasoning_tokens=3),
        )
    )
    chunks = chat_stream(fake_provider, stream_options={"include_usage": True})
    deltas = [c.choices[0].delta for c in chunks if c.choices]
    assert "".join(d.content or "" for d in deltas) == "Sunny in Paris."
    assert "".join((d.model_extra or {}).get(field) or "" for d in deltas) == "Let me think."
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert all(c.usage is None for c in chunks[:-1])
    usage = chunks[-1].usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (11, 9, 20)
    assert usage.completion_tokens_details.reasoning_tokens == 3
    assert fake_provider.last_request.json["stream_options"] == {"include_usage": True}


def test_chat_stream_without_include_usage_sends_no_usage_chunk(fake_provider: FakeProviderServer) -> None:
    fake_provider.enqueue(Reply("hi"))
    chunks = chat_stream(fake_provider)
    assert all(c.choices for c in chunks)
    assert all(c.usage is None for c in chunks)


def test_chat_parallel_tool_calls_accumulate_by_index(fake_provider: FakeProviderServer) -> None:
    calls = [
        ToolCall("get_weather", {"city": "Paris"}, id="call_a", chunks=3),
        ToolCall("get_time", {"tz": "Europe/Paris"}, id="call_b"),
    ]
    fake_provider.enqueue(Reply(tool_calls=calls))
    with client(fake_provider).chat.completions.stream(model="gpt-4o", messages=USER) as stream:
        completion = stream.get_final_completion()
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    got = [(c.id, c.function.name, json.loads(c.function.arguments)) for c in choice.message.tool_calls]
    assert got == [
        ("call_a", "get_weather", {"city": "Paris"}),
        ("call_b", "get_time", {"tz": "Europe/Paris"}),
    ]


def test_chat_llama_cpp_quirk_repeats_name_in_every_delta(fake_provider: FakeProviderServer) -> None:
    fake_provider.enqueue(
        Reply(
            tool_calls=[ToolCall("get_weather", {"city": "Paris"}, chunks=3)], chat_repeat_tool_identity=True
        )
    )
    chunks = chat_stream(fake_provider)
    tool_deltas = [
        c.choices[0].delta.tool_calls[0] for c in chunks if c.choices and c.choices[0].delta.tool_calls
    ]
    assert len(tool_deltas) == 3
    assert all(d.function.name == "get_weather" and d.id for d in tool_deltas)
    assert json.loads("".join(d.function.arguments for d in tool_deltas)) == {"city": "Paris"}


def test_chat_non_stream(fake_provider: FakeProviderServer) -> None:
    fake_provider.enqueue(
        Reply(
            "Looking it up.",
            reasoning=Reasoning("hmm"),
            tool_calls=[ToolCall("get_weather", {"city": "Paris"})],
        )
    )
    completion = client(fake_provider).chat.completions.create(model="gpt-4o", messages=USER)
    message = completion.choices[0].message
    assert message.content == "Looking it up."
    assert message.model_extra["reasoning_content"] == "hmm"
    assert message.tool_calls[0].function.name == "get_weather"
    assert completion.choices[0].finish_reason == "tool_calls"
    assert completion.model == "gpt-4o"


def test_models_list_is_configurable() -> None:
    with FakeProviderServer(models=["alpha", "beta"]) as server:
        sdk = client(server)
        assert [m.id for m in sdk.models.list()] == ["alpha", "beta"]
        assert sdk.models.retrieve("beta").id == "beta"
        with pytest.raises(openai.NotFoundError):
            sdk.models.retrieve("gamma")


# -- Responses --------------------------------------------------------------------------------------


def test_responses_raw_stream_has_typed_builtin_tool_events(fake_provider: FakeProviderServer) -> None:
    fake_provider.enqueue(
        Reply(
            "Paris is sunny.",
            reasoning=Reasoning("Search first.", raw=True),
            web_searches=[WebSearch("paris weather", [SearchResult("https://w.example/paris", "Paris")])],
            citations=[Citation("https://w.example/paris", "Paris", 0, 5)],
            code_executions=[CodeExecution("print(20 + 1)", "21\n")],
            tool_calls=[ToolCall("get_weather", {"city": "Paris"}, id="call_1"), ToolCall("notify", {})],
            usage=Usage(30, 12, reasoning_tokens=4),
        )
    )
    stream = client(fake_provider).responses.create(
        model="gpt-5", input="weather?", stream=True, include=["code_interpreter_call.outputs"]
    )
    events = list(stream)
    kinds = [e.type for e in events]
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert kinds[-1] == "response.completed"
    assert [e.sequence_number for e in events] == list(range(len(events)))
    of = {type(e) for e in events}
    assert {
        rtypes.ResponseReasoningSummaryTextDeltaEvent,
        rtypes.ResponseReasoningTextDeltaEvent,
        rtypes.ResponseWebSearchCallInProgressEvent,
        rtypes.ResponseWebSearchCallSearchingEvent,
        rtypes.ResponseWebSearchCallCompletedEvent,
        rtypes.ResponseCodeInterpreterCallCodeDeltaEvent,
        rtypes.ResponseCodeInterpreterCallInterpretingEvent,
        rtypes.ResponseOutputTextAnnotationAddedEvent,
        rtypes.ResponseFunctionCallArgumentsDeltaEvent,
    } <= of
    annotation = next(e for e in events if e.type == "response.output_text.annotation.added").annotation
    assert (annotation.type, annotation.url, annotation.end_index) == (
        "url_citation",
        "https://w.example/paris",
        5,
    )
    final = events[-1].response
    assert final.output_text == "Paris is sunny."
    assert [item.type for item in final.output] == [
        "reasoning",
        "web_search_call",
        "code_interpreter_call",
        "message",
        "function_call",
        "function_call",
    ]
    assert final.output[2].outputs[0].logs == "21\n"
    assert final.output[4].call_id == "call_1"
    assert (final.usage.input_tokens, final.usage.output_tokens) == (30, 12)
    assert final.usage.output_tokens_details.reasoning_tokens == 4


def test_responses_stream_helper_final_response(fake_provider: FakeProviderServer) -> None:
    fake_provider.enqueue(
        Reply(
            "Calling a tool.",
            reasoning=Reasoning("plan"),
            tool_calls=[ToolCall("get_weather", {"city": "Paris"})],
        )
    )
    with client(fake_provider).responses.stream(model="gpt-5", input="weather?") as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        response = stream.get_final_response()
    assert "".join(deltas) == response.output_text == "Calling a tool."
    call = response.output[-1]
    assert (call.type, call.name, json.loads(call.arguments)) == (
        "function_call",
        "get_weather",
        {"city": "Paris"},
    )


def test_responses_non_stream_and_incomplete(fake_provider: FakeProviderServer) -> None:
    fake_provider.enqueue(Reply("cut sh", stop_reason=StopReason.MAX_TOKENS))
    response = client(fake_provider).responses.create(model="gpt-5", input="hi")
    assert response.status == "incomplete"
    assert response.incomplete_details.reason == "max_output_tokens"
    assert response.output_text == "cut sh"


def test_responses_mid_stream_error_yields_error_and_failed_events(fake_provider: FakeProviderServer) -> None:
    fake_provider.enqueue(Reply("Hello there", fault=StreamError(after=1)))
    events = list(client(fake_provider).responses.create(model="gpt-5", input="hi", stream=True))
    assert [e.type for e in events][-2:] == ["error", "response.failed"]
    assert isinstance(events[-2], rtypes.ResponseErrorEvent)
    assert events[-2].code == "server_error"
    assert events[-1].response.status == "failed"
    assert sum(e.type == "response.output_text.delta" for e in events) == 1
    assert [e.sequence_number for e in events] == list(range(len(events)))


# -- errors, retries, faults ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "exception"),
    [
        (400, "BadRequestError"),
        (401, "AuthenticationError"),
        (403, "PermissionDeniedError"),
        (404, "NotFoundError"),
        (429, "RateLimitError"),
        (500, "InternalServerError"),
        (503, "InternalServerError"),
        (529, "InternalServerError"),
    ],
)
def test_error_status_maps_to_sdk_exception(
    fake_provider: FakeProviderServer, status: int, exception: str
) -> None:

    fake_provider.enqueue(HttpError(status))
    with pytest.raises(getattr(openai, exception)) as caught:
        chat_stream(fake_provider)
    assert caught.value.status_code == status
    assert caught.value.request_id.startswith("req_")
    assert set(caught.value.body) == {"message", "type", "param", "code"}


def test_wrong_api_key_is_rejected_like_openai() -> None:
    with FakeProviderServer(api_key="right-key") as server:
        with pytest.raises(openai.AuthenticationError) as caught:
            chat_stream(server)
        assert caught.value.code == "invalid_api_key"
        assert server.pending == 0


def test_429_retry_after_ms_is_honoured(fake_provider: FakeProviderServer) -> None:
    fake_provider.enqueue(HttpError.rate_limited(retry_after_ms=250), Reply("ok"))
    start = time.monotonic()
    sdk = client(fake_provider).with_options(max_retries=1)
    completion = sdk.chat.completions.create(model="gpt-4o", messages=USER)
    assert completion.choices[0].message.content == "ok"
    assert time.monotonic() - start >= 0.25
    assert len(fake_provider.model_calls(WireFormat.OPENAI_CHAT)) == 2


def test_x_should_retry_false_stops_sdk_retries(fake_provider: FakeProviderServer) -> None:
    fake_provider.enqueue(HttpError(500, headers={"x-should-retry": "false"}), Reply("never"))
    with pytest.raises(openai.InternalServerError):
        client(fake_provider).with_options(max_retries=2).chat.completions.create(
            model="gpt-4o", messages=USER
        )
    assert len(fake_provider.requests) == 1


def test_chat_mid_stream_error_raises_api_error_without_status(fake_provider: FakeProviderServer) -> None:
    fake_provider.enqueue(Reply("Hello there", text_chunks=4, fault=StreamError(after=2, message="boom")))
    seen: list[str] = []
    with pytest.raises(openai.APIError) as caught:
        for chunk in client(fake_provider).chat.completions.create(
            model="gpt-4o", messages=USER, stream=True
        ):
            seen.append(chunk.choices[0].delta.content or "")
    assert not isinstance(caught.value, openai.APIStatusError)
    assert caught.value.body["message"] == "boom"
    assert "".join(seen) == "Hello "


def test_abrupt_disconnect_is_a_connection_error(fake_provider: FakeProviderServer) -> None:
    fake_provider.enqueue(
        Reply("Hello there", fault=Disconnect(after=1)), Reply("x", fault=Disconnect(reset=True))
    )
    for _ in range(2):
        with pytest.raises(openai.APIConnectionError):
            chat_stream(fake_provider)


def test_latency_and_stall_hit_client_timeouts() -> None:
    async def scenario(server: FakeProviderServer) -> None:
        sdk = openai.AsyncOpenAI(base_url=server.openai_base_url, api_key="k", max_retries=0)
        server.enqueue(Reply("late", delay=1.0))
        with pytest.raises(openai.APITimeoutError):
            await sdk.with_options(timeout=0.2).chat.completions.create(model="gpt-4o", messages=USER)
        server.enqueue(Reply("Hello there", fault=Stall(after=1)))
        received: list[str] = []
        start = time.monotonic()
        stream = await sdk.with_options(timeout=httpx2.Timeout(5.0, read=0.3)).chat.completions.create(
            model="gpt-4o", messages=USER, stream=True
        )
        with pytest.raises(openai.APITimeoutError):
            async for chunk in stream:
                received.append(chunk.choices[0].delta.content or "")
        assert "".join(received) == "Hell"
        assert 0.25 <= time.monotonic() - start < 3.0
        await sdk.close()

    with FakeProviderServer() as server:
        asyncio.run(scenario(server))
        start = time.monotonic()
    assert time.monotonic() - start < 2.5  # stop() did not hang


def test_twenty_concurrent_async_streams_are_served_in_parallel(fake_provider: FakeProviderServer) -> None:
    fake_provider.responder = lambda request: Reply(
        f"for {request.last_user_text}", text_chunks=5, chunk_delay=0.1
    )

    async def one(sdk: Any, number: int) -> str:
        messages = [{"role": "user", "content": str(number)}]
        stream = await sdk.chat.completions.create(model="gpt-4o", messages=messages, stream=True)
        return "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])

    async def main() -> list[str]:
        sdk = openai.AsyncOpenAI(base_url=fake_provider.openai_base_url, api_key="k", max_retries=0)
        try:
            return await asyncio.gather(*(one(sdk, n) for n in range(24)))
        finally:
            await sdk.close()

    start = time.monotonic()
    texts = asyncio.run(main())
    assert texts == [f"for {n}" for n in range(24)]
    assert time.monotonic() - start < 6.0  # 24 x 0.5 s if they were served one by one
