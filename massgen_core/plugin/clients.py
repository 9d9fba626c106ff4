"""Provider clients kept from one run to the next, with their open connections.

By default a backend builds its provider's SDK client when it is built and closes it when it is
closed: each run opens its own connections, and pays a TCP (and, to a real provider, a TLS)
handshake per agent before its first request. A host that runs many teams on one event loop,
one after another or at once (``massgen serve`` does, for its whole life), opens
:func:`keep_clients` around them. While it is open, :func:`lease_client` lends a backend an idle
client of its key, or builds one when none is idle; releasing it gives it back, open, to the
next backend of that key; the scope closes them all when it ends.

A client's key is everything it is built from (the backend type, endpoint, API key, headers,
timeouts), so only identical clients are lent, and the agent it serves. An agent's runs, one
after another, use one client and its connection; runs at once each borrow one of their own,
so a scope holds as many clients of an agent as it ever ran at once, each pool with the
connection its run used. Clients are not shared between runs at once, nor between agents: an
HTTP pool looks through all of its connections for each request, which, with a pool for every
agent holding a connection for each of 25 runs at once, took a tenth of a server's CPU.
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
    """The clients kept on one event loop: each key's idle ones, and how to close every one."""

    def __init__(self) -> None:
        self.idle: dict[Hashable, list[Any]] = {}
        self.closers: list[Callable[[], Awaitable[object]]] = []
        self.open = True

    def lend(self, key: Hashable, build: Callable[[], C], close: Callable[[C], Awaitable[object]]) -> C:
        idle = self.idle.get(key)
        if idle:
            client: C = idle.pop()
            return client
        client = build()
        self.closers.append(lambda: close(client))
        return client

    def give_back(self, key: Hashable, client: object) -> None:
        if self.open:  # else the scope has closed it
            self.idle.setdefault(key, []).append(client)

    async def aclose(self) -> None:
        self.open = False
        closers, self.closers, self.idle = self.closers, [], {}
        for close in closers:
            with contextlib.suppress(Exception):  # one that fails to close does not keep others open
                await close()


_KEPT: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Kept] = weakref.WeakKeyDictionary()


class ClientLease(Generic[C]):
    """A backend's client: ``client``, and ``await release()`` when the backend is closed, which
    calls ``release`` once (it closes the client, or gives a kept one back)."""

    def __init__(self, client: C, release: Callable[[], Awaitable[object]] | None) -> None:
        self.client = client
        self._release = release

    async def release(self) -> None:
        release, self._release = self._release, None
        if release is not None:
            await release()


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
    """The client of ``context``'s backend: inside :func:`keep_clients`, an idle one kept on this
    event loop for the same key (built by ``build`` when none is idle), given back by
    ``release()``; outside it, a new one that ``release()`` closes with ``close``.

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
    lent = kept.lend(key, build, close)

    async def give_back() -> None:
        kept.give_back(key, lent)

    return ClientLease(lent, give_back)


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
