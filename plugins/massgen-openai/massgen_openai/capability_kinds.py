"""Capability kinds this plugin adds to the core's vocabulary.

``verbosity`` stays out of the feature table (``row=None``); it exists so that ``text.verbosity``
is refused at validation on models that take none of its values (the o-series); on models that take
only some (gpt-4o, gpt-4.1: ``medium``), the option's validator checks the value. ``sampling`` (temperature, top_p)
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
        description="Accepts text.verbosity (GPT-5: low, medium, high; gpt-4o and gpt-4.1: medium).",
    ),
)
