"""The fake provider through the official anthropic SDK (Messages) over loopback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest

anthropic = pytest.importorskip("anthropic")
httpx2 = pytest.importorskip("httpx2")

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

MODEL = "claude-test"  # a neutral name: anthropic warns about model names it knows are deprecated
USER = [{"role": "user", "content": "What is the weather in Paris?"}]


OPEN_CLIENTS: list[Any] = []


@pytest.fixture(autouse=True)
def close_sdk_clients() -> Iterator[None]:
    """Close the SDK clients a test made, so that no socket is left to the garbage collector."""
    yield
    while OPEN_CLIENTS:
        OPEN_CLIENTS.pop().close()


def client(server: FakeProviderServer, **kwargs: Any) -> Any:
    sdk = anthropic.Anthropic(base_url=server.anthropic_base_url, api_key="k", max_retries=0, **kwargs)
    OPEN_CLIENTS.append(sdk)
    return sdk


def create(server: FakeProviderServer, **kwargs: Any) -> Any:
    return client(server).messages.create(model=MODEL, max_tokens=256, messages=USER, **kwargs)


def test_raw_stream_events(fake_provider: FakeProviderServer) -> None:
    fake_provider.enqueue(
        Reply(
            "Sunny.",
            reasoning=Reasoning("Think.", signature="sig-1"),
            tool_calls=[ToolCall("get_weather", {"city": "Paris"})],
            usage=Usage(11, 42),
        )
    )
    events = list(create(fake_provider, stream=True))
    kinds = [e.type for e in events]
    assert kinds[0] == "message_start" and kinds[-2:] == ["message_delta", "message_stop"]
    assert "ping" not in kinds  # sent on the wire, skipped by the SDK
    starts = [e.content_block.type for e in events if e.type == "content_block_start"]
    assert starts == ["thinking", "text", "tool_use"]
    delta_types = {e.delta.type for e in events if e.type == "content_block_delta"}
    assert delta_types == {"thinking_delta", "signature_delta", "text_delta", "input_json_delta"}
    assert events[0].message.usage.input_tokens == 11
    assert events[-2].delta.stop_reason == "tool_use"
    assert events[-2].usage.output_tokens == 42


def test_stream_helper_final_message_with_server_tools(fake_provider: FakeProviderServer) -> None:
    fake_provider.enqueue(
        Reply(
            "Paris is sunny today.",
            reasoning=Reasoning("Search.", signature="sig-2"),
            web_searches=[
                WebSearch("paris weather", [SearchResult("https://w.example/p", "Paris", page_age="1d")])
            ],
            citations=[Citation("https://w.example/p", "Paris", 0, 15)],
            code_executions=[
                CodeExecution("print(1 + 1)", "2\n"),
                CodeExecution("ls", "a.txt\n", anthropic_tool="bash_code_execution"),
            ],
            tool_calls=[
                ToolCall("get_weather", {"city": "Paris"}, id="toolu_1"),
                ToolCall("get_time", {"tz": "UTC"}),
            ],
        )
    )
    with client(fake_provider).messages.stream(model=MODEL, max_tokens=256, messages=USER) as stream:
        text = "".join(stream.text_stream)
        message = stream.get_final_message()
    assert text == "Paris is sunny today."
    assert [b.type for b in message.content] == [
        "thinking",
        "server_tool_use",
        "web_search_tool_result",
        "server_tool_use",
        "code_execution_tool_result",
        "server_tool_use",
        "bash_code_execution_tool_result",
        "text",
        "tool_use",
        "tool_use",
    ]
    thinking, search, results, code, code_result, bash, bash_result, answer, call, call2 = message.content
    assert (thinking.thinking, thinking.signature) == ("Search.", "sig-2")
    assert (search.name, search.input) == ("web_search", {"query": "paris weather"})
    assert results.content[0].url == "https://w.example/p"
    assert results.tool_use_id == search.id
    assert (code.name, code.input, code_result.content.stdout) == (
        "code_execution",
        {"code": "print(1 + 1)"},
        "2\n",
    )
    assert (bash.name, bash.input, bash_result.content.stdout) == (
        "bash_code_execution",
        {"command": "ls"},
        "a.txt\n",
    )
    assert answer.citations[0].cited_text == "Paris is sunny "
    assert answer.citations[0].type == "web_search_result_location"
    assert (call.id, call.name, call.input) == ("toolu_1", "get_weather", {"city": "Paris"})
    assert call2.input == {"tz": "UTC"}
    assert message.stop_reason == "tool_use"
    assert message.usage.server_tool_use.web_search_requests == 1


def test_non_stream_and_query_string_ignored(fake_provider: FakeProviderServer) -> None:
    fake_provider.enqueue(Reply("Done.", stop_reason=StopReason.MAX_TOKENS))
    message = client(fake_provider).messages.create(
        model=MODEL, max_tokens=8, messages=USER, extra_query={"beta": "true"}
    )
    assert [b.text for b in message.content] == ["Done."]
    assert message.stop_reason == "max_tokens"
    request = fake_provider.last_request
    assert request.query == {"beta": "true"}
    assert request.headers["anthropic-version"]
    assert request.last_user_text == "What is the weather in Paris?"
    count = client(fake_provider).messages.count_tokens(model=MODEL, messages=USER)
    assert count.input_tokens > 0
    assert [m.id for m in client(fake_provider).models.list()][:1] == ["gpt-4o"]


@pytest.mark.parametrize(
    ("status", "exception", "error_type"),
    [
        (400, "BadRequestError", "invalid_request_error"),
        (401, "AuthenticationError", "authentication_error"),
        (403, "PermissionDeniedError", "permission_error"),
        (404, "NotFoundError", "not_found_error"),
        (429, "RateLimitError", "rate_limit_error"),
        (500, "InternalServerError", "api_error"),
        (503, "ServiceUnavailableError", "api_error"),
        (529, "OverloadedError", "overloaded_error"),
    ],
)
def test_error_status_maps_to_sdk_exception(
    fake_provider: FakeProviderServer, status: int, exception: str, error_type: str
) -> None:

    fake_provider.enqueue(HttpError(status))
    with pytest.raises(getattr(anthropic, exception)) as caught:
        create(fake_provider, stream=True)
    assert caught.value.status_code == status
    assert caught.value.body["error"]["type"] == error_type
    assert caught.value.request_id == caught.value.body["request_id"]


def test_retry_after_is_honoured(fake_provider: FakeProviderServer) -> None:
    overloaded = HttpError(529, headers={"retry-after-ms": "50"})
    fake_provider.enqueue(HttpError.rate_limited(retry_after=0.3), overloaded, Reply("ok"))
    start = time.monotonic()
    sdk = client(fake_provider).with_options(max_retries=2)
    message = sdk.messages.create(model=MODEL, max_tokens=8, messages=USER)
    assert message.content[0].text == "ok"
    assert 0.35 <= time.monotonic() - start < 2.0
    assert [r.headers["x-stainless-retry-count"] for r in fake_provider.requests] == ["0", "1", "2"]


def test_mid_stream_error_is_api_status_error_with_status_200(fake_provider: FakeProviderServer) -> None:
    fake_provider.enqueue(Reply("Hello there", fault=StreamError(after=1)))
    texts: list[str] = []
    with pytest.raises(anthropic.APIStatusError) as caught:
        for event in create(fake_provider, stream=True):
            if event.type == "content_block_delta":
                texts.append(event.delta.text)
    assert not isinstance(caught.value, anthropic.OverloadedError)
    assert caught.value.status_code == 200
    assert caught.value.body["error"]["type"] == "overloaded_error"
    assert texts == ["Hell"]


def test_disconnect_mid_stream_surfaces_as_a_transport_error(fake_provider: FakeProviderServer) -> None:
    # anthropic 2.13 does not wrap transport errors raised while iterating a stream (openai 3.x
    # does); 2.17 wraps them in APIConnectionError
    fake_provider.enqueue(Reply("Hello there", fault=Disconnect(after=1)))
    with pytest.raises((httpx2.RemoteProtocolError, anthropic.APIConnectionError)):
        list(create(fake_provider, stream=True))


def test_async_stream_and_stall_timeout() -> None:
    async def scenario(server: FakeProviderServer) -> None:
        sdk = anthropic.AsyncAnthropic(base_url=server.anthropic_base_url, api_key="k", max_retries=0)
        server.enqueue(Reply("async hello"))
        async with sdk.messages.stream(model=MODEL, max_tokens=8, messages=USER) as stream:
            message = await stream.get_final_message()
        assert message.content[0].text == "async hello"

        server.enqueue(Reply("Hello there", fault=Stall(after=0)))
        start = time.monotonic()
        # 2.13 does not wrap it in APITimeoutError mid-stream; 2.17 does
        with pytest.raises((httpx2.ReadTimeout, anthropic.APITimeoutError)):
            stream = await sdk.with_options(timeout=httpx2.Timeout(5.0, read=0.3)).messages.create(
                model=MODEL, max_tokens=8, messages=USER, stream=True
            )
            async for _ in stream:
                pass
        assert time.monotonic() - start < 3.0
        await sdk.close()

    with FakeProviderServer() as server:
        asyncio.run(scenario(server))
