"""Media parts as OpenAI wire content (shared by the Responses and Chat Completions converters)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from massgen_core.plugin import InvalidRequestError, MediaPart

__all__ = ["audio_format", "file_payload", "media_error", "media_url"]

_AUDIO_FORMATS = {
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/vnd.wave": "wav",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
}


def media_error(backend: str, part: MediaPart, why: str) -> InvalidRequestError:
    """The error for a media part a backend cannot send (never silently dropped)."""
    what = part.path or part.url or f"inline {part.kind}"
    return InvalidRequestError(f"{backend}: cannot send {part.kind} {what}: {why}", backend=backend)


def media_url(part: MediaPart, backend: str) -> str:
    """A URL for the part: its own URL, or a ``data:`` URL of its bytes."""
    try:
        return part.data_url()
    except (OSError, ValueError) as exc:
        raise media_error(backend, part, str(exc)) from exc


def audio_format(part: MediaPart, backend: str) -> str:
    """``wav`` or ``mp3`` (the formats ``input_audio`` accepts), from the MIME type or file name."""
    mime = (part.mime_type or "").lower()
    if mime in _AUDIO_FORMATS:
        return _AUDIO_FORMATS[mime]
    suffix = Path(part.path or part.url or "").suffix.lower().lstrip(".")
    if suffix in ("wav", "mp3"):
        return suffix
    raise media_error(backend, part, f"audio input must be wav or mp3 (got {mime or suffix or 'unknown'})")


def audio_payload(part: MediaPart, backend: str) -> dict[str, Any]:
    """``{"data": base64, "format": wav|mp3}`` for ``input_audio``."""
    fmt = audio_format(part, backend)
    try:
        raw = part.read_bytes()
    except (OSError, ValueError) as exc:
        raise media_error(backend, part, f"input_audio needs the file's bytes: {exc}") from exc
    return {"data": base64.b64encode(raw).decode("ascii"), "format": fmt}


def file_payload(part: MediaPart, backend: str) -> tuple[str, str]:
    """``(filename, data URL)`` of a document part."""
    name = Path(part.path).name if part.path else (part.url or "file").rsplit("/", 1)[-1] or "file"
    return name, media_url(part, backend)
