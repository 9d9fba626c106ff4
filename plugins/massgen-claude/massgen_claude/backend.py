"""The ``claude`` backend: Anthropic's Messages API, streamed through the anthropic SDK."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, cast

from massgen_core.plugin import (
    BackendContext,
    BackendError,
    ChatRequest,
    ClientLease,
    StreamEvent,
    lease_client,
)

from .client import SDK_ERRORS, anthropic_client, open_message_stream
from .errors import ErrorContext, map_sdk_error
from .options import ClaudeOptions
from .request import build_params
from .stream import ClaudeStreamConverter

__all__ = ["MAX_CONTINUATIONS", "ClaudeBackend"]

#: how many times a turn the API paused (``pause_turn``: a long server-tool run) is continued
MAX_CONTINUATIONS = 5


class ClaudeBackend:
    """Streams a :class:`ChatRequest` from ``POST /v1/messages``. ``client`` may be injected (tests)."""

    def __init__(self, options: ClaudeOptions, context: BackendContext, *, client: Any = None) -> None:
        self.options = options
        self.context = context
        self.errors = ErrorContext(
            backend=context.backend_type,
            model=context.model,
            base_url=context.base_url,
            api_key_env=context.api_key_env,
            known_models=tuple(m.name for m in context.spec.models),
        )
        if client is not None:  # injected: closed with the backend
            self.lease = ClientLease(client, client.close)
        else:
            self.lease = lease_client(context, self.make_client, _close, options.extra_headers or {})
        self.client = self.lease.client

    def make_client(self) -> Any:
        return anthropic_client(
            api_key=self.context.api_key or "",
            base_url=self.context.base_url,
            timeouts=self.context.timeouts,
            headers=self.options.extra_headers,
        )

    def request_params(self, request: ChatRequest) -> dict[str, Any]:
        """The JSON body of the Messages request for ``request``."""
        return build_params(
            request, self.options, model=self.context.model, backend=self.context.backend_type
        )

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        params = self.request_params(request)
        converter = ClaudeStreamConverter(self.errors)
        for continuation in range(MAX_CONTINUATIONS + 1):
            if continuation:  # the API paused the turn: send it back as it is so far, to go on
                params = params | {
                    "messages": [*params["messages"], {"role": "assistant", "content": converter.content}]
                }
                converter.next_stream()
            try:
                async with await open_message_stream(self.client, params, betas=self.options.betas) as events:
                    async for event in events:
                        for out in converter.feed(cast(Mapping[str, Any], event)):
                            yield out
            except BackendError:
                raise
            except SDK_ERRORS as exc:
                raise map_sdk_error(exc, self.errors) from exc
            if not converter.paused:
                break
        for out in converter.finish():
            yield out

    async def aclose(self) -> None:
        await self.lease.release()


async def _close(client: Any) -> None:
    await client.close()
