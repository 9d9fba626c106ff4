"""Finding the ``massgen`` entry points, cached so that a warm start skips ``importlib.metadata``.

Importing :mod:`importlib.metadata` (with the ``email`` package it parses metadata with) costs
about 30 ms, a fifth of the startup budget, and scanning every installed distribution costs
more. The answer only changes when distributions are installed, upgraded or removed, and each of
those adds or removes a ``*.dist-info`` folder, which changes the modification time of the
``sys.path`` folder that holds it. So the entry points of a group are cached in one small JSON
file per interpreter, keyed by the interpreter, ``sys.path`` and the modification time of every
``sys.path`` entry (the scheme stevedore uses), and the core's version. ``importlib.metadata``
stays the one source of truth: it is asked whenever the key changes.

Each entry point also carries the range of massgen-core its distribution declares and whether
this core is in it (:mod:`massgen_core.host.compatibility`), so that an incompatible plugin is
known without importing it, and a warm start knows it without reading any metadata.

The same file keeps the plugin commands' names and help lines for ``massgen --help``
(:func:`remember_commands`, :func:`cached_commands`; see :mod:`massgen_core.host.commands`):
they are dropped with the entry points whenever the key changes.

``MASSGEN_PLUGIN_CACHE=0`` turns the cache off. It lives in ``MASSGEN_CACHE_DIR``, else
``$XDG_CACHE_HOME/massgen``, else ``~/.cache/massgen``; a cache that cannot be read or written is
ignored, never an error.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
from typing import Any, NamedTuple
from zlib import crc32

from ..version import __version__

__all__ = ["FoundEntryPoint", "cache_dir", "cached_commands", "find_entry_points", "remember_commands"]

_FORMAT = 2


class FoundEntryPoint(NamedTuple):
    """One entry point: its name, ``module:attr`` value and distribution, with the range of
    massgen-core the distribution declares (``None``: none) and whether this core is in it."""

    name: str
    value: str
    distribution: str | None
    version: str | None
    core_range: str | None = None
    compatible: bool = True

    def load(self) -> Any:
        """Import what the value names, ``module`` or ``module:attr`` (as ``EntryPoint.load``)."""
        from ..plugin.specs import import_object  # loaded already: the built-in plugin uses it

        ref = self.value.partition("[")[0].replace(" ", "")  # drop any "[extras]"
        return import_object(ref) if ":" in ref else importlib.import_module(ref)


def cache_dir(environ: os._Environ[str] | dict[str, str] | None = None) -> str:
    """Where massgen keeps caches (a path string: pathlib costs startup time here)."""
    env = os.environ if environ is None else environ
    if env.get("MASSGEN_CACHE_DIR"):
        return env["MASSGEN_CACHE_DIR"]
    return os.path.join(
        env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "massgen"
    )


GROUP = "massgen"


def _cache_enabled() -> bool:
    return os.environ.get("MASSGEN_PLUGIN_CACHE", "1").lower() not in ("0", "false", "no", "off")


def _cache_file() -> str:
    return os.path.join(cache_dir(), f"entry-points-{crc32(sys.executable.encode()):08x}.json")


def _cached(group: str) -> dict[str, Any] | None:
    """The cache file's data, when it holds ``group`` under the current key."""
    try:
        with open(_cache_file(), encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("key") == _cache_key(group) else None


def find_entry_points(group: str) -> list[FoundEntryPoint]:
    """The entry points of ``group``, sorted by distribution and name."""
    if not _cache_enabled():
        return _scan(group)
    data = _cached(group)
    try:
        if data is not None:
            return [FoundEntryPoint(*item) for item in data["entry_points"]]
    except (TypeError, KeyError):
        pass
    found = _scan(group)
    _write(_cache_file(), {"key": _cache_key(group), "entry_points": [list(ep) for ep in found]})
    return found


def _plugin_selection() -> list[str | None]:
    """What decides which plugins load, besides the installed ones (see ``plugin_host``)."""
    return [os.environ.get("MASSGEN_LOAD_PLUGINS"), os.environ.get("MASSGEN_DISABLE_PLUGINS")]


def cached_commands() -> list[tuple[str, str, str]] | None:
    """The plugin commands last collected, ``(name, help, distribution)``; ``None`` when the
    cache has none for the installed distributions and the plugins selected now."""
    data = _cached(GROUP) if _cache_enabled() else None
    if data is None or data.get("commands_for") != _plugin_selection():
        return None
    try:
        return [(str(n), str(h), str(d)) for n, h, d in data["commands"]]
    except (TypeError, KeyError, ValueError):
        return None


def remember_commands(commands: list[list[str]]) -> None:
    """Keep the plugin commands just collected, beside the entry points they came from."""
    data = _cached(GROUP) if _cache_enabled() else None
    selection = _plugin_selection()
    if data is not None and (data.get("commands"), data.get("commands_for")) != (commands, selection):
        _write(_cache_file(), {**data, "commands": commands, "commands_for": selection})


def _cache_key(group: str) -> list[Any]:
    entries: list[Any] = []
    for entry in sys.path:
        try:
            entries.append([entry, os.stat(entry or ".").st_mtime_ns])
        except OSError:
            entries.append([entry, None])
    return [_FORMAT, group, sys.executable, sys.version, __version__, entries]


def _scan(group: str) -> list[FoundEntryPoint]:
    from importlib.metadata import entry_points

    from .compatibility import admits, core_range

    found = []
    for ep in entry_points(group=group):
        dist = ep.dist
        if dist is None:
            found.append(FoundEntryPoint(ep.name, ep.value, None, None))
            continue
        wanted = core_range(dist.requires)
        compatible = wanted is None or admits(wanted)
        found.append(FoundEntryPoint(ep.name, ep.value, dist.name, dist.version, wanted, compatible))
    return sorted(found, key=lambda ep: (ep.distribution or "", ep.name))


def _write(file: str, data: dict[str, Any]) -> None:
    tmp = f"{file}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(file), exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(data, f)
        os.replace(tmp, file)
    except OSError:
        with contextlib.suppress(OSError):
            os.remove(tmp)
