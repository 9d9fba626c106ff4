"""The ``openai`` backend: OpenAI's Responses API, streamed (imports ``openai``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Hashable
from typing import Any

import attrs
from massgen_core.plugin import BackendContext, BackendEvent, ChatRequest, ClientLease

from .client import lease_sdk_client, open_event_stream, openai_client
from .errors import ErrorContext
from .file_search import FileSearch
from .models import is_reasoning_model
from .options import ResponsesOptions
from .responses_request import ResponsesSettings, build_responses_params
from .responses_stream import ResponsesStreamConverter
from .sdk_stream import convert_sdk_stream

__all__ = ["ResponsesBackend"]


def wants_encrypted_reasoning(options: ResponsesOptions, context: BackendContext) -> bool:
    """Whether to ask for (and replay) encrypted reasoning: reasoning models only (others reject it)."""
    if "reasoning" not in context.capabilities:
        return False
    if context.spec.model(context.model) is not None or options.reasoning is not None:
        return True
    return is_reasoning_model(context.model)


class ResponsesBackend:
    """Streams a :class:`ChatRequest` from ``POST /responses`` (see :func:`.client.open_event_stream`).

    Subclasses (Azure) override :meth:`make_client`. ``client`` may be injected (tests).
    """

    def __init__(self, options: ResponsesOptions, context: BackendContext, *, client: Any = None) -> None:
        self.options = options
        self.context = context
        self.errors = ErrorContext(
            backend=context.backend_type,
            model=context.model,
            base_url=context.base_url,
            api_key_env=context.api_key_env,
            known_models=tuple(m.name for m in context.spec.models),
        )
        self.settings = ResponsesSettings(
            model=context.model,
            backend=context.backend_type,
            store=options.store,
            encrypted_reasoning=wants_encrypted_reasoning(options, context),
            web_search=options.enable_web_search,
            code_interpreter=options.enable_code_interpreter,
            image_generation=options.enable_image_generation,
        )
        self.media_dir = context.workspace
        if client is not None:  # injected: closed with the backend
            self.lease = ClientLease(client, client.close)
        else:
            self.lease = lease_sdk_client(self, self.make_client, *self.client_built_from())
        self.client = self.lease.client
        #: documents given with the question go to file search where the backend declares it
        self.file_search = (
            FileSearch(self.client, self.errors) if "file_search" in context.capabilities else None
        )

    def client_built_from(self) -> tuple[Hashable, ...]:
        """What :meth:`make_client` reads besides the context and the headers."""
        return ()

    def make_client(self) -> Any:
        return openai_client(
            api_key=self.context.api_key or "",
            base_url=self.context.base_url,
            timeouts=self.context.timeouts,
            headers=self.options.extra_headers,
        )

    def request_params(
        self, request: ChatRequest, settings: ResponsesSettings | None = None
    ) -> dict[str, Any]:
        """The JSON body (plus ``extra_body``) of the Responses request for ``request``."""
        return build_responses_params(request, self.options, settings or self.settings)

    async def stream(self, request: ChatRequest) -> AsyncIterator[BackendEvent]:
        settings = self.settings
        if self.file_search is not None:
            messages, store = await self.file_search.prepare(request.messages)
            if store is not None:
                request = attrs.evolve(request, messages=messages)
                settings = attrs.evolve(settings, file_search_store=store)
        params = self.request_params(request, settings)
        converter = ResponsesStreamConverter(self.errors, media_dir=self.media_dir)
        opening = open_event_stream(self.client, "/responses", params)
        async for event in convert_sdk_stream(opening, converter, self.errors):
            yield event

    async def aclose(self) -> None:
        try:
            if self.file_search is not None:
                await self.file_search.aclose()
        finally:
            await self.lease.release()
