"""Media parts as Messages API content blocks: images (``image``) and documents (``document``).

Images: JPEG, PNG, GIF and WebP, by URL or inline (base64). Documents: PDF by URL or inline,
and plain text inline. Audio and video are refused with a clear error: the Messages API has no
input for them (the core never routes them here, since ``claude`` declares no such capability).
"""

from __future__ import annotations

from typing import Any

from massgen_core.plugin import InvalidRequestError, MediaPart, is_text_mime

__all__ = ["IMAGE_TYPES", "media_block", "media_error"]

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
PDF = "application/pdf"


def media_error(backend: str, part: MediaPart, why: str) -> InvalidRequestError:
    """The error for a media part the backend cannot send (never silently dropped)."""
    return part.error(backend, why)


def _base64_source(part: MediaPart, mime: str, backend: str) -> dict[str, Any]:
    try:
        data = part.base64()
    except (OSError, ValueError) as exc:
        raise part.error(backend, str(exc)) from exc
    return {"type": "base64", "media_type": mime, "data": data}


def media_block(part: MediaPart, backend: str) -> dict[str, Any]:
    """The content block for ``part``; raises :class:`InvalidRequestError` for what Claude cannot read."""
    mime = part.media_type or ""
    if part.kind in ("audio", "video"):
        raise media_error(
            backend, part, f"the Messages API does not accept {part.kind} input (images and PDFs only)"
        )
    if part.kind == "image" or mime in IMAGE_TYPES:
        if part.is_remote:
            return {"type": "image", "source": {"type": "url", "url": part.url}}
        if mime not in IMAGE_TYPES:
            raise media_error(
                backend, part, f"images must be JPEG, PNG, GIF or WebP (got {mime or 'unknown'})"
            )
        return {"type": "image", "source": _base64_source(part, mime, backend)}
    if mime == PDF:
        block: dict[str, Any]
        if part.is_remote:
            block = {"type": "document", "source": {"type": "url", "url": part.url}}
        else:
            block = {"type": "document", "source": _base64_source(part, PDF, backend)}
        if part.path:
            block["title"] = part.filename
        return block
    if is_text_mime(mime) and not part.is_remote:
        try:
            text = part.text(limit=None)
        except (OSError, ValueError) as exc:
            raise part.error(backend, str(exc)) from exc
        block = {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": text}}
        if part.path:
            block["title"] = part.filename
        return block
    raise media_error(
        backend,
        part,
        f"Claude reads images (JPEG, PNG, GIF, WebP), PDFs and plain text, not {mime or 'this file type'}",
    )
