"""Which API a request path belongs to, the renderer for it, and the model-list answers."""

from __future__ import annotations

import re
from collections.abc import Sequence

from attrs import frozen

from .anthropic_messages import AnthropicMessagesRenderer
from .gemini import GeminiRenderer
from .openai_chat import OpenAIChatRenderer
from .openai_responses import OpenAIResponsesRenderer
from .recording import RecordedRequest, WireFormat
from .rendering import JsonObject, WireRenderer, unix_time
from .script import Reply

_GEMINI_PATH = re.compile(
    r"^/(v1|v1beta|v1alpha)/models/(?P<model>[^:/]+):(?P<method>streamGenerateContent|generateContent)$"
)
_POST_ROUTES = {
    "/v1/chat/completions": WireFormat.OPENAI_CHAT,
    "/v1/responses": WireFormat.OPENAI_RESPONSES,
    "/v1/messages": WireFormat.ANTHROPIC_MESSAGES,
}
_MODEL_LISTS = ("/v1/models", "/v1beta/models", "/v1alpha/models")


@frozen
class Route:
    """A model call: its wire format, and for Gemini the model and whether the method streams."""

    wire_format: WireFormat
    gemini_model: str | None = None
    gemini_stream: bool = False


#: Azure OpenAI serves the same APIs under ``/openai/v1/`` (its v1 API) and
#: ``/openai/deployments/{name}/`` (its deployment API)
_AZURE_PREFIX = re.compile(r"^/openai/(?:v1/|deployments/[^/]+/)")


def route_post(path: str) -> Route | None:
    """The model API a ``POST`` to ``path`` (without query string) is for, or None."""
    path = _AZURE_PREFIX.sub("/v1/", path)
    wire_format = _POST_ROUTES.get(path.rstrip("/"))
    if wire_format is not None:
        return Route(wire_format)
    match = _GEMINI_PATH.match(path)
    if match is None:
        return None
    stream = match["method"] == "streamGenerateContent"
    return Route(WireFormat.GEMINI, gemini_model=match["model"], gemini_stream=stream)


def is_model_list(path: str) -> bool:
    return path.rstrip("/") in _MODEL_LISTS


def model_in_path(path: str) -> str | None:
    """The model id of ``GET /v1/models/{id}``, else None."""
    prefix = "/v1/models/"
    rest = path[len(prefix) :].rstrip("/") if path.startswith(prefix) else ""
    return rest or None


def renderer_for(wire_format: WireFormat, reply: Reply, request: RecordedRequest) -> WireRenderer:
    if wire_format is WireFormat.OPENAI_CHAT:
        return OpenAIChatRenderer(reply, request)
    if wire_format is WireFormat.OPENAI_RESPONSES:
        return OpenAIResponsesRenderer(reply, request)
    if wire_format is WireFormat.ANTHROPIC_MESSAGES:
        return AnthropicMessagesRenderer(reply, request)
    return GeminiRenderer(reply, request)


def model_entry(request: RecordedRequest, model: str) -> JsonObject:
    """One model as ``GET /v1/models/{id}`` returns it (Anthropic shape with ``anthropic-version``)."""
    if "anthropic-version" in request.headers:
        return {"type": "model", "id": model, "display_name": model, "created_at": "2026-01-01T00:00:00Z"}
    return {"id": model, "object": "model", "created": unix_time(), "owned_by": "fake-provider"}


def model_list_body(request: RecordedRequest, models: Sequence[str]) -> JsonObject:
    """``GET /v1/models`` as OpenAI answers it, as Anthropic does when ``anthropic-version`` is sent,
    and ``GET /v1beta/models`` as Gemini does."""
    if request.path.startswith(("/v1beta", "/v1alpha")):
        methods = ["generateContent", "countTokens", "streamGenerateContent"]
        entries = [
            {"name": f"models/{m}", "version": "001", "displayName": m, "supportedGenerationMethods": methods}
            for m in models
        ]
        return {"models": entries}
    data = [model_entry(request, m) for m in models]
    if "anthropic-version" in request.headers:
        first, last = (models[0], models[-1]) if models else (None, None)
        return {"data": data, "has_more": False, "first_id": first, "last_id": last}
    return {"object": "list", "data": data}
