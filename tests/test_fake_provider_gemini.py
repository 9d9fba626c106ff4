"""The fake provider through the official google-genai SDK over loopback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest

genai = pytest.importorskip("google.genai")
httpx2 = pytest.importorskip("httpx2")

from google.genai import errors, types  # noqa: E402

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
)

MODEL = "gemini-test"


OPEN_CLIENTS: list[Any] = []


@pytest.fixture(autouse=True)
def close_sdk_clients() -> Iterator[None]:
    """Close the SDK clients a test made, so that no socket is left to the garbage collector."""
    yield
    while OPEN_CLIENTS:
        OPEN_CLIENTS.pop().close()


def client(server: FakeProviderServer, api_version: str = "v1beta", **options: Any) -> Any:
    # keep a reference to the Client: a garbage-collected client closes its HTTP client
    http_options = types.HttpOptions(base_url=server.gemini_base_url, api_version=api_version, **options)
    sdk = genai.Client(api_key="test-key", http_options=http_options)
    OPEN_CLIENTS.append(sdk)
    return sdk


def test_stream_text_thoughts_parallel_calls_and_usage(fake_provider: FakeProviderServer) -> None:
    fake_provider.enqueue(
        Reply(
            "Calling tools.",
            reasoning=Reasoning("Two calls needed.", signature="sig-g"),
            tool_calls=[
                ToolCall("get_weather", {"city": "Paris"}),
                ToolCall("get_time", {"tz": "UTC"}, id="c2"),
            ],
            usage=Usage(11, 20, reasoning_tokens=5),
        )
    )
    sdk = client(fake_provider)
    chunks = list(sdk.models.generate_content_stream(model=MODEL, contents="weather and time?"))
    parts = [part for chunk in chunks for part in chunk.candidates[0].content.parts]
    assert "".join(p.text for p in parts if p.thought) == "Two calls needed."
    assert "".join(p.text for p in parts if p.text and not p.thought) == "Calling tools."
    calls = [p.function_call for p in parts if p.function_call]
    assert [(c.name, c.args, c.id) for c in calls] == [
        ("get_weather", {"city": "Paris"}, None),
        ("get_time", {"tz": "UTC"}, "c2"),
    ]
    assert next(p for p in parts if p.function_call).thought_signature == b"sig-g"
    last = chunks[-1]
    assert last.candidates[0].finish_reason == types.FinishReason.STOP
    usage = last.usage_metadata
    assert (usage.prompt_token_count, usage.candidates_token_count, usage.thoughts_token_count) == (11, 15, 5)
    assert usage.total_token_count == 31
    request = fake_provider.last_request
    assert (request.path, request.query) == (f"/v1beta/models/{MODEL}:streamGenerateContent", {"alt": "sse"})
    assert request.headers["x-goog-api-key"] == "test-key"
    assert request.last_user_text == "weather and time?"


def test_code_execution_and_grounding(fake_provider: FakeProviderServer) -> None:
    fake_provider.enqueue(
        Reply(
            "Paris: 21C.",
            code_executions=[CodeExecution("print(20 + 1)", "21\n")],
            web_searches=[WebSearch("paris weather", [SearchResult("https://w.example/p", "Paris")])],
            citations=[Citation("https://w.example/p", "Paris", 0, 6)],
        )
    )
    sdk = client(fake_provider)
    chunks = list(sdk.models.generate_content_stream(model=MODEL, contents="weather?"))
    parts = [part for chunk in chunks for part in chunk.candidates[0].content.parts]
    code = next(p.executable_code for p in parts if p.executable_code)
    result = next(p.code_execution_result for p in parts if p.code_execution_result)
    assert (code.code, code.language) == ("print(20 + 1)", types.Language.PYTHON)
    assert (result.outcome, result.output) == (types.Outcome.OUTCOME_OK, "21\n")
    grounding = chunks[-1].candidates[0].grounding_metadata
    assert grounding.web_search_queries == ["paris weather"]
    assert grounding.grounding_chunks[0].web.uri == "https://w.example/p"
    support = grounding.grounding_supports[0]
    assert (support.segment.text, support.segment.end_index, support.grounding_chunk_indices) == (
        "Paris:",
        6,
        [0],
    )


def test_non_stream_on_v1(fake_provider: FakeProviderServer) -> None:
    fake_provider.enqueue(Reply(["Hel", "lo"], reasoning=Reasoning("hm"), stop_reason=StopReason.MAX_TOKENS))
    sdk = client(fake_provider, api_version="v1")
    response = sdk.models.generate_content(model=MODEL, contents="hi")
    assert response.text == "Hello"
    assert response.candidates[0].finish_reason == types.FinishReason.MAX_TOKENS
    assert fake_provider.last_request.path == f"/v1/models/{MODEL}:generateContent"


@pytest.mark.parametrize(
    ("status", "rpc_status", "exception"),
    [
        (400, "INVALID_ARGUMENT", errors.ClientError),
        (401, "UNAUTHENTICATED", errors.ClientError),
        (403, "PERMISSION_DENIED", errors.ClientError),
        (404, "NOT_FOUND", errors.ClientError),
        (429, "RESOURCE_EXHAUSTED", errors.ClientError),
        (500, "INTERNAL", errors.ServerError),
        (503, "UNAVAILABLE", errors.ServerError),
    ],
)
def test_error_status_maps_to_sdk_exception(
    fake_provider: FakeProviderServer, status: int, rpc_status: str, exception: type[Exception]
) -> None:

    fake_provider.enqueue(HttpError(status))
    sdk = client(fake_provider)
    with pytest.raises(exception) as caught:
        list(sdk.models.generate_content_stream(model=MODEL, contents="hi"))
    assert (caught.value.code, caught.value.status) == (status, rpc_status)


def test_bad_api_key_is_400_invalid_argument() -> None:
    with FakeProviderServer(api_key="right-key") as server:
        sdk = client(server)
        with pytest.raises(errors.ClientError) as caught:
            sdk.models.generate_content(model=MODEL, contents="hi")
    assert (caught.value.code, caught.value.status) == (400, "INVALID_ARGUMENT")
    assert caught.value.details["error"]["details"][0]["reason"] == "API_KEY_INVALID"


def test_mid_stream_error_raises_server_error(fake_provider: FakeProviderServer) -> None:
    fake_provider.enqueue(Reply("Hello there", fault=StreamError(after=2)))
    sdk = client(fake_provider)
    texts: list[str] = []
    with pytest.raises(errors.ServerError) as caught:
        for chunk in sdk.models.generate_content_stream(model=MODEL, contents="hi"):
            texts.append(chunk.text)
    assert caught.value.code == 503
    assert texts == ["Hell", "o th"]


def test_stall_and_disconnect_mid_stream(fake_provider: FakeProviderServer) -> None:
    fake_provider.enqueue(
        Reply("Hello there", fault=Stall(after=1)), Reply("Hello there", fault=Disconnect(after=1))
    )
    sdk = client(fake_provider, timeout=300)
    for expected in (httpx2.ReadTimeout, httpx2.RemoteProtocolError):
        texts: list[str] = []
        with pytest.raises(expected):
            for chunk in sdk.models.generate_content_stream(model=MODEL, contents="hi"):
                texts.append(chunk.text)
        assert texts == ["Hell"]


def test_async_stream_and_latency_timeout(fake_provider: FakeProviderServer) -> None:
    async def scenario() -> None:
        sdk = client(fake_provider)
        fake_provider.enqueue(Reply("async hi", text_chunks=2))
        stream = await sdk.aio.models.generate_content_stream(model=MODEL, contents="hi")
        assert [chunk.text async for chunk in stream] == ["asyn", "c hi"]

        slow = client(fake_provider, timeout=200)  # milliseconds
        fake_provider.enqueue(Reply("late", delay=1.0))
        start = time.monotonic()
        with pytest.raises(httpx2.ReadTimeout):  # google-genai does not wrap transport errors
            await slow.aio.models.generate_content(model=MODEL, contents="hi")
        assert time.monotonic() - start < 0.9
        await sdk.aio.aclose()
        await slow.aio.aclose()

    asyncio.run(scenario())
