"""Server-sent events, JSON and id helpers shared by the wire-format renderers."""

from __future__ import annotations

import enum
import json
import secrets
from typing import Any

from attrs import frozen


class EventRole(enum.Enum):
    """Where an event sits in a stream; the server uses it to place faults and per-chunk delays."""

    FRAME = "frame"  # opening / structural events (message_start, output_item.added, role chunk ...)
    DELTA = "delta"  # a content delta: text, reasoning, tool arguments, code
    FINAL = "final"  # closing events (finish chunk, message_delta, response.completed, [DONE])


@frozen
class SseEvent:
    """One server-sent event: an optional ``event:`` line and one ``data:`` line."""

    data: str
    event: str | None = None
    role: EventRole = EventRole.FRAME

    def encode(self) -> bytes:
        head = f"event: {self.event}\n" if self.event is not None else ""
        return f"{head}data: {self.data}\n\n".encode()


def compact_json(value: Any) -> str:
    """JSON as OpenAI and Anthropic send it: one line, no spaces."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def spaced_json(value: Any) -> str:
    """JSON as Gemini sends it: one line, ``", "`` and ``": "`` separators."""
    return json.dumps(value, ensure_ascii=False)


def new_id(prefix: str, length: int = 24) -> str:
    """A random id like real ones: ``prefix`` + ``length`` alphanumeric-ish characters."""
    return prefix + secrets.token_hex(length)[:length]


def estimate_tokens(text: str) -> int:
    """A rough token count (4 characters per token, at least 1)."""
    return max(1, len(text) // 4)
