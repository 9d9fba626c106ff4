"""OpenAI error bodies and headers (shared by Chat Completions and Responses)."""

from __future__ import annotations

from typing import Any

from .recording import RecordedRequest
from .rendering import ErrorResponse, api_key_of, mask_key
from .script import HttpError
from .sse import new_id

# status -> (error.type, error.code, message template)
_DEFAULTS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Invalid request: the request body could not be processed."),
    401: (
        "invalid_request_error",
        "invalid_api_key",
        "Incorrect API key provided: {key}. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
    ),
    403: (
        "request_forbidden",
        "unsupported_country_region_territory",
        "Country, region, or territory not supported",
    ),
    404: (
        "invalid_request_error",
        "model_not_found",
        "The model `{model}` does not exist or you do not have access to it.",
    ),
    413: ("invalid_request_error", None, "Request too large."),
    429: (
        "requests",
        "rate_limit_exceeded",
        "Rate limit reached for {model} in organization org-fake on requests per min (RPM): Limit 3, Used 3, "
        "Requested 1. Please try again in 20s. "
        "Visit https://platform.openai.com/account/rate-limits to learn more.",
    ),
    500: ("server_error", None, "The server had an error while processing your request. Sorry about that!"),
    503: ("server_error", None, "The engine is currently overloaded, please try again later"),
    504: ("server_error", None, "Gateway timeout."),
    529: ("server_error", None, "The engine is currently overloaded, please try again later"),
}


def openai_error_object(
    status: int,
    request: RecordedRequest,
    *,
    message: str | None = None,
    error_type: str | None = None,
    code: str | None = None,
) -> dict[str, Any]:
    """The ``error`` object OpenAI sends for ``status``."""
    fallback = ("server_error" if status >= 500 else "invalid_request_error", None, f"Error {status}.")
    default_type, default_code, template = _DEFAULTS.get(status, fallback)
    text = message or template.format(key=mask_key(api_key_of(request)), model=request.model or "unknown")
    return {"message": text, "type": error_type or default_type, "param": None, "code": code or default_code}


def openai_error_response(error: HttpError, request: RecordedRequest) -> ErrorResponse:
    """A full OpenAI HTTP error answer: body, ``x-request-id`` and rate-limit headers on 429."""
    status = 401 if error.invalid_api_key else error.status
    headers = {"x-request-id": new_id("req_", 32)}
    if status == 429:
        headers |= {
            "x-ratelimit-limit-requests": "3",
            "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-reset-requests": "20s",
        }
    headers |= error.headers
    if error.body is not None:
        return ErrorResponse(status, dict(error.body), headers)
    body = {
        "error": openai_error_object(
            status, request, message=error.message, error_type=error.error_type, code=error.code
        )
    }
    return ErrorResponse(status, body, headers)
