"""Media-generation tools for ``openai`` agents: their files land in the agent's workspace.

``generate_speech`` (text to speech, ``/v1/audio/speech``) and ``generate_video`` (Sora,
``/v1/videos``: create, poll, download). Images come from the Responses API's own
``image_generation`` tool instead (``enable_image_generation``), saved by the stream converter.
The SDK is imported when a tool runs, never when the tools are declared.
"""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from typing import Any

import attrs
from massgen_core.plugin import BackendError, Timeouts, ToolError

from .errors import ErrorContext, map_sdk_error

__all__ = ["VOICES", "MediaSettings", "generate_speech", "generate_video", "workspace_file"]

VOICES = ("alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer", "verse")
AUDIO_FORMATS = ("mp3", "wav", "opus", "aac", "flac")


@attrs.frozen(kw_only=True)
class MediaSettings:
    """Where the tools call and where they write."""

    api_key: str = attrs.field(repr=False)
    base_url: str | None
    workspace: Path | None
    speech_model: str = "gpt-4o-mini-tts"
    video_model: str = "sora-2"
    timeouts: Timeouts = Timeouts(connect=10.0, total=300.0)
    #: seconds between two polls of a video job, and the longest wait for one
    poll_interval: float = 2.0
    max_wait: float = 900.0


def workspace_file(settings: MediaSettings, filename: str | None, stem: str, suffix: str) -> Path:
    """A path for a new file inside the workspace (``filename`` may not leave it)."""
    if settings.workspace is None:
        raise ToolError("this tool saves files in the agent's workspace: set cwd in the backend config")
    root = settings.workspace.resolve()
    name = filename or f"{stem}_{time.strftime('%Y%m%d_%H%M%S')}{suffix}"
    if not Path(name).suffix:
        name += suffix
    path = (root / name).resolve()
    if not path.is_relative_to(root):
        raise ToolError(f"{filename!r} is outside the workspace; give a file name inside it")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _client(settings: MediaSettings, http_client: Any = None) -> Any:
    from .client import openai_client

    client = openai_client(api_key=settings.api_key, base_url=settings.base_url, timeouts=settings.timeouts)
    if http_client is not None:
        client = client.with_options(http_client=http_client)
    return client


def _errors() -> tuple[type[BaseException], ...]:
    from .client import SDK_ERRORS

    return (*SDK_ERRORS, BackendError)


def _tool_error(exc: BaseException, settings: MediaSettings, model: str, hint: str = "") -> ToolError:
    context = ErrorContext(
        backend="openai", model=model, base_url=settings.base_url, api_key_env=("OPENAI_API_KEY",)
    )
    return ToolError(f"{map_sdk_error(exc, context)}{hint}")


async def generate_speech(
    settings: MediaSettings,
    *,
    text: str,
    voice: str = "alloy",
    format: str = "mp3",
    instructions: str | None = None,
    filename: str | None = None,
    http_client: Any = None,
) -> str:
    """Speak ``text`` and save the audio in the workspace; returns where."""
    if voice not in VOICES:
        raise ToolError(f"unknown voice {voice!r}; choose one of {', '.join(VOICES)}")
    if format not in AUDIO_FORMATS:
        raise ToolError(f"unknown format {format!r}; choose one of {', '.join(AUDIO_FORMATS)}")
    path = workspace_file(settings, filename, "speech", f".{format}")
    client = _client(settings, http_client)
    try:
        extra = {"instructions": instructions} if instructions else {}
        audio = await client.audio.speech.create(
            model=settings.speech_model, voice=voice, input=text, response_format=format, **extra
        )
        data = audio.read() if hasattr(audio, "read") else bytes(audio.content)
    except _errors() as exc:
        raise _tool_error(exc, settings, settings.speech_model) from exc
    finally:
        await client.close()
    path.write_bytes(data)
    return f"saved {len(data)} bytes of {format} audio to {path}"


async def generate_video(
    settings: MediaSettings,
    *,
    prompt: str,
    seconds: int = 4,
    size: str | None = None,
    filename: str | None = None,
    http_client: Any = None,
) -> str:
    """Generate a video from ``prompt``, wait for it, save the MP4 in the workspace; returns where."""
    if seconds not in (4, 8, 12):
        raise ToolError("seconds must be 4, 8 or 12")
    if size is not None and not re.fullmatch(r"\d+x\d+", size):
        raise ToolError("size must look like 1280x720")
    path = workspace_file(settings, filename, "video", ".mp4")
    client = _client(settings, http_client)
    try:
        extra = {"size": size} if size else {}
        video = await client.videos.create(
            model=settings.video_model, prompt=prompt, seconds=str(seconds), **extra
        )
        deadline = time.monotonic() + settings.max_wait
        while video.status in ("queued", "in_progress"):
            if time.monotonic() > deadline:
                raise ToolError(f"the video {video.id} was not ready after {settings.max_wait:g}s")
            await asyncio.sleep(settings.poll_interval)
            video = await client.videos.retrieve(video.id)
        if video.status != "completed":
            reason = getattr(getattr(video, "error", None), "message", None) or video.status
            raise ToolError(f"the video generation failed: {reason}")
        content = await client.videos.download_content(video.id)
        data = content.read() if hasattr(content, "read") else bytes(content.content)
    except _errors() as exc:
        hint = (
            " (OpenAI announced the end of the Sora API for 2026-09-24)"
            if "not found" in str(exc).lower()
            else ""
        )
        raise _tool_error(exc, settings, settings.video_model, hint) from exc
    finally:
        await client.close()
    path.write_bytes(data)
    return f"saved a {seconds}s video ({len(data)} bytes) to {path}"
