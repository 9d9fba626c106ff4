"""The provider-neutral message model.

A conversation is a sequence of :class:`Message`; a message is a role and a tuple of parts.
Backends translate these into their provider's wire format and back. Anything a provider needs
to see again on the next turn (OpenAI reasoning items, Anthropic thinking signatures, Gemini
thought signatures) rides along in ``provider_state``: an opaque mapping the core never reads,
keyed by the backend that wrote it, so that it survives a multi-turn round trip untouched.
"""

from __future__ import annotations

import base64
import mimetypes
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import attrs

__all__ = [
    "MediaKind",
    "MediaPart",
    "Message",
    "Part",
    "ReasoningPart",
    "Role",
    "TextPart",
    "ToolCallPart",
    "ToolResultPart",
]

Role = Literal["system", "user", "assistant", "tool"]
MediaKind = Literal["image", "audio", "video", "file"]

_EMPTY: Mapping[str, Any] = {}


@attrs.frozen(kw_only=True)
class TextPart:
    """Plain text."""

    text: str
    provider_state: Mapping[str, Any] = _EMPTY
    type: Literal["text"] = "text"


@attrs.frozen(kw_only=True)
class MediaPart:
    """An image, audio clip, video or other file: by URL, by local path, or inline bytes."""

    kind: MediaKind
    mime_type: str | None = None
    url: str | None = None
    path: str | None = None
    data: bytes | None = attrs.field(default=None, repr=False)
    provider_state: Mapping[str, Any] = _EMPTY
    type: Literal["media"] = "media"

    @classmethod
    def from_path(cls, path: str | Path, kind: MediaKind | None = None) -> MediaPart:
        """Build a part from a local file, guessing kind and MIME type from its name."""
        p = Path(path)
        mime = mimetypes.guess_type(p.name)[0]
        if kind is None:
            major = (mime or "").split("/")[0]
            kind = major if major in ("image", "audio", "video") else "file"  # type: ignore[assignment]
        assert kind is not None
        return cls(kind=kind, mime_type=mime, path=str(p))

    def read_bytes(self) -> bytes:
        """The media's bytes (inline data or the file at ``path``)."""
        if self.data is not None:
            return self.data
        if self.path is not None:
            return Path(self.path).read_bytes()
        raise ValueError("media part has a URL only; it has no local bytes")

    def data_url(self) -> str:
        """``data:<mime>;base64,...`` for providers that take inline media as a URL."""
        if self.url is not None:
            return self.url
        mime = self.mime_type or "application/octet-stream"
        return f"data:{mime};base64,{base64.b64encode(self.read_bytes()).decode('ascii')}"


@attrs.frozen(kw_only=True)
class ReasoningPart:
    """The model's reasoning (or its summary), kept so it can be sent back on the next turn."""

    text: str = ""
    summary: bool = False
    provider_state: Mapping[str, Any] = _EMPTY
    type: Literal["reasoning"] = "reasoning"


@attrs.frozen(kw_only=True)
class ToolCallPart:
    """A call the model asked for: ``arguments`` is the parsed JSON object."""

    id: str
    name: str
    arguments: Mapping[str, Any] = _EMPTY
    provider_state: Mapping[str, Any] = _EMPTY
    type: Literal["tool_call"] = "tool_call"


@attrs.frozen(kw_only=True)
class ToolResultPart:
    """The result of a tool call, sent back to the model."""

    call_id: str
    name: str
    content: str
    is_error: bool = False
    provider_state: Mapping[str, Any] = _EMPTY
    type: Literal["tool_result"] = "tool_result"


Part = TextPart | MediaPart | ReasoningPart | ToolCallPart | ToolResultPart


def _as_parts(value: Iterable[Part]) -> tuple[Part, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class Message:
    """One turn of a conversation."""

    role: Role
    parts: tuple[Part, ...] = attrs.field(default=(), converter=_as_parts)
    provider_state: Mapping[str, Any] = _EMPTY

    # -- constructors -------------------------------------------------------------------------
    @classmethod
    def system(cls, text: str) -> Message:
        return cls(role="system", parts=(TextPart(text=text),))

    @classmethod
    def user(cls, text: str, *media: MediaPart) -> Message:
        return cls(role="user", parts=(TextPart(text=text), *media))

    @classmethod
    def assistant(cls, text: str) -> Message:
        return cls(role="assistant", parts=(TextPart(text=text),))

    @classmethod
    def tool_results(cls, results: Iterable[ToolResultPart]) -> Message:
        return cls(role="tool", parts=tuple(results))

    # -- views --------------------------------------------------------------------------------
    @property
    def text(self) -> str:
        """All text parts joined."""
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))

    @property
    def tool_calls(self) -> tuple[ToolCallPart, ...]:
        return tuple(p for p in self.parts if isinstance(p, ToolCallPart))

    @property
    def tool_results_parts(self) -> tuple[ToolResultPart, ...]:
        return tuple(p for p in self.parts if isinstance(p, ToolResultPart))

    @property
    def media(self) -> tuple[MediaPart, ...]:
        return tuple(p for p in self.parts if isinstance(p, MediaPart))

    @property
    def reasoning(self) -> tuple[ReasoningPart, ...]:
        return tuple(p for p in self.parts if isinstance(p, ReasoningPart))
