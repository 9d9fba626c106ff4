"""``lmstudio``: the /v1/models check, and what it says when the model is not loaded."""

from __future__ import annotations

import pytest
from local_testkit import anyio_backend, build, collect, fake, free_port, request  # noqa: F401
from massgen_core.plugin import ConnectionFailedError, Done, ModelNotFoundError
from massgen_core.testing.backends import backend_options, installed_registry
from massgen_core.testing.fake_provider import FakeProviderServer, HttpError, Reply

pytestmark = pytest.mark.anyio


async def test_checks_the_loaded_models_once(fake: FakeProviderServer) -> None:
    fake.enqueue(Reply("one"), Reply("two"))
    backend = build("lmstudio", model="qwen/qwen3-4b-2507", base_url=fake.openai_base_url)
    for _ in range(2):
        events = await collect(backend.stream(request("hi")))
        assert isinstance(events[-1], Done)
    await backend.aclose()
    paths = [r.path for r in fake.requests]
    assert paths.count("/v1/models") == 1 and paths.count("/v1/chat/completions") == 2


async def test_model_not_loaded_lists_the_loaded_ones(fake: FakeProviderServer) -> None:
    backend = build("lmstudio", model="mistral-7b", base_url=fake.openai_base_url)
    with pytest.raises(ModelNotFoundError) as caught:
        await collect(backend.stream(request("hi")))
    await backend.aclose()
    message = str(caught.value)
    assert "'mistral-7b' is not loaded in LM Studio" in message
    assert "loaded models: qwen/qwen3-4b-2507, smollm2" in message
    assert "lms load mistral-7b" in message and f"curl {fake.openai_base_url}/models" in message
    assert not fake.model_calls()  # refused before any chat request


async def test_no_model_loaded_at_all() -> None:
    with FakeProviderServer(models=()) as empty:
        backend = build("lmstudio", model="qwen/qwen3-4b-2507", base_url=empty.openai_base_url)
        with pytest.raises(ModelNotFoundError, match="loaded models: none"):
            await collect(backend.stream(request("hi")))
        await backend.aclose()


async def test_server_down() -> None:
    base = f"http://localhost:{free_port()}/v1"
    backend = build("lmstudio", model="qwen/qwen3-4b-2507", base_url=base)
    with pytest.raises(ConnectionFailedError, match=r"curl http://localhost:\d+/v1/models"):
        await collect(backend.stream(request("hi")))
    await backend.aclose()


async def test_model_unloaded_after_the_check(fake: FakeProviderServer) -> None:
    """The model was loaded at the check and unloaded since: the 404 is explained the same way."""
    fake.enqueue(Reply("first"), HttpError(404, message="Model not loaded", code="model_not_found"))
    backend = build("lmstudio", model="smollm2", base_url=fake.openai_base_url)
    await collect(backend.stream(request("hi")))
    fake.models = ("qwen/qwen3-4b-2507",)
    with pytest.raises(ModelNotFoundError) as caught:
        await collect(backend.stream(request("again")))
    await backend.aclose()
    assert "loaded models: qwen/qwen3-4b-2507" in str(caught.value)
    assert "Model not loaded" in str(caught.value)


async def test_check_can_be_turned_off(fake: FakeProviderServer) -> None:
    backend = build("lmstudio", model="anything", base_url=fake.openai_base_url, check_model=False)
    events = await collect(backend.stream(request("hi")))
    await backend.aclose()
    assert isinstance(events[-1], Done)
    assert [r.path for r in fake.requests] == ["/v1/chat/completions"]


def test_default_url_and_env(monkeypatch: pytest.MonkeyPatch) -> None:

    registry = installed_registry()
    options = backend_options("lmstudio", model="m")
    assert registry.context_for("lmstudio", options, environ={}).base_url == "http://localhost:1234/v1"
    env = {"LMSTUDIO_BASE_URL": "http://127.0.0.1:9999/v1"}
    assert registry.context_for("lmstudio", options, environ=env).base_url == env["LMSTUDIO_BASE_URL"]
    for backend_type, var, default in (
        ("vllm", "VLLM_BASE_URL", "http://localhost:8000/v1"),
        ("sglang", "SGLANG_BASE_URL", "http://localhost:30000/v1"),
    ):
        options = backend_options(backend_type, model="m")
        assert registry.context_for(backend_type, options, environ={}).base_url == default
        url = "http://127.0.0.1:1/v1"
        assert registry.context_for(backend_type, options, environ={var: url}).base_url == url
