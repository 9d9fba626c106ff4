"""``azure_openai``: route and client selection, and real Azure URL shapes served by the fake provider.

The fake provider serves OpenAI paths only (``/v1/chat/completions``, ``/v1/responses``), so the
SDK's Azure requests go through a transport that records the Azure URL and headers, then
forwards them to the fake under the OpenAI path.
"""

from __future__ import annotations

import re
from typing import Any

import httpx2
import pytest
from massgen_core.plugin import ConfigError, Done, ModelNotFoundError, ToolCall, ToolDefinition
from massgen_core.testing.backends import backend_options, installed_registry
from massgen_core.testing.fake_provider import FakeProviderServer, HttpError, Reasoning, Reply, WireFormat
from massgen_core.testing.fake_provider import ToolCall as ScriptedToolCall
from openai_testkit import anyio_backend, collect, fake, of_type, request  # noqa: F401  (fixtures)

from massgen_openai.azure_backend import (
    AzureChatBackend,
    AzureResponsesBackend,
    azure_client,
    azure_target,
    create_azure_backend,
)

pytestmark = pytest.mark.anyio

ENDPOINT = "https://myres.openai.azure.com"
TOOL = ToolDefinition(name="lookup", description="l", parameters={"type": "object", "properties": {}})


class AzureToFake(httpx2.AsyncBaseTransport):
    """Records each Azure request, then sends it to the fake provider's OpenAI path."""

    def __init__(self, fake: FakeProviderServer) -> None:
        self.fake = fake
        self.inner = httpx2.AsyncHTTPTransport()
        self.seen: list[httpx2.Request] = []  # as the SDK built them

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        self.seen.append(httpx2.Request(request.method, request.url, headers=request.headers))
        path = re.sub(r"^/openai/(v1/|deployments/[^/]+/)?", "/v1/", request.url.path)
        request.url = request.url.copy_with(
            scheme="http", host=self.fake.host, port=self.fake.port, path=path
        )
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def options(**kwargs: Any) -> Any:
    return backend_options("azure_openai", model=kwargs.pop("model", "my-gpt5"), base_url=ENDPOINT, **kwargs)


def backend(fake: FakeProviderServer, transport: AzureToFake, **kwargs: Any) -> Any:
    opts = options(api_key="azure-key", **kwargs)
    context = installed_registry().context_for("azure_openai", opts, environ={})
    target = azure_target(opts, context, environ={})
    client = azure_client(target, context, None, http_client=httpx2.AsyncClient(transport=transport))
    cls = AzureResponsesBackend if target.route == "responses" else AzureChatBackend
    return cls(opts, context, client=client)


@pytest.fixture
def transport(fake: FakeProviderServer) -> AzureToFake:
    return AzureToFake(fake)


# -- route selection ---------------------------------------------------------------------------------


def _target(environ: dict[str, str] | None = None, **kwargs: Any) -> Any:
    opts = options(api_key="k", **kwargs)
    return azure_target(
        opts, installed_registry().context_for("azure_openai", opts, environ={}), environ=environ or {}
    )


def test_default_is_chat_completions_on_the_v1_api() -> None:
    target = _target()
    assert target.route == "chat_completions" and target.v1
    assert target.v1_base_url == "https://myres.openai.azure.com/openai/v1/"


def test_builtin_tools_pick_the_responses_route() -> None:
    assert _target(enable_web_search=True).route == "responses"
    assert _target(reasoning={"summary": "auto"}).route == "responses"
    assert (
        _target({"AZURE_OPENAI_API_VERSION": "2025-04-01-preview"}, enable_code_interpreter=True).route
        == "responses"
    )


def test_old_api_version_with_builtin_tools_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="2025-03-01-preview"):
        _target({"AZURE_OPENAI_API_VERSION": "2024-02-15-preview"}, enable_web_search=True)
    with pytest.raises(ConfigError, match="api: responses"):
        _target(api="chat_completions", enable_web_search=True)


def test_missing_endpoint_names_the_env_var() -> None:
    opts = backend_options("azure_openai", model="dep", api_key="k")
    context = installed_registry().context_for("azure_openai", opts, environ={})
    with pytest.raises(ConfigError, match="AZURE_OPENAI_ENDPOINT"):
        create_azure_backend(opts, context)


def test_endpoint_and_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_API_VERSION", "2025-04-01-preview")
    opts = backend_options("azure_openai", model="dep", enable_web_search=True)
    env = {"AZURE_OPENAI_API_KEY": "k", "AZURE_OPENAI_ENDPOINT": ENDPOINT}
    context = installed_registry().context_for("azure_openai", opts, environ=env)
    assert context.api_key == "k" and context.base_url == ENDPOINT
    assert isinstance(create_azure_backend(opts, context), AzureResponsesBackend)


# -- requests -----------------------------------------------------------------------------------------


async def test_v1_chat_completions_with_native_tools(
    fake: FakeProviderServer, transport: AzureToFake
) -> None:
    fake.enqueue(Reply(tool_calls=[ScriptedToolCall("lookup", {"q": "x"}, id="call_9")]))
    azure = backend(fake, transport, max_tokens=100)
    events = await collect(azure.stream(request("hi", tools=[TOOL])))
    await azure.aclose()
    (call,) = [e.call for e in of_type(events, ToolCall)]
    assert call.name == "lookup" and dict(call.arguments) == {"q": "x"}
    (sent,) = transport.seen
    assert str(sent.url) == "https://myres.openai.azure.com/openai/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer azure-key"
    body = fake.last_request.json
    assert body["model"] == "my-gpt5" and body["max_completion_tokens"] == 100
    assert body["tools"][0]["function"]["name"] == "lookup"


async def test_dated_api_version_uses_deployment_urls(
    fake: FakeProviderServer, transport: AzureToFake
) -> None:
    fake.enqueue(Reply("hello"))
    azure = backend(fake, transport, api_version="2024-02-15-preview", max_tokens=10)
    events = await collect(azure.stream(request("hi")))
    await azure.aclose()
    assert isinstance(events[-1], Done) and events[-1].message.text == "hello"
    (sent,) = transport.seen
    assert sent.url.path == "/openai/deployments/my-gpt5/chat/completions"
    assert sent.url.params["api-version"] == "2024-02-15-preview"
    assert sent.headers["api-key"] == "azure-key"
    body = fake.last_request.json
    assert "stream_options" not in body and body["max_tokens"] == 10  # not known to that API version


async def test_responses_route(fake: FakeProviderServer, transport: AzureToFake) -> None:
    fake.enqueue(Reply("searched", reasoning=Reasoning("hmm")))
    azure = backend(
        fake,
        transport,
        api_version="2025-04-01-preview",
        enable_web_search=True,
        reasoning={"effort": "low", "summary": "auto"},
    )
    events = await collect(azure.stream(request("hi")))
    await azure.aclose()
    assert isinstance(events[-1], Done) and events[-1].message.text == "searched"
    (sent,) = transport.seen
    assert sent.url.path == "/openai/responses" and sent.url.params["api-version"] == "2025-04-01-preview"
    assert fake.last_request.wire_format is WireFormat.OPENAI_RESPONSES
    assert fake.last_request.json["tools"] == [{"type": "web_search"}]


async def test_unknown_deployment_hint(fake: FakeProviderServer, transport: AzureToFake) -> None:
    fake.enqueue(
        HttpError(
            404, code="DeploymentNotFound", message="The API deployment for this resource does not exist."
        )
    )
    azure = backend(fake, transport)
    with pytest.raises(ModelNotFoundError, match="deployment named 'my-gpt5'"):
        await collect(azure.stream(request("hi")))
    await azure.aclose()
