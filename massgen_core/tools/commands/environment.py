"""The environment commands run with: MassGen's own, minus anything that looks like a secret."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ...records.redaction import is_secret_name

__all__ = ["is_secret_name", "scrub_environment"]


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
