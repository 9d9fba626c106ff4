"""Media parts as OpenAI wire content (shared by the Responses and Chat Completions converters).

Reading, typing and encoding a part is :class:`~massgen_core.plugin.MediaPart`'s (the same for
every backend); this module only shapes it the way OpenAI's APIs take it.
"""

from __future__ import annotations

from typing import Any

from massgen_core.plugin import InvalidRequestError, MediaPart

__all__ = ["audio_format", "audio_payload", "file_payload", "media_error", "media_url"]

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
    return part.error(backend, why)


def media_url(part: MediaPart, backend: str) -> str:
    """A URL for the part: its own URL, or a ``data:`` URL of its bytes."""
    try:
        return part.data_url()
    except (OSError, ValueError) as exc:
        raise part.error(backend, str(exc)) from exc


def audio_format(part: MediaPart, backend: str) -> str:
    """``wav`` or ``mp3`` (the formats ``input_audio`` accepts), from the part's type."""
    mime = part.media_type or ""
    if mime in _AUDIO_FORMATS:
        return _AUDIO_FORMATS[mime]
    raise part.error(backend, f"audio input must be wav or mp3 (got {mime or 'an unknown format'})")


def audio_payload(part: MediaPart, backend: str) -> dict[str, Any]:
    """``{"data": base64, "format": wav|mp3}`` for ``input_audio``."""
    fmt = audio_format(part, backend)
    try:
        data = part.base64()
    except (OSError, ValueError) as exc:
        raise part.error(backend, f"input_audio needs the file's bytes: {exc}") from exc
    return {"data": data, "format": fmt}


def file_payload(part: MediaPart, backend: str) -> tuple[str, str]:
    """``(filename, data URL)`` of a document part."""
    return part.filename, media_url(part, backend)
