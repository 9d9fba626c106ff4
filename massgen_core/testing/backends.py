"""Driving a backend in tests the way the CLI does: built through the config loader and the
registry, fed a :class:`~massgen_core.backend.ChatRequest`, its stream collected.

::

    backend = build_backend("mybackend", model="m1", base_url=f"{fake.url}/v1", api_key="k")
    events = await collect(backend.stream(chat_request("Hi")))
    assert of_type(events, TextDelta)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any, TypeVar

from ..backend import Backend, ChatRequest, Timeouts
from ..events import StreamEvent
from ..messages import Message

__all__ = ["build_backend", "chat_request", "collect", "of_type"]

T = TypeVar("T")


def build_backend(backend_type: str, *, timeouts: Timeouts | None = None, **options: Any) -> Backend:
    """A backend built as ``massgen --backend TYPE --model M --base-url URL`` builds one: the
    options are validated by the config loader, then the registry builds it."""
    from ..config import single_agent_config
    from ..registry import get_registry

    model, base_url = options.pop("model", None), options.pop("base_url", None)
    backend = single_agent_config(backend_type, model, base_url, **options).agents[0].backend
    return get_registry().build(backend.type, backend.options, timeouts=timeouts or Timeouts())


def chat_request(*messages: Message | str, **kwargs: Any) -> ChatRequest:
    """A request of ``messages`` (strings are user messages); ``kwargs`` go to :class:`ChatRequest`."""
    return ChatRequest(messages=[Message.user(m) if isinstance(m, str) else m for m in messages], **kwargs)


async def collect(stream: AsyncIterator[StreamEvent]) -> list[StreamEvent]:
    """Every event of ``stream``."""
    return [event async for event in stream]


def of_type(events: Sequence[Any], cls: type[T]) -> list[T]:
    """The events that are instances of ``cls``."""
    return [e for e in events if isinstance(e, cls)]
