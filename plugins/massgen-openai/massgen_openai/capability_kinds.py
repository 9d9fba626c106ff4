"""Capability kinds this plugin adds to the core's vocabulary.

``verbosity`` stays out of the feature table (``row=None``); it exists so that ``text.verbosity``
is refused at validation on models outside the GPT-5 family. ``sampling`` (temperature, top_p)
is the core's.
"""

from __future__ import annotations

from massgen_core.plugin import CapabilityKind

__all__ = ["KINDS", "SAMPLING", "VERBOSITY"]

SAMPLING = "sampling"
VERBOSITY = "verbosity"

KINDS: tuple[CapabilityKind, ...] = (
    CapabilityKind(
        key=VERBOSITY,
        title="Verbosity",
        description="Accepts text.verbosity (GPT-5 family).",
    ),
)
