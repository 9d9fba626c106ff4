"""Provider clients kept from one run to the next, with their open connections.

By default a backend builds its provider's SDK client when it is built and closes it when it is
closed: each run opens its own connections, and pays a TCP (and, to a real provider, a TLS)
handshake per agent before its first request. A host that runs many teams on one event loop,
one after another or at once (``massgen serve`` does, for its whole life), opens
:func:`keep_clients` around them. While it is open, :func:`lease_client` gives every backend
built on that loop with the same key the same client (built the first time); releasing it
leaves it open for the next run; the scope closes them all when it ends.

A client's key is everything it is built from (the backend type, endpoint, API key, headers,
timeouts), so only identical clients are shared, and the agent it serves. An agent's runs share
a client; two agents do not, even with one endpoint and key: an HTTP pool looks through all of
its connections for each request, so one pool for every agent of every run would cost more
than the handshakes it saves.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from .specs import BackendContext

__all__ = ["ClientLease", "keep_clients", "lease_client"]

C = TypeVar("C")


class _Kept:
    """The clients kept on one event loop, and how to close each."""

    def __init__(self) -> None:
        self.clients: dict[Hashable, tuple[Any, Callable[[], Awaitable[object]]]] = {}

    async def aclose(self) -> None:
        clients, self.clients = self.clients, {}
        for _client, close in clients.values():
            with contextlib.suppress(Exception):  # one that fails to close does not keep others open
                await close()


_KEPT: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Kept] = weakref.WeakKeyDictionary()


class ClientLease(Generic[C]):
    """A backend's client: ``client``, and ``await release()`` when the backend is closed (which
    closes it, unless it is kept for the next run)."""

    def __init__(self, client: C, close: Callable[[], Awaitable[object]] | None) -> None:
        self.client = client
        self._close = close

    @property
    def kept(self) -> bool:
        return self._close is None

    async def release(self) -> None:
        close, self._close = self._close, None
        if close is not None:
            await close()


def _kept() -> _Kept | None:
    try:
        return _KEPT.get(asyncio.get_running_loop())
    except RuntimeError:  # no event loop running: built outside any run
        return None


def _hashable(value: object) -> Hashable:
    """A key part: a mapping as its sorted items (a part that cannot be hashed fails the lookup)."""
    return tuple(sorted(value.items())) if isinstance(value, Mapping) else value


def lease_client(
    context: BackendContext,
    build: Callable[[], C],
    close: Callable[[C], Awaitable[object]],
    *built_from: object,
) -> ClientLease[C]:
    """The client of ``context``'s backend: the one kept on this event loop for the same key
    (built by ``build`` the first time), or, outside :func:`keep_clients`, a new one that
    ``release()`` closes with ``close``.

    The key is the agent (``context.agent_id``) and the backend type, the context's base URL,
    API key and timeouts, and ``built_from``: whatever else ``build`` reads (headers, as a
    mapping, or values of the backend's own)."""
    kept = _kept()
    if kept is None:
        client = build()
        return ClientLease(client, lambda: close(client))
    key = (
        context.backend_type,
        context.agent_id,
        context.base_url,
        context.api_key,
        context.timeouts,
        *map(_hashable, built_from),
    )
    found = kept.clients.get(key)
    if found is None:
        client = build()
        found = kept.clients[key] = (client, lambda: close(client))
    return ClientLease(found[0], None)


@contextlib.asynccontextmanager
async def keep_clients() -> AsyncIterator[None]:
    """Keep the clients of the backends built on this event loop until the block ends (see the
    module docstring); they are closed then."""
    loop = asyncio.get_running_loop()
    if loop in _KEPT:  # already kept by an enclosing scope, which closes them
        yield
        return
    kept = _KEPT[loop] = _Kept()
    try:
        yield
    finally:
        del _KEPT[loop]
        await kept.aclose()
