"""``lmstudio``, ``vllm`` and ``sglang`` against the fake OpenAI-compatible server."""

from __future__ import annotations

import pytest
from local_testkit import FAST, anyio_backend, build, collect, fake, free_port, of_type, request  # noqa: F401
from massgen_core.plugin import (
    ConnectionFailedError,
    Done,
    Message,
    ModelNotFoundError,
    ReasoningDelta,
    TextDelta,
    ToolCall,
    ToolDefinition,
    ToolResultPart,
    Usage,
)
from massgen_core.testing.backends import resilient
from massgen_core.testing.fake_provider import FakeProviderServer, HttpError, Reasoning, Reply
from massgen_core.testing.fake_provider import ToolCall as ScriptedToolCall

pytestmark = pytest.mark.anyio

SERVERS = ["lmstudio", "vllm", "sglang"]
TOOL = ToolDefinition(
    name="get_weather",
    description="Weather in a city.",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)


def server(backend_type: str, fake: FakeProviderServer, **options: object):  # type: ignore[no-untyped-def]
    options.setdefault("model", "smollm2")
    options.setdefault("base_url", fake.openai_base_url)
    return build(backend_type, **options)


@pytest.mark.parametrize("backend_type", SERVERS)
async def test_streams_text_with_no_key(fake: FakeProviderServer, backend_type: str) -> None:
    fake.enqueue(Reply("Hello from a local model.", text_chunks=4))
    backend = server(backend_type, fake)
    events = await collect(backend.stream(request("hi")))
    await backend.aclose()
    assert "".join(e.text for e in of_type(events, TextDelta)) == "Hello from a local model."
    assert of_type(events, Usage) and isinstance(events[-1], Done)
    chat = fake.model_calls()[-1]
    assert chat.json["model"] == "smollm2" and chat.json["stream"] is True
    placeholder = "lm-studio" if backend_type == "lmstudio" else "EMPTY"
    assert chat.headers["authorization"] == f"Bearer {placeholder}"


@pytest.mark.parametrize("backend_type", SERVERS)
@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
async def test_reasoning_from_either_field(fake: FakeProviderServer, backend_type: str, field: str) -> None:
    fake.enqueue(Reply("4", reasoning=Reasoning("2 and 2 make 4", chat_field=field)))
    backend = server(backend_type, fake)
    events = await collect(backend.stream(request("2+2?")))
    await backend.aclose()
    assert "".join(e.text for e in of_type(events, ReasoningDelta)) == "2 and 2 make 4"
    assert events[-1].message.text == "4"


