"""Normalised provider errors carry the troubleshooting hints from the docs."""

from __future__ import annotations

import pytest

from massgen_core.plugin.errors import (
    AuthenticationError,
    ContextTooLongError,
    EndpointNotFoundError,
    InvalidRequestError,
    ModelNotFoundError,
    ProviderServerError,
    RateLimitError,
)
from massgen_core.plugin.provider_errors import (
    connection_failed,
    map_http_error,
    missing_api_key,
    parse_retry_after,
)


def test_authentication_names_the_env_var() -> None:
    error = map_http_error(
        401, "Incorrect API key provided", backend="openai", api_key_env=["OPENAI_API_KEY"]
    )
    assert isinstance(error, AuthenticationError)
    assert "OPENAI_API_KEY" in str(error) and error.kind == "authentication" and not error.retryable


def test_gemini_style_bad_key_400_is_authentication() -> None:
    error = map_http_error(400, "API key not valid. Please pass a valid API key.", backend="gemini")
    assert isinstance(error, AuthenticationError)


def test_model_not_found_lists_known_models() -> None:
    error = map_http_error(
        404, "The model does not exist", backend="openai", model="gpt-6", known_models=["gpt-5", "gpt-4o"]
    )
    assert isinstance(error, ModelNotFoundError)
    assert "'gpt-6'" in str(error) and "gpt-5, gpt-4o" in str(error)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"Retry-After-Ms": "250"}, 0.25),
        ({}, None),
        ({"retry-after": "soon"}, None),
    ],
)
def test_rate_limit_carries_retry_after(headers: dict[str, str], expected: float | None) -> None:
    error = map_http_error(429, "slow down", backend="claude", headers=headers)
    assert isinstance(error, RateLimitError) and error.retryable and error.retry_after == expected


def test_retry_after_http_date() -> None:
    wait = parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert wait == 0.0  # in the past: retry at once


@pytest.mark.parametrize(
    ("status", "message", "cls"),
    [
        (400, "This model's maximum context length is 8192 tokens", ContextTooLongError),
        (413, "request_too_large", ContextTooLongError),
        (400, "Invalid value for temperature", InvalidRequestError),
        (500, "server error", ProviderServerError),
        (529, "Overloaded", ProviderServerError),
    ],
)
def test_status_mapping(status: int, message: str, cls: type) -> None:
    assert type(map_http_error(status, message, backend="x")) is cls


def test_connection_refused_to_a_local_server_explains_the_checks() -> None:
    error = connection_failed(
        backend="lmstudio",
        base_url="http://localhost:1234",
        detail="connection refused",
        check_url="http://localhost:1234/models",
        hints=["the base_url has no /v1 suffix"],
    )
    text = str(error)
    assert "curl http://localhost:1234/models" in text
    assert "port (1234)" in text
    assert "no /v1 suffix" in text
    assert error.retryable


def test_connection_hints_come_from_the_backend_not_from_openai() -> None:
    """Issue #11 defect 3: without hints from the backend, no OpenAI-only advice."""
    remote = str(connection_failed(backend="acme", base_url="https://api.acme.example/api", detail="refused"))
    assert "curl" not in remote and "/v1" not in remote and "/models" not in remote
    assert "acme: cannot connect to https://api.acme.example/api (refused)" in remote
    assert "check the base_url" in remote

    local = str(connection_failed(backend="acme", base_url="http://127.0.0.1:9000"))
    assert "port (9000)" in local and "curl" not in local and "/v1" not in local


def test_a_404_for_the_url_is_not_blamed_on_the_model() -> None:
    """Issue #18 item 9: a 404 from a base_url without /v1 says to check the base_url."""
    error = map_http_error(
        404,
        "Unknown request URL: POST /chat/completions.",
        backend="chatcompletion",
        model="gpt-5",
        code="unknown_url",
        base_url="http://127.0.0.1:8000",
        endpoint_hints=["the base_url has no /v1 suffix"],
    )
    assert isinstance(error, EndpointNotFoundError) and not error.retryable
    assert error.kind == "endpoint_not_found"
    text = str(error)
    assert "check the base_url" in text and "no /v1 suffix" in text and "'gpt-5' not found" not in text

    bare = map_http_error(404, "Not Found", backend="acme", model="m1", base_url="https://acme.example")
    assert isinstance(bare, EndpointNotFoundError)

    model = map_http_error(
        404, "The model `m1` does not exist", backend="acme", model="m1", base_url="https://acme.example"
    )
    assert isinstance(model, ModelNotFoundError) and not isinstance(model, EndpointNotFoundError)


def test_missing_api_key_says_where_to_put_it() -> None:
    text = str(missing_api_key("claude", ["ANTHROPIC_API_KEY"]))
    assert "ANTHROPIC_API_KEY" in text and ".env" in text
