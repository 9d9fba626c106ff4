"""One SDK stream → MassGen events loop, shared by the Chat Completions and Responses backends."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Iterable, Mapping
from typing import Any, Protocol

from massgen_core.plugin import BackendError, BackendEvent

from .client import SDK_ERRORS, as_dict
from .errors import ErrorContext, map_sdk_error

__all__ = ["StreamConverter", "convert_sdk_stream"]


class StreamConverter(Protocol):
    """Turns the provider's stream items (as dicts) into MassGen events."""

    def feed(self, item: Mapping[str, Any]) -> Iterable[BackendEvent]: ...

    def finish(self) -> Iterable[BackendEvent]: ...


async def convert_sdk_stream(
    opening: Awaitable[Any], converter: StreamConverter, errors: ErrorContext
) -> AsyncIterator[BackendEvent]:
    """Await the SDK's stream, feed each item to ``converter``, map SDK errors to MassGen's."""
    try:
        stream = await opening
        async with stream:
            async for item in stream:
                for event in converter.feed(as_dict(item)):
                    yield event
    except BackendError:
        raise
    except SDK_ERRORS as exc:
        raise map_sdk_error(exc, errors) from exc
    for event in converter.finish():
        yield event
