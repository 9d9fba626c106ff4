"""What massgen-gemini declares, and that declaring stays cheap."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx2
import pytest
from gemini_testkit import FAST, build
from massgen_core.plugin import ConfigError
from massgen_core.testing.backends import installed_registry


def test_the_gemini_type_is_declared_with_its_keys_models_and_capabilities() -> None:
    spec = installed_registry().spec("gemini")
    assert spec.api_key_env == ("GOOGLE_API_KEY", "GEMINI_API_KEY")
    assert spec.default_model == "gemini-2.5-flash" and spec.matches_model("gemini-3.5-flash")
    for name in ("gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.5-flash-lite", "gemini-3-pro-preview"):
        model = spec.model(name)
        assert model is not None and model.context_window and model.input_price and model.output_price
    assert {
        "web_search",
        "code_execution",
        "image_understanding",
        "mcp",
        "filesystem_mcp",
    } <= spec.capabilities
    assert "reasoning" not in spec.capabilities_for("gemini-2.0-flash")


def test_loading_the_plugin_imports_no_sdk() -> None:
    code = (
        "import sys, json\n"
        "import massgen_gemini.plugin as p\n"
        "p.massgen_backend_types(); p.massgen_capability_kinds()\n"
        "print(json.dumps([m for m in ('google.genai', 'httpx2', 'pydantic') if m in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


@pytest.mark.parametrize(
    ("backend", "message"),
    [
        (
            {"type": "gemini", "model": "gemini-2.0-flash", "thinking": {"budget": 100}},
            "'reasoning' capability",
        ),
        ({"type": "gemini", "enable_websearch": True}, "enable_web_search"),
        ({"type": "gemini", "builtin_tools_with_functions": "sometimes"}, "builtin_tools_with_functions"),
        ({"type": "gemini", "base_url": "generativelanguage.googleapis.com"}, "http:// or https://"),
    ],
)
def test_bad_options_fail_validation(backend: dict[str, object], message: str) -> None:
    config = pytest.importorskip("massgen_core.config")
    with pytest.raises(ConfigError, match=message):
        config.load_config({"agent": {"backend": backend}})


def test_the_model_name_alone_picks_the_backend() -> None:
    config = pytest.importorskip("massgen_core.config")
    loaded = config.load_config({"agent": {"backend": {"model": "gemini-2.5-pro"}}})
    assert loaded.agents[0].backend.type == "gemini"


@pytest.mark.anyio
async def test_the_core_connect_timeout_reaches_every_request() -> None:
    """google-genai sends ``timeout=None`` per request, which httpx reads as "never time out"."""
    backend = build(base_url="http://127.0.0.1:9")
    try:
        sent = backend.http.build_request("POST", "http://127.0.0.1:9/x", timeout=None)  # as the SDK does
        assert sent.extensions["timeout"]["connect"] == FAST.connect
        assert backend.client._api_client._http_options.retry_options is None  # no SDK retries
        assert isinstance(backend.http, httpx2.AsyncClient)
    finally:
        await backend.aclose()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
