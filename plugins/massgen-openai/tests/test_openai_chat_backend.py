"""``chatcompletion``, the provider presets and ``grok`` through the SDK against the fake provider."""

from __future__ import annotations

import pytest
from massgen_core.plugin import (
    AuthenticationError,
    BackendError,
    BackendTimeoutError,
    ConfigError,
    Done,
    Message,
    ModelNotFoundError,
    ProviderServerError,
    RateLimitError,
    ReasoningDelta,
    StreamError,
    TextDelta,
    Timeouts,
    ToolCall,
    ToolDefinition,
    ToolResultPart,
    Usage,
)
from massgen_core.testing.backends import backend_options, installed_registry, resilient
from massgen_core.testing.fake_provider import (
    Disconnect,
    FakeProviderServer,
    HttpError,
    Reasoning,
    Reply,
    Stall,
    WireFormat,
)
from massgen_core.testing.fake_provider import (
    StreamError as ScriptedStreamError,
)
from massgen_core.testing.fake_provider import (
    ToolCall as ScriptedToolCall,
)
from openai_testkit import FAST, anyio_backend, build, collect, fake, of_type, request  # noqa: F401  (fixtures)

from massgen_openai.presets import resolve_chat_api_key

pytestmark = pytest.mark.anyio

TOOL = ToolDefinition(name="get_weather", description="w", parameters={"type": "object", "properties": {}})


def chat(fake: FakeProviderServer, timeouts: Timeouts = FAST, **options: object):
    options.setdefault("model", "gpt-4o")
    return build("chatcompletion", timeouts=timeouts, base_url=fake.openai_base_url, **options)


async def test_text_and_usage(fake: FakeProviderServer) -> None:
    fake.enqueue(Reply("Hello there.", text_chunks=2))
    backend = chat(fake, temperature=0.3, max_tokens=64, extra_body={"top_k": 4})
    events = await collect(backend.stream(request(Message.system("be nice"), Message.user("hi"))))
    await backend.aclose()
    assert "".join(e.text for e in of_type(events, TextDelta)) == "Hello there."
    assert of_type(events, Usage)[0].output_tokens > 0
    assert isinstance(events[-1], Done) and events[-1].stop_reason == "end_turn"
    sent = fake.last_request
    assert sent.wire_format is WireFormat.OPENAI_CHAT
    body = sent.json
    assert body["messages"] == [{"role": "system", "content": "be nice"}, {"role": "user", "content": "hi"}]
    assert body["stream_options"] == {"include_usage": True}
    assert (body["temperature"], body["max_tokens"], body["top_k"]) == (0.3, 64, 4)
    assert sent.headers["authorization"] == "Bearer EMPTY"  # a local, unknown server: no key needed


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
async def test_reasoning_deltas(fake: FakeProviderServer, field: str) -> None:
    fake.enqueue(Reply("4", reasoning=Reasoning("2+2 is 4", chat_field=field)))
    backend = chat(fake)
    events = await collect(backend.stream(request("2+2?")))
    await backend.aclose()
    assert "".join(e.text for e in of_type(events, ReasoningDelta)) == "2+2 is 4"


