"""Bearer keys: every request but ``GET /health`` must carry one when the server has keys.

Keys come from ``--api-key`` (repeatable) and ``MASSGEN_SERVE_API_KEY`` (one key, or several
separated by commas). A presented key is compared with every configured key in constant time
(:func:`hmac.compare_digest`, all of them, whatever matches), so the timing tells nothing about
a key. Keys are never logged: they are masked in everything MassGen prints.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping

from .wire import ApiError, invalid_key, missing_key

__all__ = ["ENV_VAR", "Keys"]

ENV_VAR = "MASSGEN_SERVE_API_KEY"


class Keys:
    """The keys a server accepts (none: every request is let in)."""

    def __init__(self, keys: Iterable[str]) -> None:
        self._keys = tuple(k.encode() for k in dict.fromkeys(k.strip() for k in keys) if k)

    @classmethod
    def gather(cls, given: Iterable[str], environ: Mapping[str, str]) -> Keys:
        return cls([*given, *environ.get(ENV_VAR, "").split(",")])

    def __bool__(self) -> bool:
        return bool(self._keys)

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(k.decode() for k in self._keys)

    def check(self, authorization: str | None) -> ApiError | None:
        """Why a request with this ``Authorization`` header is refused, or ``None``."""
        if not self._keys:
            return None
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return missing_key()
        return None if self.accepts(token.strip()) else invalid_key()

    def accepts(self, presented: str) -> bool:
        """Whether ``presented`` is one of the keys (compared with each of them)."""
        raw = presented.encode()
        matched = False
        for key in self._keys:
            matched |= hmac.compare_digest(raw, key)
        return matched
