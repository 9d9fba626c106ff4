"""A loopback fake of the OpenAI, Anthropic and Gemini HTTP APIs, for testing backends through the real SDKs.

    from massgen_core.testing.fake_provider import FakeProviderServer, Reply, ToolCall

    with FakeProviderServer() as server:
        server.enqueue(Reply("Hello!", tool_calls=[ToolCall("get_weather", {"city": "Paris"})]))
        client = openai.OpenAI(base_url=server.openai_base_url, api_key="test-key")
        ...
        assert server.last_request.json["model"] == "gpt-4o"

Only the standard library and attrs are used; no provider SDK is imported.
"""

from .recording import RecordedRequest, ReplyTiming, WireFormat
from .script import (
    Citation,
    CodeExecution,
    Disconnect,
    Fault,
    HttpError,
    Malformed,
    Reasoning,
    Reply,
    Scripted,
    SearchResult,
    Stall,
    StopReason,
    StreamError,
    ToolCall,
    Usage,
    WebSearch,
    split_text,
)
from .server import DEFAULT_MODELS, FakeProviderServer, Responder, echo_reply

__all__ = [
    "DEFAULT_MODELS",
    "Citation",
    "CodeExecution",
    "Disconnect",
    "FakeProviderServer",
    "Fault",
    "HttpError",
    "Malformed",
    "Reasoning",
    "RecordedRequest",
    "Reply",
    "ReplyTiming",
    "Responder",
    "Scripted",
    "SearchResult",
    "Stall",
    "StopReason",
    "StreamError",
    "ToolCall",
    "Usage",
    "WebSearch",
    "WireFormat",
    "echo_reply",
    "split_text",
]
