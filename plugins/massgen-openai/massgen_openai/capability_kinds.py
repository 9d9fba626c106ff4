"""Capability kinds this plugin adds to the core's vocabulary.

They stay out of the feature table (``row=None``); they exist so that options a model rejects
are refused at validation: ``temperature``/``top_p`` need ``sampling`` (OpenAI reasoning models
reject them) and ``text.verbosity`` needs ``verbosity`` (GPT-5 family only).
"""

from __future__ import annotations

from massgen_core.plugin import CapabilityKind

__all__ = ["KINDS", "SAMPLING", "VERBOSITY"]

SAMPLING = "sampling"
VERBOSITY = "verbosity"

KINDS: tuple[CapabilityKind, ...] = (
    CapabilityKind(
        key=SAMPLING,
        title="Sampling settings",
        description="Accepts temperature and top_p (reasoning models do not).",
    ),
    CapabilityKind(
        key=VERBOSITY,
        title="Verbosity",
        description="Accepts text.verbosity (GPT-5 family).",
    ),
)
