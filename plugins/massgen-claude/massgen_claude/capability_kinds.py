"""Capability kinds this plugin adds to the core's vocabulary.

``thinking_budget`` stays out of the feature table (``row=None``): it exists so that
``thinking_budget`` is refused at validation on models that reject a manual thinking budget
(the Claude 5 family thinks adaptively and answers 400 to one), instead of failing at run time.
"""

from __future__ import annotations

from massgen_core.plugin import CapabilityKind

__all__ = ["KINDS", "THINKING_BUDGET"]

THINKING_BUDGET = "thinking_budget"

KINDS: tuple[CapabilityKind, ...] = (
    CapabilityKind(
        key=THINKING_BUDGET,
        title="Thinking budget",
        description="Accepts extended thinking with a token budget (thinking_budget).",
    ),
)