@pytest.mark.parametrize("repeat", [False, True])
async def test_parallel_tool_calls_and_round_trip(fake: FakeProviderServer, repeat: bool) -> None:
    fake.enqueue(
        Reply(
            tool_calls=[
                ScriptedToolCall("get_weather", {"city": "Paris"}, id="call_1", chunks=3),
                ScriptedToolCall("get_weather", {"city": "Rome"}, id="call_2", chunks=2),
            ],
            chat_repeat_tool_identity=repeat,
        ),
        Reply("Both sunny."),
    )
    backend = chat(fake)
    first = await collect(backend.stream(request("weather?", tools=[TOOL])))
    calls = [e.call for e in of_type(first, ToolCall)]
    assert [(c.id, c.name, dict(c.arguments)) for c in calls] == [
        ("call_1", "get_weather", {"city": "Paris"}),
        ("call_2", "get_weather", {"city": "Rome"}),
    ]
    done = first[-1]
    assert isinstance(done, Done) and done.stop_reason == "tool_calls"
    results = Message.tool_results(
        [ToolResultPart(call_id=c.id, name=c.name, content="sunny") for c in calls]
    )
    second = await collect(backend.stream(request("weather?", done.message, results, tools=[TOOL])))
    await backend.aclose()
    assert isinstance(second[-1], Done) and second[-1].message.text == "Both sunny."
    messages = fake.last_request.json["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "tool", "tool"]
    assert [c["id"] for c in messages[1]["tool_calls"]] == ["call_1", "call_2"]


async def test_errors(fake: FakeProviderServer) -> None:
    fake.enqueue(HttpError(404), HttpError.rate_limited(retry_after=2), HttpError(503))
    backend = chat(fake, model="nope")
    with pytest.raises(ModelNotFoundError, match="loaded"):
        await collect(backend.stream(request("hi")))
    with pytest.raises(RateLimitError) as caught:
        await collect(backend.stream(request("hi")))
    assert caught.value.retry_after == 2
    with pytest.raises(ProviderServerError):
        await collect(backend.stream(request("hi")))
    await backend.aclose()


async def test_midstream_error_chunk(fake: FakeProviderServer) -> None:
    fake.enqueue(Reply("a b c", text_chunks=3, fault=ScriptedStreamError(after=1)))
    backend = chat(fake)
    events = await collect(resilient(backend, request("hi"), timeouts=FAST, max_attempts=1))
    await backend.aclose()
    assert of_type(events, TextDelta) and isinstance(events[-1], StreamError)
    assert isinstance(events[-1].error, ProviderServerError)


async def test_disconnect_is_an_error(fake: FakeProviderServer) -> None:
    fake.enqueue(Reply("a b c", text_chunks=3, fault=Disconnect(after=1)))
    backend = chat(fake)
    with pytest.raises(BackendError):
        await collect(backend.stream(request("hi")))
    await backend.aclose()


async def test_stall_hits_the_idle_timeout(fake: FakeProviderServer) -> None:
    fake.enqueue(Reply("a b c", text_chunks=3, fault=Stall(after=1)))
    timeouts = Timeouts(connect=2, first_event=2, idle=0.3, total=10)
    backend = chat(fake, timeouts=timeouts)
    events = await collect(resilient(backend, request("hi"), timeouts=timeouts, max_attempts=1))
    await backend.aclose()
    assert isinstance(events[-1], StreamError) and isinstance(events[-1].error, BackendTimeoutError)


# -- presets and keys --------------------------------------------------------------------------------


def test_key_is_picked_from_the_env_var_matching_base_url() -> None:
    options = backend_options("chatcompletion", model="llama", base_url="https://api.groq.com/openai/v1")
    context = installed_registry().context_for("chatcompletion", options, environ={})
    assert resolve_chat_api_key(context, environ={"GROQ_API_KEY": "gsk", "OPENAI_API_KEY": "sk"}) == "gsk"
    with pytest.raises(AuthenticationError, match="GROQ_API_KEY"):
        resolve_chat_api_key(context, environ={"OPENAI_API_KEY": "sk"})


@pytest.mark.parametrize(
    ("url", "env"),
    [
        ("https://api.cerebras.ai/v1", "CEREBRAS_API_KEY"),
        ("https://api.together.xyz/v1", "TOGETHER_API_KEY"),
        ("https://api.fireworks.ai/inference/v1", "FIREWORKS_API_KEY"),
        ("https://openrouter.ai/api/v1", "OPENROUTER_API_KEY"),
        ("https://api.z.ai/api/paas/v4", "ZAI_API_KEY"),
        ("https://open.bigmodel.cn/api/paas/v4", "ZAI_API_KEY"),
        ("https://api.studio.nebius.com/v1", "NEBIUS_API_KEY"),
        ("https://api.moonshot.cn/v1", "MOONSHOT_API_KEY"),
        ("https://dashscope.aliyuncs.com/compatible-mode/v1", "QWEN_API_KEY"),
        ("https://api.openai.com/v1", "OPENAI_API_KEY"),
    ],
)
def test_each_preset_host_picks_its_env_var(url: str, env: str) -> None:
    options = backend_options("chatcompletion", model="m", base_url=url)
    context = installed_registry().context_for("chatcompletion", options, environ={})
    assert resolve_chat_api_key(context, environ={env: "the-key"}) == "the-key"


def test_explicit_key_wins() -> None:
    options = backend_options(
        "chatcompletion", model="m", base_url="https://api.groq.com/openai/v1", api_key="mine"
    )
    context = installed_registry().context_for("chatcompletion", options, environ={})
    assert resolve_chat_api_key(context, environ={"GROQ_API_KEY": "gsk"}) == "mine"


def test_preset_types_know_their_base_url_and_key() -> None:
    registry = installed_registry()
    spec = registry.spec("zai")
    assert spec.default_base_url == "https://api.z.ai/api/paas/v4" and spec.api_key_env == ("ZAI_API_KEY",)
    assert spec.default_model == "glm-4.5" and {m.name for m in spec.models} == {"glm-4.5", "glm-4.5-air"}
    options = backend_options("cerebras", model=None)
    with pytest.raises(AuthenticationError, match="CEREBRAS_API_KEY"):
        registry.context_for("cerebras", options, environ={})
    context = registry.context_for("cerebras", options, environ={"CEREBRAS_API_KEY": "c"})
    assert context.base_url == "https://api.cerebras.ai/v1" and context.model == "gpt-oss-120b"


async def test_preset_type_against_the_fake(
    fake: FakeProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZAI_API_KEY", "zai-key")
    fake.enqueue(Reply("GLM here", reasoning=Reasoning("glm thinks")))
    backend = build("zai", base_url=fake.openai_base_url)
    events = await collect(backend.stream(request("hi")))
    await backend.aclose()
    assert events[-1].message.text == "GLM here" and of_type(events, ReasoningDelta)
    assert fake.last_request.json["model"] == "glm-4.5"
    assert fake.last_request.headers["authorization"] == "Bearer zai-key"


# -- grok -----------------------------------------------------------------------------------------------


async def test_grok_live_search_parameters(fake: FakeProviderServer) -> None:
    fake.enqueue(Reply("Latest news."))
    backend = build(
        "grok",
        model="grok-3-mini",
        api_key="xai-key",
        base_url=fake.openai_base_url,
        enable_web_search=True,
        extra_body={"search_parameters": {"mode": "on", "max_search_results": 3}},
    )
    events = await collect(backend.stream(request("news?")))
    await backend.aclose()
    assert isinstance(events[-1], Done) and events[-1].message.text == "Latest news."
    body = fake.last_request.json
    assert body["search_parameters"] == {"mode": "on", "return_citations": True, "max_search_results": 3}
    assert body["model"] == "grok-3-mini"


async def test_grok_without_search_sends_no_search_parameters(fake: FakeProviderServer) -> None:
    backend = build("grok", model="grok-4", api_key="k", base_url=fake.openai_base_url)
    await collect(backend.stream(request("hi")))
    await backend.aclose()
    assert "search_parameters" not in fake.last_request.json


def test_grok_rejects_bad_search_parameters() -> None:
    with pytest.raises(ConfigError, match="mode"):
        build("grok", model="grok-4", api_key="k", extra_body={"search_parameters": {"mode": "always"}})


def test_grok_reasoning_effort_only_on_grok_3_mini() -> None:
    build("grok", model="grok-3-mini", api_key="k", reasoning_effort="high")
    with pytest.raises(ConfigError, match="reasoning"):
        backend_options("grok", model="grok-4", reasoning_effort="high")
