"""The ``azure_openai`` backend: Azure OpenAI deployments, on Chat Completions or the Responses API.

* ``model`` is the deployment name; the endpoint is ``base_url`` or ``AZURE_OPENAI_ENDPOINT``; the
  key ``api_key`` or ``AZURE_OPENAI_API_KEY``; the API version ``api_version`` or
  ``AZURE_OPENAI_API_VERSION``.
* No API version (or ``v1``/``preview``) uses Azure's v1 API (``<endpoint>/openai/v1/``, the plain
  OpenAI client); a dated version uses the ``AzureOpenAI`` client (``api-version`` query,
  ``/openai/deployments/<name>/chat/completions``).
* ``api: auto`` (the default) takes Chat Completions, which every deployment and API version
  serves, unless an option needs the Responses API (built-in tools, reasoning summaries,
  verbosity); ``responses`` / ``chat_completions`` force a route. Tools are native function
  calls on both routes (MassGen's Azure backend parsed JSON out of the text instead).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any, Literal

import attrs
import openai
from massgen_core.plugin import BackendContext, ConfigError, http_timeout

from .chat_backend import ChatCompletionsBackend
from .chat_request import ChatSettings
from .errors import ErrorContext
from .options import AzureOpenAIOptions
from .responses_backend import ResponsesBackend

__all__ = ["AzureChatBackend", "AzureResponsesBackend", "AzureTarget", "azure_target", "create_azure_backend"]

Route = Literal["responses", "chat_completions"]
#: the first dated API versions with the Responses API / stream_options and max_completion_tokens
RESPONSES_SINCE = "2025-03-01-preview"
STREAM_USAGE_SINCE = "2024-09-01-preview"
_V1_ALIASES = ("v1", "latest", "preview")


@attrs.frozen(kw_only=True)
class AzureTarget:
    """Where and how to call Azure, resolved from options and the environment."""

    endpoint: str
    api_version: str | None  # None: the v1 API
    route: Route

    @property
    def v1(self) -> bool:
        return self.api_version is None or self.api_version in _V1_ALIASES

    def at_least(self, version: str) -> bool:
        return self.v1 or (self.api_version or "")[:10] >= version[:10]

    @property
    def v1_base_url(self) -> str:
        base = self.endpoint.rstrip("/")
        return base + "/" if base.endswith("/openai/v1") else base + "/openai/v1/"


def _needs_responses(options: AzureOpenAIOptions) -> list[str]:
    reasons = [
        name
        for name in ("enable_web_search", "enable_code_interpreter", "enable_image_generation")
        if getattr(options, name)
    ]
    if options.reasoning is not None and options.reasoning.summary not in (None, "never"):
        reasons.append("reasoning.summary")
    return reasons


def azure_target(
    options: AzureOpenAIOptions, context: BackendContext, environ: Mapping[str, str] | None = None
) -> AzureTarget:
    env = context.environ if environ is None else environ
    endpoint = context.base_url
    if not endpoint:
        raise ConfigError(
            "azure_openai needs your resource's endpoint: set AZURE_OPENAI_ENDPOINT "
            "(https://<resource>.openai.azure.com) or base_url in the backend config"
        )
    version = options.api_version or env.get("AZURE_OPENAI_API_VERSION") or None
    needs = _needs_responses(options)
    probe = AzureTarget(endpoint=endpoint, api_version=version, route="chat_completions")
    route: Route
    if options.api == "auto":
        route = "responses" if needs and probe.at_least(RESPONSES_SINCE) else "chat_completions"
    else:
        route = options.api
    if route == "chat_completions" and needs:
        why = (
            f"the API version {version} predates the Responses API ({RESPONSES_SINCE}); unset "
            f"AZURE_OPENAI_API_VERSION / api_version to use the v1 API"
            if options.api == "auto"
            else "set api: responses (or auto)"
        )
        raise ConfigError(f"azure_openai: {', '.join(needs)} need(s) the Responses API: {why}")
    if route == "responses" and not probe.at_least(RESPONSES_SINCE):
        raise ConfigError(
            f"azure_openai: api: responses needs API version {RESPONSES_SINCE} or later (or the v1 API: "
            f"unset api_version), not {version}"
        )
    return AzureTarget(endpoint=endpoint, api_version=version, route=route)


def azure_client(
    target: AzureTarget,
    context: BackendContext,
    headers: Mapping[str, str] | None,
    *,
    http_client: Any = None,
) -> Any:
    """The SDK client for ``target`` (``http_client``: an ``httpx2.AsyncClient``, for tests)."""
    common: dict[str, Any] = {
        "api_key": context.api_key or "",
        "max_retries": 0,
        "timeout": http_timeout(context.timeouts),
        "default_headers": dict(headers) if headers else None,
        "http_client": http_client,
    }
    if target.v1:
        query = {"api-version": target.api_version} if target.api_version == "preview" else None
        return openai.AsyncOpenAI(base_url=target.v1_base_url, default_query=query, **common)
    return openai.AsyncAzureOpenAI(azure_endpoint=target.endpoint, api_version=target.api_version, **common)


def _error_context(context: BackendContext, target: AzureTarget) -> ErrorContext:
    return ErrorContext(
        backend=context.backend_type,
        model=context.model,
        base_url=target.endpoint,
        api_key_env=context.api_key_env,
        not_found_hint=(
            f"For Azure, model is the deployment name: check that a deployment named {context.model!r} "
            f"exists in {target.endpoint}"
            + (f" and supports API version {target.api_version}" if not target.v1 else "")
        ),
        openai_paths=False,  # no /v1 to add, no GET /models to try: Azure's paths are its own
        endpoint_hints=(
            "check the endpoint (AZURE_OPENAI_ENDPOINT or base_url): your resource's "
            "https://<resource>.openai.azure.com, as shown in the Azure portal",
        ),
    )


class AzureResponsesBackend(ResponsesBackend):
    """The Responses route (``/openai/v1/responses`` or ``/openai/responses?api-version=``)."""

    def __init__(self, options: AzureOpenAIOptions, context: BackendContext, *, client: Any = None) -> None:
        self.target = azure_target(options, context)
        super().__init__(options, context, client=client)
        self.errors = _error_context(context, self.target)

    def client_built_from(self) -> tuple[Hashable, ...]:
        return (self.target,)

    def make_client(self) -> Any:
        return azure_client(self.target, self.context, self.options.extra_headers)


class AzureChatBackend(ChatCompletionsBackend):
    """The Chat Completions route (``/openai/deployments/<name>/chat/completions`` or v1)."""

    presets = ()

    def __init__(self, options: AzureOpenAIOptions, context: BackendContext, *, client: Any = None) -> None:
        self.target = azure_target(options, context)
        super().__init__(options, context, client=client)
        self.errors = _error_context(context, self.target)

    def resolve_api_key(self) -> str:
        return self.context.api_key or ""

    def settings_from(self, options: Any) -> ChatSettings:
        assert isinstance(options, AzureOpenAIOptions)
        modern = self.target.at_least(STREAM_USAGE_SINCE)
        return ChatSettings(
            model=self.context.model,
            backend=self.context.backend_type,
            temperature=options.temperature,
            top_p=options.top_p,
            max_tokens=options.max_tokens,
            max_tokens_parameter="max_completion_tokens" if modern else "max_tokens",
            parallel_tool_calls=options.parallel_tool_calls,
            reasoning_effort=options.reasoning.effort if options.reasoning else None,
            verbosity=options.text.verbosity if options.text else None,
            stream_usage=modern,
            extra_body=dict(options.extra_body or {}),
        )

    def client_built_from(self) -> tuple[Hashable, ...]:
        return (self.target,)

    def make_client(self) -> Any:
        return azure_client(self.target, self.context, self.options.extra_headers)


def create_azure_backend(options: AzureOpenAIOptions, context: BackendContext) -> Any:
    """The factory of ``azure_openai``: the backend of the route the options and API version pick."""
    if azure_target(options, context).route == "responses":
        return AzureResponsesBackend(options, context)
    return AzureChatBackend(options, context)
