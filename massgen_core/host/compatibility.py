"""Whether an installed plugin was made for this massgen-core, read from its metadata alone.

A plugin declares the massgen-core releases it works with as its dependency on massgen-core
(``massgen-core>=0.1,<0.2`` in its ``pyproject.toml``: the release series of the plugin API it
was built for, see :data:`massgen_core.version.PLUGIN_API`). pip enforces that range when it
installs the plugin, but not later: ``pip install -U massgen-core`` or ``--no-deps`` can leave a
plugin beside a core it was not made for. So the loader checks the range itself, before it
imports the plugin: :func:`core_range` reads it from the ``Requires-Dist`` lines that
:mod:`importlib.metadata` has already parsed for the entry points, and :func:`admits` compares.
Both run only when the entry-point cache is cold; the cache keeps their answer (its key holds the
core's version). A plugin that declares no range is taken as compatible.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..version import PLUGIN_API, __version__
from .known_plugins import pip_install

__all__ = ["CORE", "admits", "core_range", "incompatibility"]

CORE = "massgen-core"
_NAMED_CORE = re.compile(r"\s*massgen[-_.]core\b", re.IGNORECASE)


def core_range(requires: Iterable[str] | None) -> str | None:
    """The version range of massgen-core among a distribution's ``Requires-Dist`` lines
    (``">=0.1,<0.2"``), ``""`` for an unbounded one; ``None`` when it names none that applies
    here (none at all, or only under an extra or a marker that is false)."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    for line in requires or ():
        if not _NAMED_CORE.match(line):  # a cheap look before parsing
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        if canonicalize_name(requirement.name) != CORE:
            continue
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        return str(requirement.specifier)
    return None


def admits(specifier: str, version: str = __version__) -> bool:
    """Whether ``version`` of the core is in the range ``specifier`` (pre-releases included)."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        return SpecifierSet(specifier).contains(version, prereleases=True)
    except InvalidSpecifier:
        return True  # pip would not have installed it; nothing to hold against the plugin here


def incompatibility(distribution: str, version: str | None, specifier: str) -> str:
    """Why a plugin is not loaded, and the two ways to fix it."""

    plugin = f"{distribution} {version}" if version else distribution
    return (
        f"{plugin} needs {CORE}{specifier}; this is {CORE} {__version__} (plugin API {PLUGIN_API}). "
        f"Install a {distribution} made for this core ({pip_install(distribution, upgrade=True)}), "
        f"or a core it works with (pip install '{CORE}{specifier}')"
    )
