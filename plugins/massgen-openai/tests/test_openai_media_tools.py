"""The media tools: declared only when enabled, files land in the workspace.

The fake provider has no ``/v1/audio/speech`` or ``/v1/videos`` endpoints, so these calls are
answered by an ``httpx2.MockTransport`` given to the SDK client.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx2
import pytest
from massgen_core.plugin import ToolContext, ToolError
from massgen_core.testing.backends import backend_options, function_tool
from openai_testkit import anyio_backend  # noqa: F401  (fixtures)

from massgen_openai import plugin
from massgen_openai.media_tool_specs import media_tool_specs
from massgen_openai.media_tools import MediaSettings, generate_speech, generate_video


def context(tmp_path: Path, **options: object) -> ToolContext:
    opts = backend_options("openai", model="gpt-5", api_key="k", **options)
    return ToolContext(agent_id="a", backend_type="openai", model="gpt-5", workspace=tmp_path, options=opts)


def test_tools_only_when_enabled(tmp_path: Path) -> None:
    assert plugin.massgen_tools(context(tmp_path)) == []
    names = [
        t.name
        for t in plugin.massgen_tools(
            context(tmp_path, enable_audio_generation=True, enable_video_generation=True)
        )
    ]
    assert names == ["generate_speech", "generate_video"]


def test_declaring_the_tools_imports_no_sdk() -> None:
    code = (
        "import sys, pathlib; from massgen_openai.media_tool_specs import media_tool_specs;"
        "print('openai' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def settings(tmp_path: Path | None) -> MediaSettings:
    return MediaSettings(api_key="k", base_url="http://media.test/v1", workspace=tmp_path, poll_interval=0.0)


@pytest.mark.anyio
async def test_speech_is_saved_in_the_workspace(tmp_path: Path) -> None:
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(200, content=b"ID3-audio", headers={"content-type": "audio/mpeg"})

    async with httpx2.AsyncClient(transport=httpx2.MockTransport(handler)) as http:
        result = await generate_speech(
            settings(tmp_path), text="hello", voice="nova", filename="hi.mp3", http_client=http
        )
    assert (tmp_path / "hi.mp3").read_bytes() == b"ID3-audio" and "hi.mp3" in result
    (request,) = seen
    assert request.url.path == "/v1/audio/speech"
    assert json.loads(request.content) == {
        "model": "gpt-4o-mini-tts",
        "input": "hello",
        "voice": "nova",
        "response_format": "mp3",
    }


@pytest.mark.anyio
@pytest.mark.filterwarnings("ignore:The Sora API:DeprecationWarning")
async def test_video_is_polled_and_saved(tmp_path: Path) -> None:
    states = iter(["queued", "in_progress", "completed"])

    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.url.path.endswith("/content"):
            return httpx2.Response(200, content=b"mp4-bytes")
        job = {"id": "video_1", "object": "video", "status": next(states), "model": "sora-2", "seconds": "4"}
        return httpx2.Response(200, json=job)

    async with httpx2.AsyncClient(transport=httpx2.MockTransport(handler)) as http:
        result = await generate_video(settings(tmp_path), prompt="a cat", http_client=http)
    (saved,) = tmp_path.glob("video_*.mp4")
    assert saved.read_bytes() == b"mp4-bytes" and str(saved) in result


@pytest.mark.anyio
async def test_provider_errors_become_tool_errors(tmp_path: Path) -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(
            401,
            json={
                "error": {"message": "bad key", "type": "invalid_request_error", "code": "invalid_api_key"}
            },
        )

    async with httpx2.AsyncClient(transport=httpx2.MockTransport(handler)) as http:
        with pytest.raises(ToolError, match="OPENAI_API_KEY"):
            await generate_speech(settings(tmp_path), text="x", http_client=http)


@pytest.mark.anyio
async def test_files_stay_inside_the_workspace(tmp_path: Path) -> None:
    with pytest.raises(ToolError, match="outside the workspace"):
        await generate_speech(settings(tmp_path), text="x", filename="../escape.mp3")
    with pytest.raises(ToolError, match="cwd"):
        await generate_speech(settings(None), text="x")


@pytest.mark.anyio
async def test_a_declared_tool_runs_as_a_core_function_tool(tmp_path: Path) -> None:
    (spec,) = media_tool_specs(context(tmp_path, enable_audio_generation=True))
    output = await function_tool(spec).call({"text": "x", "voice": "nobody"})
    assert output.is_error and "unknown voice" in output.content
