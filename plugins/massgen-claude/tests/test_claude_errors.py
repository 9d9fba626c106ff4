"""Failures of the ``claude`` backend through the anthropic SDK against the fake provider: each gives
the right MassGen error (and the core's retry loop handles the retryable ones), never a truncated answer."""

from __future__ import annotations

import socket
import time

import pytest
from claude_testkit import FAST, anyio_backend, build, claude, collect, fake, of_type, request  # noqa: F401  (fixtures)
from massgen_core.plugin import (
    AuthenticationError,
    BackendError,
    ConnectionFailedError,
    ContextTooLongError,
    Done,
    ModelNotFoundError,
    ProviderServerError,
    RateLimitError,
    StreamError,
    TextDelta,
)
from massgen_core.testing.backends import resilient
from massgen_core.testing.fake_provider import Disconnect, FakeProviderServer, HttpError, Reply
from massgen_core.testing.fake_provider import StreamError as ScriptedStreamError

pytestmark = pytest.mark.anyio

SECRET = "sk-ant-api03-very-secret-key"


async def test_401_names_the_env_var_and_never_the_key(fake: FakeProviderServer) -> None:
    fake.enqueue(HttpError.bad_api_key())
    backend = claude(fake, api_key=SECRET)
    with pytest.raises(AuthenticationError, match="ANTHROPIC_API_KEY") as caught:
        await collect(backend.stream(request("hi")))
    await backend.aclose()
    assert caught.value.status_code == 401 and not caught.value.retryable
    assert SECRET not in str(caught.value) and SECRET not in repr(caught.value.__dict__)
    assert fake.last_request.headers.get(
        "x-api-key", fake.last_request.headers.get("authorization", "")
    ).endswith(SECRET)


async def test_404_lists_the_known_models(fake: FakeProviderServer) -> None:
    fake.enqueue(HttpError(404))
    backend = claude(fake, model="claude-nonexistent-9")
    with pytest.raises(ModelNotFoundError, match="claude-sonnet-5-5") as caught:
        await collect(backend.stream(request("hi")))
    await backend.aclose()
    assert "claude-nonexistent-9" in str(caught.value)


async def test_429_carries_retry_after(fake: FakeProviderServer) -> None:
    fake.enqueue(HttpError.rate_limited(retry_after=7))
    backend = claude(fake)
    with pytest.raises(RateLimitError) as caught:
        await collect(backend.stream(request("hi")))
    await backend.aclose()
    assert caught.value.retry_after == 7 and caught.value.retryable
    assert len(fake.model_calls()) == 1  # the SDK's own retries are off


async def test_429_retry_after_is_honoured_by_the_core_retry_loop(fake: FakeProviderServer) -> None:
    fake.enqueue(HttpError.rate_limited(retry_after=0.4), Reply("finally"))
    backend = claude(fake)
    started = time.monotonic()
    events = await collect(resilient(backend, request("hi"), timeouts=FAST, name="claude"))
    await backend.aclose()
    assert isinstance(events[-1], Done) and events[-1].message.text == "finally"
    assert time.monotonic() - started >= 0.4
    assert len(fake.model_calls()) == 2


async def test_529_overloaded_is_retried_by_the_core(fake: FakeProviderServer) -> None:
    fake.enqueue(HttpError(529), Reply("after the overload"))
    backend = claude(fake)
    with pytest.raises(ProviderServerError, match="529") as caught:
        await collect(backend.stream(request("hi")))
    assert caught.value.retryable and caught.value.status_code == 529
    fake.enqueue(HttpError(529))
    events = await collect(resilient(backend, request("hi"), timeouts=FAST, max_attempts=3))
    await backend.aclose()
    assert isinstance(events[-1], Done) and events[-1].message.text == "after the overload"


async def test_5xx_is_a_retryable_server_error(fake: FakeProviderServer) -> None:
    fake.enqueue(HttpError(500), HttpError(503), HttpError(500))
    backend = claude(fake)
    events = await collect(resilient(backend, request("hi"), timeouts=FAST, max_attempts=3))
    await backend.aclose()
    assert isinstance(events[-1], StreamError) and isinstance(events[-1].error, ProviderServerError)
    assert events[-1].error.retryable
    assert len(fake.model_calls()) == 3


async def test_413_is_too_long(fake: FakeProviderServer) -> None:
    fake.enqueue(HttpError(413))
    backend = claude(fake)
    with pytest.raises(ContextTooLongError):
        await collect(backend.stream(request("hi")))
    await backend.aclose()


async def test_error_event_inside_a_200_stream_is_raised_not_truncated(fake: FakeProviderServer) -> None:
    fake.enqueue(Reply("Partial answer that breaks", text_chunks=4, fault=ScriptedStreamError(after=1)))
    backend = claude(fake)
    seen: list[object] = []
    with pytest.raises(ProviderServerError, match="Overloaded") as caught:
        async for event in backend.stream(request("hi")):
            seen.append(event)
    await backend.aclose()
    assert of_type(seen, TextDelta) and not of_type(seen, Done)
    assert caught.value.status_code == 529 and caught.value.retryable


async def test_rate_limit_error_event_inside_a_200_stream(fake: FakeProviderServer) -> None:
    fake.enqueue(Reply("x y z", fault=ScriptedStreamError(after=0, status=429, message="slow down")))
    backend = claude(fake)
    events = await collect(resilient(backend, request("hi"), timeouts=FAST, max_attempts=1))
    await backend.aclose()
    assert isinstance(events[-1], StreamError) and isinstance(events[-1].error, RateLimitError)
    assert "slow down" in str(events[-1].error)


async def test_dropped_stream_is_an_error(fake: FakeProviderServer) -> None:
    fake.enqueue(Reply("a b c d", text_chunks=4, fault=Disconnect(after=2)))
    backend = claude(fake)
    with pytest.raises(BackendError) as caught:
        await collect(backend.stream(request("hi")))
    await backend.aclose()
    assert "broke" in str(caught.value) or "incomplete" in str(caught.value)
    assert caught.value.retryable


async def test_connection_refused_says_how_to_check(fake: FakeProviderServer) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    backend = build("claude", model="claude-sonnet-4-6", api_key=SECRET, base_url=f"http://127.0.0.1:{port}")
    with pytest.raises(ConnectionFailedError, match=rf"127.0.0.1:{port}") as caught:
        await collect(backend.stream(request("hi")))
    await backend.aclose()
    assert caught.value.retryable and SECRET not in str(caught.value)
    assert f"curl http://127.0.0.1:{port}/v1/models" in str(caught.value) and "OpenAI" not in str(
        caught.value
    )


async def test_a_base_url_with_v1_is_a_wrong_address_not_a_missing_model(fake: FakeProviderServer) -> None:
    backend = build(
        "claude", model="claude-sonnet-4-6", api_key="k", base_url=f"{fake.anthropic_base_url}/v1"
    )
    with pytest.raises(ConnectionFailedError, match="404") as caught:  # the core's EndpointNotFoundError
        await collect(backend.stream(request("hi")))
    await backend.aclose()
    assert not caught.value.retryable
    assert fake.last_request.path == "/v1/v1/messages"
    assert f"use {fake.anthropic_base_url}" in str(caught.value)
