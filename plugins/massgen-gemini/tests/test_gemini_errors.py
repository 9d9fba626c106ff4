"""Gemini's failures as MassGen's errors, through google-genai against the fake provider."""

from __future__ import annotations

import socket

import pytest
from gemini_testkit import answer, anyio_backend, build, collect, fake, of_type, request  # noqa: F401
from massgen_core.plugin import (
    AuthenticationError,
    BackendError,
    ChatRequest,
    ConnectionFailedError,
    InvalidRequestError,
    MediaPart,
    Message,
    ModelNotFoundError,
    ProviderServerError,
    RateLimitError,
    TextDelta,
)
from massgen_core.testing.fake_provider import (
    Disconnect,
    FakeProviderServer,
    HttpError,
    Reply,
    StreamError,
)

pytestmark = pytest.mark.anyio


def quota_error(delay: str) -> HttpError:
    """Gemini's 429: the wait is in a RetryInfo detail, with no Retry-After header."""
    body = {
        "error": {
            "code": 429,
            "message": "You exceeded your current quota, please check your plan and billing details.",
            "status": "RESOURCE_EXHAUSTED",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                    "violations": [{"quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"}],
                },
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay},
            ],
        }
    }
    return HttpError(429, body=body)


async def failure(server: FakeProviderServer, **options: object) -> tuple[BackendError, list[object]]:
    events: list[object] = []
    backend = build(base_url=server.gemini_base_url, **options)
    try:
        with pytest.raises(BackendError) as caught:
            async for event in backend.stream(request("hi")):
                events.append(event)
    finally:
        await backend.aclose()
    return caught.value, events


async def test_resource_exhausted_carries_the_retry_delay_of_its_retry_info(fake: FakeProviderServer) -> None:
    fake.enqueue(quota_error("17s"))
    error, _ = await failure(fake)
    assert isinstance(error, RateLimitError) and error.retryable
    assert error.retry_after == 17.0 and error.status_code == 429
    assert "RESOURCE_EXHAUSTED" in str(error) and "exceeded your current quota" in str(error)


async def test_a_proxy_retry_after_header_is_used_without_retry_info(fake: FakeProviderServer) -> None:
    body = {"error": {"code": 429, "message": "Slow down.", "status": "RESOURCE_EXHAUSTED"}}
    fake.enqueue(HttpError(429, body=body, headers={"retry-after": "3"}))
    error, _ = await failure(fake)
    assert isinstance(error, RateLimitError) and error.retry_after == 3.0


async def test_a_rejected_key_is_an_authentication_error_naming_the_env_vars() -> None:
    with FakeProviderServer(api_key="the-right-key") as server:
        error, _ = await failure(server, api_key="AIza-wrong-key-0123456789")
    assert isinstance(error, AuthenticationError) and not error.retryable
    assert error.status_code == 400  # Gemini answers a bad key with 400 INVALID_ARGUMENT
    assert "GOOGLE_API_KEY or GEMINI_API_KEY" in str(error) and "API key not valid" in str(error)
    assert "AIza-wrong-key-0123456789" not in str(error)


async def test_the_key_never_appears_in_an_error(fake: FakeProviderServer) -> None:
    key = "AIza-secret-9876543210"
    fake.enqueue(HttpError(400, message=f"Invalid request from key {key}"))
    error, _ = await failure(fake, api_key=key)
    assert key not in str(error) and key not in (error.provider_message or "")
    assert "***" in str(error)


@pytest.mark.parametrize("status", [500, 503, 504])
async def test_server_errors_are_retryable(fake: FakeProviderServer, status: int) -> None:
    fake.enqueue(HttpError(status))
    error, _ = await failure(fake)
    assert isinstance(error, ProviderServerError) and error.retryable and error.status_code == status


async def test_an_unknown_model_lists_the_known_ones(fake: FakeProviderServer) -> None:
    fake.enqueue(HttpError(404))
    error, _ = await failure(fake, model="gemini-9-ultra")
    assert isinstance(error, ModelNotFoundError)
    assert "'gemini-9-ultra' not found" in str(error) and "gemini-2.5-pro" in str(error)


async def test_an_error_inside_the_stream_is_raised_after_the_text_so_far(fake: FakeProviderServer) -> None:
    fake.enqueue(Reply("Hello there, friend", fault=StreamError(after=1)))
    error, events = await failure(fake)
    assert [e.text for e in of_type(events, TextDelta)] == ["Hello t"]
    assert isinstance(error, ProviderServerError) and "UNAVAILABLE" in str(error)


async def test_a_dropped_connection_is_a_broken_stream(fake: FakeProviderServer) -> None:
    fake.enqueue(Reply("Hello there, friend", fault=Disconnect(after=1)))
    error, events = await failure(fake)
    assert of_type(events, TextDelta) and error.retryable
    assert "broke off before it finished" in str(error)


async def test_a_stream_that_ends_without_a_finish_reason_is_not_a_silent_truncation(
    fake: FakeProviderServer,
) -> None:
    unfinished = {"candidates": [{"content": {"role": "model", "parts": [{"text": " and"}]}, "index": 0}]}
    fake.enqueue(Reply("Hello there", fault=StreamError(after=1, body=unfinished)))
    error, events = await failure(fake)
    assert "".join(e.text for e in of_type(events, TextDelta)) == "Hell and"
    assert "no finish reason" in str(error)


async def test_a_server_that_is_not_there_gets_the_check_to_run() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = build(base_url=f"http://127.0.0.1:{port}/v1beta")  # a version suffix is understood
    with pytest.raises(ConnectionFailedError) as caught:
        await collect(backend.stream(request("hi")))
    await backend.aclose()
    message = str(caught.value)
    assert f"curl -H 'x-goog-api-key: $GOOGLE_API_KEY' http://127.0.0.1:{port}/v1beta/models" in message
    assert "/v1 suffix" not in message  # the OpenAI-compatible hint does not apply to Gemini


async def test_media_without_a_mime_type_is_a_clear_error(fake: FakeProviderServer) -> None:
    backend = build(base_url=fake.gemini_base_url)
    blob = MediaPart(kind="image", data=b"????")
    with pytest.raises(InvalidRequestError, match="no MIME type; give mime_type"):
        await collect(backend.stream(ChatRequest(messages=[Message.user("what is it?", blob)])))
    await backend.aclose()
    assert not fake.model_calls()
