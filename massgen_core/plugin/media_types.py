"""What a file is, from its first bytes (as simonw/llm does), else from its name.

:func:`sniff_mime` knows the signatures of the common image, audio, video and document formats;
:func:`guess_mime` falls back to the file name (``mimetypes``) and then to "is it UTF-8 text?".
Shared by the core (``upload_files``, ``massgen -a``) and every backend plugin (through
:class:`~massgen_core.plugin.messages.MediaPart`), so a file is typed the same way everywhere.
"""

from __future__ import annotations

import mimetypes
from typing import Literal

__all__ = [
    "INLINE_TEXT_LIMIT",
    "SNIFF_BYTES",
    "guess_mime",
    "is_pdf",
    "is_text_mime",
    "kind_of_mime",
    "looks_like_text",
    "sniff_mime",
]

MediaKind = Literal["image", "audio", "video", "file"]

#: how many leading bytes :func:`sniff_mime` needs
SNIFF_BYTES = 64

#: the largest text document (in bytes) given inline, in the question, to a backend without file
#: search (``upload_files: - file_path:`` and ``massgen -a notes.md``); larger ones are refused
INLINE_TEXT_LIMIT = 256 * 1024

# (offset, signature, MIME type): first match wins
_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x89PNG", "image/png"),
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"BM", "image/bmp"),
    (0, b"II*\x00", "image/tiff"),
    (0, b"MM\x00*", "image/tiff"),
    (0, b"%PDF-", "application/pdf"),
    (0, b"ID3", "audio/mpeg"),
    (0, b"fLaC", "audio/flac"),
    (0, b"OggS", "audio/ogg"),
    (0, b"\x1aE\xdf\xa3", "video/webm"),
)
_RIFF = {b"WEBP": "image/webp", b"WAVE": "audio/wav", b"AVI ": "video/x-msvideo"}
_FTYP_BRANDS = {
    b"qt  ": "video/quicktime",
    b"M4A ": "audio/mp4",
    b"M4B ": "audio/mp4",
    b"heic": "image/heic",
    b"heix": "image/heic",
    b"avif": "image/avif",
    b"3gp4": "video/3gpp",
    b"3gp5": "video/3gpp",
}
_MP3_FRAME = (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")
_TEXT_APPLICATION = frozenset(
    {
        "application/json",
        "application/xml",
        "application/javascript",
        "application/x-javascript",
        "application/x-sh",
        "application/x-python",
        "application/x-yaml",
        "application/yaml",
        "application/toml",
        "application/x-tex",
        "application/sql",
    }
)


def sniff_mime(head: bytes) -> str | None:
    """The MIME type a file's first bytes (:data:`SNIFF_BYTES` of them) show, or ``None``."""
    for offset, signature, mime in _SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            return mime
    if head[:4] == b"RIFF" and head[8:12] in _RIFF:
        return _RIFF[head[8:12]]
    if head[4:8] == b"ftyp":
        return _FTYP_BRANDS.get(head[8:12], "video/mp4")
    if head[:2] in _MP3_FRAME:
        return "audio/mpeg"
    return None


def looks_like_text(head: bytes) -> bool:
    """Whether bytes read like UTF-8 text (no NUL; a character cut at the end is allowed)."""
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3 and exc.reason == "unexpected end of data"
    return True


def guess_mime(name: str | None, head: bytes | None = None, *, text: bool = True) -> str | None:
    """The MIME type of a file: from its bytes when they show it, else from its name (or URL),
    else (with ``text``) ``text/plain`` when the bytes are UTF-8 text."""
    if head:
        sniffed = sniff_mime(head)
        if sniffed is not None:
            return sniffed
    by_name = mimetypes.guess_type(name.split("?", 1)[0])[0] if name else None
    if by_name is not None:
        return by_name
    if text and head is not None and looks_like_text(head):
        return "text/plain"
    return None


def kind_of_mime(mime: str | None) -> MediaKind:
    """``image``, ``audio`` or ``video`` by the MIME type's major type; anything else is a ``file``."""
    major = (mime or "").split("/", 1)[0]
    if major == "image":
        return "image"
    if major == "audio":
        return "audio"
    if major == "video":
        return "video"
    return "file"


def is_text_mime(mime: str | None) -> bool:
    """Whether a document of this type is text that can be given inline (``text/*``, JSON, ...)."""
    if not mime:
        return False
    mime = mime.split(";", 1)[0].strip().lower()
    return mime.startswith("text/") or mime in _TEXT_APPLICATION or mime.endswith(("+json", "+xml"))


def is_pdf(mime: str | None) -> bool:
    return (mime or "").split(";", 1)[0].strip().lower() == "application/pdf"