@pytest.mark.parametrize("backend_type", SERVERS)
@pytest.mark.parametrize("repeat_identity", [False, True], ids=["openai-style", "llama.cpp-style"])
async def test_tool_calls_from_odd_streams(
    fake: FakeProviderServer, backend_type: str, repeat_identity: bool
) -> None:
    """Arguments in many fragments; llama.cpp repeats the id and name in every delta."""
    fake.enqueue(
        Reply(
            tool_calls=[
                ScriptedToolCall("get_weather", {"city": "Paris"}, id="call_a", chunks=5),
                ScriptedToolCall("get_weather", {"city": "Rome"}, id="call_b", chunks=3),
            ],
            chat_repeat_tool_identity=repeat_identity,
        ),
        Reply("Sunny in both."),
    )
    backend = server(backend_type, fake)
    first = await collect(backend.stream(request("weather?", tools=[TOOL])))
    calls = [e.call for e in of_type(first, ToolCall)]
    assert [(c.id, c.name, dict(c.arguments)) for c in calls] == [
        ("call_a", "get_weather", {"city": "Paris"}),
        ("call_b", "get_weather", {"city": "Rome"}),
    ]
    assert first[-1].stop_reason == "tool_calls"
    results = Message.tool_results(ToolResultPart(call_id=c.id, name=c.name, content="sunny") for c in calls)
    second = await collect(backend.stream(request("weather?", first[-1].message, results, tools=[TOOL])))
    await backend.aclose()
    assert second[-1].message.text == "Sunny in both."
    sent = fake.model_calls()[-1].json["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "tool", "tool"]


async def test_vllm_extras_are_sent_as_body_fields(fake: FakeProviderServer) -> None:
    backend = server(
        "vllm",
        fake,
        top_k=20,
        repetition_penalty=1.05,
        chat_template_kwargs={"enable_thinking": False},
        temperature=0.6,
    )
    await collect(backend.stream(request("hi")))
    await backend.aclose()
    body = fake.model_calls()[-1].json
    assert (body["top_k"], body["repetition_penalty"], body["temperature"]) == (20, 1.05, 0.6)
    assert body["chat_template_kwargs"] == {"enable_thinking": False}
    assert "separate_reasoning" not in body


async def test_sglang_separate_reasoning(fake: FakeProviderServer) -> None:
    backend = server("sglang", fake, separate_reasoning=True, top_k=5)
    await collect(backend.stream(request("hi")))
    await backend.aclose()
    body = fake.model_calls()[-1].json
    assert body["separate_reasoning"] is True and body["top_k"] == 5


async def test_extras_unset_are_not_sent(fake: FakeProviderServer) -> None:
    backend = server("sglang", fake)
    await collect(backend.stream(request("hi")))
    await backend.aclose()
    body = fake.model_calls()[-1].json
    assert not {"top_k", "repetition_penalty", "chat_template_kwargs", "separate_reasoning"} & set(body)


def test_engine_options_are_declared() -> None:
    """A typo or another engine's option is a config error, not a silent no-op."""
    from massgen_core.plugin import ConfigError

    with pytest.raises(ConfigError, match="separate_reasoning"):
        build("vllm", model="m", separate_reasoning=True)
    with pytest.raises(ConfigError, match="top_k"):
        build("vllm", model="m", topk=3)


# -- troubleshooting: server down, wrong port, /v1, model not loaded -----------------------------


@pytest.mark.parametrize("backend_type", SERVERS)
async def test_server_down_says_what_to_check(backend_type: str) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}/v1"
    backend = build(backend_type, model="smollm2", base_url=base)
    with pytest.raises(ConnectionFailedError) as caught:
        await collect(backend.stream(request("hi")))
    await backend.aclose()
    message = str(caught.value)
    assert f"curl {base}/models" in message
    assert f"port ({port})" in message
    assert "/v1 suffix" not in message


@pytest.mark.parametrize("backend_type", SERVERS)
async def test_wrong_port_through_the_retry_loop(fake: FakeProviderServer, backend_type: str) -> None:
    """The server runs, the config names another port: after the core's retries, the hint."""
    port = free_port()
    backend = build(backend_type, model="smollm2", base_url=f"http://127.0.0.1:{port}/v1")
    events = await collect(
        resilient(backend, request("hi"), timeouts=FAST, max_attempts=2, initial_delay=0.01)
    )
    await backend.aclose()
    error = events[-1].error
    assert isinstance(error, ConnectionFailedError) and f"port ({port})" in str(error)
    assert not fake.model_calls()


@pytest.mark.parametrize("backend_type", SERVERS)
async def test_base_url_without_v1(fake: FakeProviderServer, backend_type: str) -> None:
    backend = server(backend_type, fake, base_url=fake.url)  # http://127.0.0.1:PORT, no /v1
    with pytest.raises((ModelNotFoundError, ConnectionFailedError)) as caught:
        await collect(backend.stream(request("hi")))
    await backend.aclose()
    assert f"{fake.url}/v1" in str(caught.value) and "/v1 suffix" in str(caught.value)
    assert not caught.value.retryable


@pytest.mark.parametrize("backend_type", ["vllm", "sglang"])
async def test_model_not_served(fake: FakeProviderServer, backend_type: str) -> None:
    fake.enqueue(HttpError(404, message="The model `gpt-4o` does not exist.", code="model_not_found"))
    backend = server(backend_type, fake, model="gpt-4o")
    with pytest.raises(ModelNotFoundError) as caught:
        await collect(backend.stream(request("hi")))
    await backend.aclose()
    assert "does not exist" in str(caught.value) and f"curl {fake.openai_base_url}/models" in str(
        caught.value
    )
