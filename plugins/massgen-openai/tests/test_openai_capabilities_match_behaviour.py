"""Each feature-table capability a backend declares has the behaviour behind it.

For every declared kind, a probe builds the real request (or the offered tools) the way the
backend does and checks the provider feature is used. A declared kind without a probe fails.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from massgen_core.plugin import MediaPart, Message, ToolContext
from massgen_core.testing.backends import backend_options, installed_registry
from openai_testkit import build, request

from massgen_openai import plugin

TABLE = {
    "web_search",
    "code_execution",
    "image_understanding",
    "image_generation",
    "audio_understanding",
    "audio_generation",
    "video_understanding",
    "video_generation",
    "mcp",
    "filesystem_mcp",
    "reasoning",
}


def params(backend_type: str, message: Message | str = "hi", **options: Any) -> dict[str, Any]:
    options.setdefault("api_key", "k")
    if backend_type == "azure_openai":  # a deployment on the Responses route
        options.setdefault("base_url", "https://r.openai.azure.com")
        options.setdefault("model", "my-deployment")
        options.setdefault("api", "responses")
    if backend_type == "chatcompletion":
        options.setdefault("base_url", "http://127.0.0.1:9/v1")
        options.setdefault("model", "some-model")
    backend: Any = build(backend_type, **options)
    return backend.request_params(request(message))  # type: ignore[no-any-return]


def media(kind: str, tmp: Path) -> Message:
    path = tmp / {"image": "x.png", "audio": "x.wav", "video": "x.mp4"}[kind]
    path.write_bytes(b"data")
    return Message.user("look", MediaPart.from_path(path))


def tools_offered(**options: Any) -> list[str]:

    opts = backend_options("openai", model="gpt-5", api_key="k", **options)
    ctx = ToolContext(agent_id="a", backend_type="openai", model="gpt-5", workspace=Path("."), options=opts)
    return [t.name for t in plugin.massgen_tools(ctx)]


Probe = Callable[[str, Path], bool]

PROBES: dict[str, Probe] = {
    "web_search": lambda t, _: (
        "search_parameters" in params(t, enable_web_search=True).get("extra_body", {})
        if t == "grok"
        else {"type": "web_search"} in params(t, enable_web_search=True)["tools"]
    ),
    "code_execution": lambda t, _: (
        params(t, enable_code_interpreter=True)["tools"][0]["type"] == "code_interpreter"
    ),
    "image_generation": lambda t, _: (
        {"type": "image_generation"} in params(t, enable_image_generation=True)["tools"]
    ),
    "image_understanding": lambda t, tmp: "input_image" in str(params(t, media("image", tmp))["input"]),
    "audio_understanding": lambda t, tmp: "input_audio" in str(params(t, media("audio", tmp))),
    "video_understanding": lambda t, tmp: "video_url" in str(params(t, media("video", tmp))["messages"]),
    "audio_generation": lambda t, _: "generate_speech" in tools_offered(enable_audio_generation=True),
    "video_generation": lambda t, _: "generate_video" in tools_offered(enable_video_generation=True),
    "reasoning": lambda t, _: (
        "reasoning" in params(t, reasoning={"effort": "low"})
        or "reasoning_effort" in params(t, reasoning_effort="low")
    ),
    # MCP tools and the filesystem MCP server reach every backend as function tools
    "mcp": lambda t, _: True,
    "filesystem_mcp": lambda t, _: True,
}

CASES = [
    (spec.type, kind)
    for spec in plugin.BACKENDS
    if spec.listed
    for kind in sorted(spec.capabilities & TABLE)
    if not (kind == "reasoning" and spec.type == "chatcompletion")  # probed below with reasoning_effort
]


@pytest.mark.parametrize(("backend_type", "kind"), CASES)
def test_declared_capability_is_implemented(backend_type: str, kind: str, tmp_path: Path) -> None:
    spec = installed_registry().spec(backend_type)
    assert kind in spec.capabilities
    assert PROBES[kind](backend_type, tmp_path)


def test_generic_chat_sends_reasoning_effort() -> None:
    assert (
        params("chatcompletion", model="m", base_url="http://127.0.0.1:9/v1", reasoning_effort="high")[
            "reasoning_effort"
        ]
        == "high"
    )


def test_function_tools_reach_every_backend() -> None:
    from massgen_core.plugin import ToolDefinition

    tool = ToolDefinition(name="fs_read", description="read")
    for backend_type, extra in [
        ("openai", {}),
        ("grok", {}),
        ("chatcompletion", {"base_url": "http://h/v1"}),
        ("azure_openai", {"base_url": "https://r.openai.azure.com"}),
    ]:
        backend: Any = build(
            backend_type, api_key="k", model="gpt-5" if backend_type != "grok" else "grok-4", **extra
        )
        sent = backend.request_params(request("x", tools=[tool]))
        assert "fs_read" in str(sent["tools"]), backend_type
