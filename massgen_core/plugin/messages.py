"""The provider-neutral message model.

A conversation is a sequence of :class:`Message`; a message is a role and a tuple of parts.
Backends translate these into their provider's wire format and back. Anything a provider needs
to see again on the next turn (OpenAI reasoning items, Anthropic thinking signatures, Gemini
thought signatures) rides along in ``provider_state``: an opaque mapping the core never reads,
keyed by the backend that wrote it, so that it survives a multi-turn round trip untouched.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote_to_bytes

import attrs

from .errors import InvalidRequestError
from .media_types import INLINE_TEXT_LIMIT, SNIFF_BYTES, guess_mime, kind_of_mime

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
    "is_url",
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
    """An image, audio clip, video or other file: by URL, by local path, or inline bytes.

    The helpers below are the one place backends read, type and encode media: :meth:`read_bytes`
    (inline data, the file, or a ``data:`` URL decoded), :attr:`media_type` (the given MIME type,
    else sniffed from the bytes, else guessed from the name), :meth:`base64`, :attr:`is_remote`,
    :attr:`filename`, :meth:`text` and :meth:`error`.
    """

    kind: MediaKind
    mime_type: str | None = None
    url: str | None = None
    path: str | None = None
    data: bytes | None = attrs.field(default=None, repr=False)
    provider_state: Mapping[str, Any] = _EMPTY
    type: Literal["media"] = "media"

    @classmethod
    def from_path(cls, path: str | Path, kind: MediaKind | None = None) -> MediaPart:
        """Build a part from a local file: its type from its first bytes (else its name).

        :raises OSError: the file cannot be read.
        """
        p = Path(path)
        with p.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
        mime = guess_mime(p.name, head)
        return cls(kind=kind or kind_of_mime(mime), mime_type=mime, path=str(p))

    @classmethod
    def from_url(cls, url: str, kind: MediaKind | None = None) -> MediaPart:
        """Build a part from a URL (``http(s)://``, ``gs://``, ``data:``): its type from the
        ``data:`` header or the URL's file name."""
        if url.startswith("data:"):
            mime: str | None = url[5:].split(",", 1)[0].split(";", 1)[0] or None
        else:
            mime = guess_mime(url.rsplit("/", 1)[-1])
        return cls(kind=kind or kind_of_mime(mime), mime_type=mime, url=url)

    @classmethod
    def from_source(
        cls, source: str | Path, kind: MediaKind | None = None, *, base_dir: str | Path | None = None
    ) -> MediaPart:
        """A part from a URL or a local path (a relative path is taken from ``base_dir``)."""
        if isinstance(source, str) and is_url(source):
            return cls.from_url(source, kind)
        p = Path(source).expanduser()
        if base_dir is not None and not p.is_absolute():
            p = Path(base_dir) / p
        return cls.from_path(p, kind)

    @property
    def is_remote(self) -> bool:
        """Whether the provider must fetch the part from its URL (no local bytes, not ``data:``)."""
        return self.data is None and self.path is None and bool(self.url) and not self.url_is_data

    @property
    def url_is_data(self) -> bool:
        return bool(self.url) and str(self.url).startswith("data:")

    @property
    def filename(self) -> str:
        """A file name for the part (the path's or the URL's last segment; else ``<kind>``)."""
        if self.path:
            return Path(self.path).name
        if self.url and not self.url_is_data:
            name = self.url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
            if name:
                return name
        return self.kind

    @property
    def media_type(self) -> str | None:
        """The MIME type: as given, else from a ``data:`` URL's header, else sniffed from the
        local bytes, else guessed from the name. ``None`` when nothing tells."""
        if self.mime_type:
            return self.mime_type.lower()
        if self.url_is_data:
            header = str(self.url)[5:].split(",", 1)[0].split(";", 1)[0]
            if header:
                return header.lower()
        head: bytes | None = None
        if self.data is not None:
            head = self.data[:SNIFF_BYTES]
        elif self.path is not None:
            try:
                with open(self.path, "rb") as handle:
                    head = handle.read(SNIFF_BYTES)
            except OSError:
                head = None
        name = self.path or (self.url if not self.url_is_data else None)
        mime = guess_mime(name, head, text=self.kind == "file")  # an image is never "text/plain"
        return mime.lower() if mime else None

    def read_bytes(self) -> bytes:
        """The media's bytes: inline data, the file at ``path``, or a ``data:`` URL decoded.

        :raises OSError: the file cannot be read.
        :raises ValueError: the part has a remote URL only, or a ``data:`` URL that is not valid.
        """
        if self.data is not None:
            return self.data
        if self.path is not None:
            return Path(self.path).read_bytes()
        if self.url_is_data:
            header, _, payload = str(self.url).partition(",")
            if not header.endswith(";base64"):
                return unquote_to_bytes(payload)
            try:
                return base64.b64decode(payload, validate=True)
            except binascii.Error as exc:
                raise ValueError(f"the data URL is not valid base64: {exc}") from exc
        raise ValueError("media part has a URL only; it has no local bytes")

    def base64(self) -> str:
        """The bytes, base64-encoded (ASCII), as most providers take inline media."""
        return base64.b64encode(self.read_bytes()).decode("ascii")

    def data_url(self) -> str:
        """``data:<mime>;base64,...`` for providers that take inline media as a URL (a remote
        part's own URL)."""
        if self.url is not None and (self.is_remote or self.url_is_data):
            return self.url
        mime = self.media_type or "application/octet-stream"
        return f"data:{mime};base64,{self.base64()}"

    def text(self, limit: int | None = INLINE_TEXT_LIMIT) -> str:
        """A text document's content (UTF-8; undecodable bytes replaced).

        :raises ValueError: it is over ``limit`` bytes (the message names the limit).
        """
        raw = self.read_bytes()
        if limit is not None and len(raw) > limit:
            raise ValueError(
                f"{self.filename} is {len(raw):,} bytes, over the {limit:,}-byte limit for a document "
                "given inline (as text in the question)"
            )
        return raw.decode("utf-8", errors="replace")

    def error(self, backend: str, why: str) -> InvalidRequestError:
        """The error for a part ``backend`` cannot send (never drop it silently)."""
        what = self.path or (self.url if self.url and not self.url_is_data else None) or "(inline data)"
        return InvalidRequestError(f"{backend}: cannot send {self.kind} {what}: {why}", backend=backend)


def is_url(source: str) -> bool:
    """Whether ``source`` is a URL a provider can fetch or read (``http(s)``, ``gs``, ``data``)."""
    return source.startswith(("http://", "https://", "gs://", "data:"))


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
