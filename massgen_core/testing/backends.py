"""Driving a backend in tests the way the CLI does: built through the config loader and the
registry, fed a :class:`~massgen_core.plugin.backend.ChatRequest`, its stream collected.

::

    backend = build_backend("mybackend", model="m1", base_url=f"{fake.url}/v1", api_key="k")
    events = await collect(backend.stream(chat_request("Hi")))
    assert of_type(events, TextDelta)

``build_backend`` gives the bare backend: no retries, no timeouts. Wrap its stream in
:func:`resilient` to get the core's retry and timeout loop, as every agent does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from ..plugin.backend import Backend, ChatRequest
from ..plugin.messages import Message
from ..plugin.options import BackendOptions
from ..plugin.specs import BackendContext, BackendSpec, Timeouts, ToolSpec
from ..plugin.stream import BackendEvent, StreamEvent

if TYPE_CHECKING:
    from ..host.registry import Registry
    from ..tools.toolset import Tool

__all__ = [
    "backend_context",
    "backend_options",
    "backend_spec",
    "build_backend",
    "capabilities",
    "chat_request",
    "collect",
    "function_tool",
    "installed_backend_types",
    "installed_registry",
    "of_type",
    "option_requirements",
    "resilient",
]

T = TypeVar("T")


def backend_options(backend_type: str, **options: Any) -> BackendOptions:
    """The options instance the config loader makes of a ``backend:`` block of ``backend_type``
    with ``options`` (``model``, ``base_url`` and the backend's keys); raises ``ConfigError`` as
    ``massgen validate`` would report it."""
    from ..config.loader import single_agent_config

    model, base_url = options.pop("model", None), options.pop("base_url", None)
    return single_agent_config(backend_type, model, base_url, **options).agents[0].backend.options


def backend_context(
    backend_type: str,
    options: BackendOptions,
    *,
    timeouts: Timeouts | None = None,
    environ: Mapping[str, str] | None = None,
) -> BackendContext:
    """The :class:`BackendContext` the core resolves for a backend about to be built (model, key
    and base URL from ``options``, then ``environ``, then the spec's defaults)."""
    from ..host.registry import get_registry

    return get_registry().context_for(backend_type, options, timeouts=timeouts, environ=environ)


def build_backend(
    backend_type: str,
    *,
    timeouts: Timeouts | None = None,
    environ: Mapping[str, str] | None = None,
    **options: Any,
) -> Backend:
    """A backend built as ``massgen --backend TYPE --model M --base-url URL`` builds one: the
    options are validated by the config loader, then the registry builds it. It has no retries
    and no timeouts of its own: see :func:`resilient`."""
    from ..host.registry import get_registry

    opts = backend_options(backend_type, **options)
    return get_registry().build(backend_type, opts, timeouts=timeouts or Timeouts(), environ=environ)


def backend_spec(backend_type: str) -> BackendSpec:
    """The installed :class:`BackendSpec` of ``backend_type``."""
    from ..host.registry import get_registry

    return get_registry().spec(backend_type)


def capabilities(backend_type: str, model: str | None = None) -> frozenset[str]:
    """The capability kinds ``backend_type`` has with ``model`` (its default model when ``None``)."""
    from ..host.registry import get_registry

    return get_registry().capabilities(backend_type, model or backend_spec(backend_type).default_model)


def installed_backend_types() -> list[str]:
    """Every backend type the installed plugins provide."""
    from ..host.registry import get_registry

    return sorted(get_registry().backends)


def chat_request(*messages: Message | str, **kwargs: Any) -> ChatRequest:
    """A request of ``messages`` (strings are user messages); ``kwargs`` go to :class:`ChatRequest`."""
    return ChatRequest(messages=[Message.user(m) if isinstance(m, str) else m for m in messages], **kwargs)


def resilient(
    backend: Backend,
    request: ChatRequest,
    *,
    timeouts: Timeouts | None = None,
    max_attempts: int = 3,
    initial_delay: float = 0.01,
    name: str | None = None,
) -> AsyncIterator[StreamEvent]:
    """``backend.stream(request)`` inside the core's retry and timeout loop, as agents run it:
    failures end in a :class:`~massgen_core.plugin.stream.StreamError` event instead of an exception."""
    from ..runtime.resilience import RetryPolicy, resilient_stream

    policy = RetryPolicy(max_attempts=max_attempts, initial_delay=initial_delay)
    return resilient_stream(backend, request, timeouts=timeouts, policy=policy, name=name)


async def collect(stream: AsyncIterator[BackendEvent] | AsyncIterator[StreamEvent]) -> list[StreamEvent]:
    """Every event of ``stream``."""
    return [event async for event in stream]


def of_type(events: Sequence[Any], cls: type[T]) -> list[T]:
    """The events that are instances of ``cls``."""
    return [e for e in events if isinstance(e, cls)]


def installed_registry() -> Registry:
    """The registry of the installed plugins, read-only, for tests of a plugin's declarations:
    ``spec(type)``, ``entry(type).distribution``, ``capabilities(type, model)``,
    ``infer_type(model)``, ``kinds``, ``backends``, ``context_for(type, options, environ=...)``,
    and ``host.failures``."""
    from ..host.registry import get_registry

    return get_registry()


def option_requirements(options_class: type) -> dict[str, str | None]:
    """Each option of ``options_class`` and the capability kind it needs (``None``: none)."""
    from ..plugin.options import option_fields, required_capability

    return {name: required_capability(field) for name, field in option_fields(options_class).items()}


def function_tool(spec: ToolSpec) -> Tool:
    """The :class:`~massgen_core.tools.toolset.Tool` an agent makes of a plugin's ``ToolSpec`` (its
    ``definition`` is what the model sees; ``await tool.call(arguments)`` runs it)."""
    from ..tools.toolset import FunctionTool

    return FunctionTool(spec)
