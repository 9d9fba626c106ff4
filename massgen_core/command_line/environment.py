"""The environment commands run with: MassGen's own, minus anything that looks like a secret."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

__all__ = ["is_secret_name", "scrub_environment"]

_SECRET_NAME = re.compile(
    r"(API_?KEY|_KEY$|^KEY$|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE|AUTH|SESSION|COOKIE|_PAT$|DSN)",
    re.IGNORECASE,
)
#: Names that match the pattern but hold no secret.
_HARMLESS = frozenset(
    {"SSH_AUTH_SOCK", "XDG_SESSION_TYPE", "XDG_SESSION_CLASS", "XDG_SESSION_ID", "KEYTIMEOUT"}
)


def is_secret_name(name: str) -> bool:
    return name not in _HARMLESS and bool(_SECRET_NAME.search(name))


def scrub_environment(
    environ: Mapping[str, str], *, drop: Iterable[str] = (), secret_values: Iterable[str] = ()
) -> dict[str, str]:
    """``environ`` without secret-looking names (``*_API_KEY``, ``*TOKEN*``, ``*SECRET*``, ...), the
    names in ``drop`` (e.g. every backend's API-key variable), and any variable whose value is one
    of ``secret_values`` (keys given in the config)."""
    dropped = set(drop)
    values = {v for v in secret_values if v and len(v) >= 8}
    return {
        name: value
        for name, value in environ.items()
        if name not in dropped and not is_secret_name(name) and value not in values
    }
