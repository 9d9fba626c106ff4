"""Requests as the fake server saw them, for assertions and for responders."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from attrs import field, frozen


class WireFormat(enum.Enum):
    """The API a request was made to."""

    OPENAI_CHAT = "openai_chat"
    OPENAI_RESPONSES = "openai_responses"
    ANTHROPIC_MESSAGES = "anthropic_messages"
    GEMINI = "gemini"


@frozen
class RecordedRequest:
    """One HTTP request received by the server.

    ``headers`` has lower-cased names; ``query`` maps each name to its last value; ``body`` is the
    parsed JSON body (None when absent or not JSON). ``wire_format``/``model``/``stream`` are None/False
    for requests that are not model calls (e.g. ``GET /v1/models``). ``client_port``: the port of
    the client's end of the connection, which tells connections apart.
    """

    method: str
    path: str
    query: Mapping[str, str] = field(factory=dict)
    headers: Mapping[str, str] = field(factory=dict)
    body: Any = None
    raw_body: bytes = b""
    wire_format: WireFormat | None = None
    model: str | None = None
    stream: bool = False
    client_port: int = 0

    @property
    def json(self) -> dict[str, Any]:
        """The JSON body as a dict (empty when the body is not a JSON object)."""
        return self.body if isinstance(self.body, dict) else {}

    @property
    def last_user_text(self) -> str | None:
        """Text of the last user message, whatever the format (None when there is none)."""
        body = self.json
        if self.wire_format is WireFormat.OPENAI_RESPONSES:
            items = body.get("input")
            if isinstance(items, str):
                return items
            messages = items if isinstance(items, list) else []
        elif self.wire_format is WireFormat.GEMINI:
            messages = body.get("contents") or []
        else:
            messages = body.get("messages") or []
        for message in reversed(messages):
            if not isinstance(message, dict) or message.get("role", "user") != "user":
                continue
            text = _message_text(message)
            if text is not None:
                return text
        return None

    @property
    def tool_names(self) -> tuple[str, ...]:
        """Names of the function tools offered in the request."""
        names: list[str] = []
        for tool in self.json.get("tools") or []:
            if not isinstance(tool, dict):
                continue
            if isinstance(tool.get("function"), dict):
                names.append(str(tool["function"].get("name")))
            elif "functionDeclarations" in tool or "function_declarations" in tool:
                decls = tool.get("functionDeclarations") or tool.get("function_declarations") or []
                names.extend(str(d.get("name")) for d in decls if isinstance(d, dict))
            elif "name" in tool:
                names.append(str(tool["name"]))
        return tuple(names)


def _message_text(message: Mapping[str, Any]) -> str | None:
    content = message.get("content", message.get("parts"))
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return None
    texts = [
        str(part["text"])
        for part in content
        if isinstance(part, dict)
        and isinstance(part.get("text"), str)
        and part.get("type", "text") in ("text", "input_text")
    ]
    return "".join(texts) if texts else None


@frozen
class ReplyTiming:
    """When the server answered one model call, on ``time.monotonic()`` (the machine's clock, the
    same in every process): the request ``arrived``, the reply was ``due`` (``arrived`` + the
    reply's ``delay``, and its ``stream_time``), its last byte was ``finished``. ``finished - due``
    is the server's own lateness: what its load, not the scripted latency, added."""

    model: str | None
    arrived: float
    due: float
    finished: float

    @property
    def late(self) -> float:
        return max(0.0, self.finished - self.due)
