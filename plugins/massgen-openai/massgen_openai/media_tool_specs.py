"""Media tools offered to ``openai`` agents that enable them (declarations; no SDK import).

``enable_audio_generation`` offers ``generate_speech``; ``enable_video_generation`` offers
``generate_video``. Both write into the agent's workspace (``cwd``) and use the agent's own key
and endpoint (``api_key``/``OPENAI_API_KEY``, ``base_url``/``OPENAI_BASE_URL``).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping, Sequence

from massgen_core.plugin import McpServerSpec, ToolContext, ToolSpec

from .media_tools import AUDIO_FORMATS, VOICES, MediaSettings, generate_speech, generate_video
from .options import OpenAIOptions

__all__ = ["media_settings", "media_tool_specs"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"


def media_settings(context: ToolContext, environ: Mapping[str, str] | None = None) -> MediaSettings:
    options = context.options
    assert isinstance(options, OpenAIOptions)
    env = os.environ if environ is None else environ
    return MediaSettings(
        api_key=options.api_key or env.get("OPENAI_API_KEY", ""),
        base_url=options.base_url or env.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL,
        workspace=context.workspace,
    )


def media_tool_specs(
    context: ToolContext, environ: Mapping[str, str] | None = None
) -> Sequence[ToolSpec | McpServerSpec]:
    options = context.options
    if not isinstance(options, OpenAIOptions):
        return []
    settings = media_settings(context, environ)
    tools: list[ToolSpec | McpServerSpec] = []
    if options.enable_audio_generation:
        tools.append(
            ToolSpec(
                name="generate_speech",
                description="Turn text into spoken audio and save it as a file in your workspace.",
                parameters={
                    "type": "object",
                    "properties": {
                        "text": {"type": "string", "description": "What to say."},
                        "voice": {"type": "string", "enum": list(VOICES), "default": "alloy"},
                        "format": {"type": "string", "enum": list(AUDIO_FORMATS), "default": "mp3"},
                        "instructions": {"type": "string", "description": "How to say it (tone, pace)."},
                        "filename": {"type": "string", "description": "File name inside the workspace."},
                    },
                    "required": ["text"],
                },
                function=functools.partial(generate_speech, settings),
            )
        )
    if options.enable_video_generation:
        tools.append(
            ToolSpec(
                name="generate_video",
                description="Generate a short video from a text prompt and save the MP4 in your workspace.",
                parameters={
                    "type": "object",
                    "properties": {
                        "prompt": {"type": "string", "description": "What the video shows."},
                        "seconds": {"type": "integer", "enum": [4, 8, 12], "default": 4},
                        "size": {"type": "string", "description": "WIDTHxHEIGHT, e.g. 1280x720."},
                        "filename": {"type": "string", "description": "File name inside the workspace."},
                    },
                    "required": ["prompt"],
                },
                function=functools.partial(generate_video, settings),
            )
        )
    return tools
