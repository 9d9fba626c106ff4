"""Known Gemini models: context windows, list prices and per-model capability differences.

Prices are USD per million tokens for prompts up to 200k tokens (Google's list prices; longer
prompts cost more on the Pro models). Thinking tokens are billed as output. A model a config
names that is not listed here still works (``gemini-*`` identifies the backend): it gets the
backend's capabilities, and Gemini 3 or later names are treated as able to combine built-in
tools with function calling.
"""

from __future__ import annotations

import re

from massgen_core.plugin import ModelSpec

from .capability_kinds import BUILTIN_WITH_FUNCTIONS

__all__ = ["DEFAULT_MODEL", "GEMINI_MODELS", "MODEL_PATTERNS", "combines_builtin_tools"]

DEFAULT_MODEL = "gemini-2.5-flash"
MODEL_PATTERNS = ("gemini-*",)

_WINDOW = 1_048_576
#: Gemini 2.0 models do not think (no thinking config, no thoughts).
_NO_THINKING = {"reasoning"}


def _m(
    name: str,
    price: tuple[float, float, float],
    *,
    window: int = _WINDOW,
    add: set[str] | None = None,
    remove: set[str] | None = None,
) -> ModelSpec:
    inp, out, cached = price
    return ModelSpec(
        name=name,
        add=add or set(),
        remove=remove or set(),
        context_window=window,
        input_price=inp,
        output_price=out,
        cached_input_price=cached,
    )


GEMINI_MODELS: tuple[ModelSpec, ...] = (
    _m("gemini-2.5-flash", (0.30, 2.50, 0.03)),
    _m("gemini-2.5-pro", (1.25, 10.0, 0.125)),
    _m("gemini-2.5-flash-lite", (0.10, 0.40, 0.01)),
    _m("gemini-3-pro-preview", (2.0, 12.0, 0.20), add={BUILTIN_WITH_FUNCTIONS}),
    _m("gemini-3-flash-preview", (0.50, 3.0, 0.05), add={BUILTIN_WITH_FUNCTIONS}),
    _m("gemini-2.0-flash", (0.10, 0.40, 0.025), remove=_NO_THINKING),
    _m("gemini-2.0-flash-lite", (0.075, 0.30, 0.075), remove=_NO_THINKING),
)

_VERSION = re.compile(r"gemini-(\d+)(?:\.\d+)?-")


def combines_builtin_tools(model: str, capabilities: frozenset[str]) -> bool:
    """Whether ``model`` takes built-in tools and function declarations in one request."""
    if BUILTIN_WITH_FUNCTIONS in capabilities:
        return True
    match = _VERSION.match(model.lower().rsplit("/", 1)[-1])
    return match is not None and int(match.group(1)) >= 3
