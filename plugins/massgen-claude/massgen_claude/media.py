"""Media parts as Messages API content blocks: images (``image``) and documents (``document``).

Images: JPEG, PNG, GIF and WebP, by URL or inline (base64). Documents: PDF by URL or inline,
and plain text inline. Audio and video are refused with a clear error: the Messages API has no
input for them (the core never routes them here, since ``claude`` declares no such capability).
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
from pathlib import Path
from typing import Any

from massgen_core.plugin import InvalidRequestError, MediaPart

__all__ = ["IMAGE_TYPES", "media_block", "media_error"]

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
PDF = "application/pdf"
TEXT_TYPES = frozenset({"text/plain", "text/markdown", "text/csv"})


def media_error(backend: str, part: MediaPart, why: str) -> InvalidRequestError:
    """The error for a media part the backend cannot send (never silently dropped)."""
    what = part.path or (part.url if part.url and not part.url.startswith("data:") else None)
    return InvalidRequestError(
        f"{backend}: cannot send {part.kind} {what or '(inline data)'}: {why}", backend=backend
    )


def _mime(part: MediaPart) -> str:
    if part.mime_type:
        return part.mime_type.lower()
    if part.url and part.url.startswith("data:"):
        return part.url[5:].split(";", 1)[0].split(",", 1)[0].lower()
    name = part.path or (part.url or "").split("?", 1)[0]
    return (mimetypes.guess_type(name)[0] or "").lower()


def _is_remote(part: MediaPart) -> bool:
    return (
        part.data is None and part.path is None and bool(part.url) and not str(part.url).startswith("data:")
    )


def _raw(part: MediaPart, backend: str) -> bytes:
    """The part's bytes: inline data, the file at ``path``, or a ``data:`` URL decoded."""
    if part.data is None and part.path is None and part.url and part.url.startswith("data:"):
        header, _, payload = part.url.partition(",")
        try:
            return (
                base64.b64decode(payload, validate=True) if header.endswith(";base64") else payload.encode()
            )
        except (binascii.Error, ValueError) as exc:
            raise media_error(backend, part, f"the data URL is not valid base64: {exc}") from exc
    try:
        return part.read_bytes()
    except (OSError, ValueError) as exc:
        raise media_error(backend, part, str(exc)) from exc


def _base64_source(part: MediaPart, mime: str, backend: str) -> dict[str, Any]:
    data = base64.b64encode(_raw(part, backend)).decode("ascii")
    return {"type": "base64", "media_type": mime, "data": data}


def media_block(part: MediaPart, backend: str) -> dict[str, Any]:
    """The content block for ``part``; raises :class:`InvalidRequestError` for what Claude cannot read."""
    mime = _mime(part)
    if part.kind in ("audio", "video"):
        raise media_error(
            backend, part, f"the Messages API does not accept {part.kind} input (images and PDFs only)"
        )
    if part.kind == "image" or mime in IMAGE_TYPES:
        if _is_remote(part):
            return {"type": "image", "source": {"type": "url", "url": part.url}}
        if mime not in IMAGE_TYPES:
            raise media_error(
                backend, part, f"images must be JPEG, PNG, GIF or WebP (got {mime or 'unknown'})"
            )
        return {"type": "image", "source": _base64_source(part, mime, backend)}
    if mime == PDF:
        block: dict[str, Any]
        if _is_remote(part):
            block = {"type": "document", "source": {"type": "url", "url": part.url}}
        else:
            block = {"type": "document", "source": _base64_source(part, PDF, backend)}
        if part.path:
            block["title"] = Path(part.path).name
        return block
    if mime in TEXT_TYPES and not _is_remote(part):
        text = _raw(part, backend).decode("utf-8", errors="replace")
        block = {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": text}}
        if part.path:
            block["title"] = Path(part.path).name
        return block
    raise media_error(
        backend,
        part,
        f"Claude reads images (JPEG, PNG, GIF, WebP), PDFs and plain text, not {mime or 'this file type'}",
    )
