"""The OpenAI-compatible Chat Completions backend (``chatcompletion`` and the provider presets).

Built to be reused: ``massgen-local`` (LM Studio, vLLM, SGLang) subclasses it, setting
:attr:`ChatCompletionsBackend.presets` to its own presets and overriding
:meth:`ChatCompletionsBackend.provider_params` to send its extra keys (``top_k``,
``chat_template_kwargs``, ...). ``grok`` and Azure's chat route are subclasses too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Hashable
from typing import Any, ClassVar

from massgen_core.plugin import BackendContext, BackendEvent, ChatRequest, ClientLease

from .chat_request import ChatSettings, build_chat_params
from .chat_stream import ChatStreamConverter
from .client import lease_sdk_client, open_event_stream, openai_client
from .errors import ErrorContext
from .options import ChatCompletionOptions
from .presets import CHAT_PRESETS, ChatPreset, match_preset, resolve_chat_api_key
from .sdk_stream import convert_sdk_stream

__all__ = ["ChatCompletionsBackend"]


class ChatCompletionsBackend:
    """Streams a :class:`ChatRequest` from ``POST /chat/completions`` (see :func:`.client.open_event_stream`).

    Extension points for subclasses: :attr:`presets`, :meth:`settings_from`,
    :meth:`provider_params`, :meth:`make_client`. ``client`` may be injected (tests).
    """

    #: providers this backend knows (API-key env vars by base URL, its own type's defaults)
    presets: ClassVar[tuple[ChatPreset, ...]] = CHAT_PRESETS

    def __init__(self, options: Any, context: BackendContext, *, client: Any = None) -> None:
        self.options = options
        self.context = context
        self.api_key = self.resolve_api_key()
        preset = match_preset(context.base_url, self.presets)
        self.errors = ErrorContext(
            backend=context.backend_type,
            model=context.model,
            base_url=context.base_url,
            api_key_env=context.api_key_env or (preset.api_key_env if preset else ()),
            known_models=tuple(m.name for m in context.spec.models),
        )
        self.settings = self.settings_from(options)
        if client is not None:  # injected: closed with the backend
            self.lease = ClientLease(client, client.close)
        else:
            self.lease = lease_sdk_client(self, self.make_client, self.api_key, *self.client_built_from())
        self.client = self.lease.client

    # -- extension points ---------------------------------------------------------------------
    def resolve_api_key(self) -> str:
        return resolve_chat_api_key(self.context, presets=self.presets)

    def settings_from(self, options: Any) -> ChatSettings:
        """Request settings from the options (``ChatCompletionOptions`` or a subclass)."""
        assert isinstance(options, ChatCompletionOptions)
        extra = {**(options.extra_body or {}), **self.provider_params()}
        return ChatSettings(
            model=self.context.model,
            backend=self.context.backend_type,
            temperature=options.temperature,
            top_p=options.top_p,
            max_tokens=options.max_tokens,
            max_tokens_parameter=options.max_tokens_parameter,
            parallel_tool_calls=options.parallel_tool_calls,
            reasoning_effort=options.reasoning_effort,
            stream_usage=options.stream_usage,
            extra_body=extra,
        )

    def provider_params(self) -> dict[str, Any]:
        """Extra top-level JSON fields this provider takes (sent through ``extra_body``).

        Override in subclasses; they win over the config's ``extra_body`` on conflicts.
        """
        return {}

    def client_built_from(self) -> tuple[Hashable, ...]:
        """What :meth:`make_client` reads besides the context, the API key and the headers."""
        return ()

    def make_client(self) -> Any:
        return openai_client(
            api_key=self.api_key,
            base_url=self.context.base_url,
            timeouts=self.context.timeouts,
            headers=getattr(self.options, "extra_headers", None),
        )

    # -- the backend contract -----------------------------------------------------------------
    def request_params(self, request: ChatRequest) -> dict[str, Any]:
        """The JSON body (plus ``extra_body``) of the Chat Completions request for ``request``."""
        return build_chat_params(request, self.settings)

    def converter(self) -> ChatStreamConverter:
        return ChatStreamConverter(self.errors)

    async def stream(self, request: ChatRequest) -> AsyncIterator[BackendEvent]:
        params = self.request_params(request)
        opening = open_event_stream(self.client, "/chat/completions", params)
        async for event in convert_sdk_stream(opening, self.converter(), self.errors):
            yield event

    async def aclose(self) -> None:
        await self.lease.release()
