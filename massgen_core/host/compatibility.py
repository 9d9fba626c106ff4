"""Whether an installed plugin was made for this massgen-core, read from its metadata alone.

A plugin declares the massgen-core releases it works with as its dependency on massgen-core
(``massgen-core>=0.1,<0.2`` in its ``pyproject.toml``: the release series of the plugin API it
was built for, see :data:`massgen_core.version.PLUGIN_API`). pip enforces that range when it
installs the plugin, but not later: ``pip install -U massgen-core`` or ``--no-deps`` can leave a
plugin beside a core it was not made for. So the loader checks the range itself, before it
imports the plugin: :func:`core_range` reads it from the ``Requires-Dist`` lines that
:mod:`importlib.metadata` has already parsed for the entry points, and :func:`admits` compares
(plain ranges directly, anything else with ``packaging``, as pip does).
Both run only when the entry-point cache is cold; the cache keeps their answer (its key holds the
core's version). A plugin that declares no range is taken as compatible.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..version import PLUGIN_API, __version__
from .known_plugins import install_command

__all__ = ["CORE", "admits", "core_range", "incompatibility"]

CORE = "massgen-core"
_NAMED_CORE = re.compile(r"\s*massgen[-_.]core\b", re.IGNORECASE)
# The common forms take a fast path: `massgen-core>=0.1,<0.2` (or in parentheses) with plain
# release versions. packaging (the reference, used for everything else) costs ~15-50 ms to import.
_PLAIN_LINE = re.compile(
    r"\s*massgen[-_.]core\s*(?:\((?P<inner>[^()]*)\)|(?P<bare>[^;()\[\]]*))\s*", re.IGNORECASE
)
_CLAUSE = re.compile(r"\s*(~=|==|!=|<=|>=|<|>)\s*(\d+(?:\.\d+)*)\s*")
_RELEASE = re.compile(r"\d+(?:\.\d+)*")


def core_range(requires: Iterable[str] | None) -> str | None:
    """The version range of massgen-core among a distribution's ``Requires-Dist`` lines
    (``">=0.1,<0.2"``, normalised as pip's ``packaging`` prints it), ``""`` for an unbounded
    one; ``None`` when it names none that applies here (none at all, or only under an extra or a
    marker that is false)."""
    for line in requires or ():
        if not _NAMED_CORE.match(line):  # a cheap look before parsing
            continue
        plain = _plain_clauses(line)
        if plain is not None:
            return ",".join(sorted({op + version for op, version in plain}))
        found = _parsed_range(line)
        if found is not None:
            return found
    return None


def _plain_clauses(line: str) -> list[tuple[str, str]] | None:
    """``line``'s clauses when it is massgen-core with plain release versions and no marker."""
    match = _PLAIN_LINE.fullmatch(line)
    if match is None:
        return None
    spec = (match["inner"] if match["inner"] is not None else match["bare"]).strip()
    clauses = [_CLAUSE.fullmatch(part) for part in spec.split(",")] if spec else []
    if not all(clauses):
        return None
    plain = [(c[1], c[2]) for c in clauses if c is not None]
    if any(op == "~=" and "." not in version for op, version in plain):
        return None  # `~=1` is invalid: packaging says so
    return plain


def _parsed_range(line: str) -> str | None:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    try:
        requirement = Requirement(line)
    except InvalidRequirement:
        return None
    if canonicalize_name(requirement.name) != CORE:
        return None
    if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
        return None
    return str(requirement.specifier)


def admits(specifier: str, version: str = __version__) -> bool:
    """Whether ``version`` of the core is in the range ``specifier`` (pre-releases included)."""
    clauses = [_CLAUSE.fullmatch(part) for part in specifier.split(",")] if specifier.strip() else []
    if _RELEASE.fullmatch(version) and all(clauses):
        return all(_holds(c[1], c[2], version) for c in clauses if c is not None)
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        return SpecifierSet(specifier).contains(version, prereleases=True)
    except InvalidSpecifier:
        return True  # pip would not have installed it; nothing to hold against the plugin here


def _holds(op: str, bound: str, version: str) -> bool:
    """PEP 440 for plain release versions: compared as numbers, padded with zeros."""
    have, want = [int(p) for p in version.split(".")], [int(p) for p in bound.split(".")]
    if op == "~=":  # >= bound, and the same release up to the bound's last part
        prefix = len(want) - 1
        return _holds(">=", bound, version) and (have + [0] * prefix)[:prefix] == want[:prefix]
    width = max(len(have), len(want))
    a, b = have + [0] * (width - len(have)), want + [0] * (width - len(want))
    return {"==": a == b, "!=": a != b, "<=": a <= b, ">=": a >= b, "<": a < b, ">": a > b}[op]


def incompatibility(distribution: str, version: str | None, specifier: str) -> str:
    """Why a plugin is not loaded, and the two ways to fix it."""

    plugin = f"{distribution} {version}" if version else distribution
    return (
        f"{plugin} needs {CORE}{specifier}; this is {CORE} {__version__} (plugin API {PLUGIN_API}). "
        f"Install a {distribution} made for this core ({install_command(distribution, upgrade=True)}), "
        f"or a core it works with (massgen install '{CORE}{specifier}')"
    )
