"""Known models: per-model capability differences, context windows and list prices.

Prices are USD per million tokens (public list prices); ``None`` where not known with
confidence. A model a config names that is not listed here still works: it gets the backend's
capabilities.
"""

from __future__ import annotations

from massgen_core.plugin import ModelSpec

from .capability_kinds import SAMPLING, VERBOSITY

__all__ = [
    "GROK_MODELS",
    "OPENAI_MODELS",
    "OPENAI_MODEL_PATTERNS",
    "VERBOSITY_LEVELS",
    "is_reasoning_model",
    "verbosity_values",
]

# What the GPT-5 family and the o-series lack compared with the ``openai`` backend's base set.
_REASONING_ONLY = {SAMPLING}
_O_SERIES = {SAMPLING, VERBOSITY}
# What non-reasoning chat models lack. They keep ``verbosity``: they accept some of its values
# (see :func:`verbosity_values`).
_CHAT_MODEL = {"reasoning"}

#: every value of ``text.verbosity``
VERBOSITY_LEVELS = ("low", "medium", "high")
#: models (and their dated snapshots) that accept only some values: the Responses API answers
#: 400 "Unsupported value: 'low' is not supported with the 'gpt-4o' model. Supported values
#: are: 'medium'." for the others
_VERBOSITY_BY_PREFIX = (("gpt-4o", ("medium",)), ("gpt-4.1", ("medium",)))


def _m(
    name: str,
    *,
    remove: set[str],
    window: int | None,
    price: tuple[float, float, float] | None,
    add: set[str] | None = None,
) -> ModelSpec:
    inp, out, cached = price if price else (None, None, None)
    return ModelSpec(
        name=name,
        add=add or set(),
        remove=remove,
        context_window=window,
        input_price=inp,
        output_price=out,
        cached_input_price=cached,
    )


OPENAI_MODELS: tuple[ModelSpec, ...] = (
    _m("gpt-5", remove=_REASONING_ONLY, window=400_000, price=(1.25, 10.0, 0.125)),
    _m("gpt-5-mini", remove=_REASONING_ONLY, window=400_000, price=(0.25, 2.0, 0.025)),
    _m("gpt-5-nano", remove=_REASONING_ONLY, window=400_000, price=(0.05, 0.40, 0.005)),
    _m("gpt-4o", remove=_CHAT_MODEL, window=128_000, price=(2.50, 10.0, 1.25)),
    _m("gpt-4o-mini", remove=_CHAT_MODEL, window=128_000, price=(0.15, 0.60, 0.075)),
    _m("gpt-4.1", remove=_CHAT_MODEL, window=1_047_576, price=(2.0, 8.0, 0.50)),
    _m("gpt-4.1-mini", remove=_CHAT_MODEL, window=1_047_576, price=(0.40, 1.60, 0.10)),
    _m("gpt-4.1-nano", remove=_CHAT_MODEL, window=1_047_576, price=(0.10, 0.40, 0.025)),
    _m("o4-mini", remove=_O_SERIES, window=200_000, price=(1.10, 4.40, 0.275)),
    _m("o3", remove=_O_SERIES, window=200_000, price=(2.0, 8.0, 0.50)),
)

#: Model names that identify the ``openai`` backend when a config omits ``type``.
OPENAI_MODEL_PATTERNS = ("gpt-5*", "gpt-4.1*", "gpt-4o*", "o1*", "o3*", "o4-mini*")


def verbosity_values(model: str | None) -> tuple[str, ...]:
    """The ``text.verbosity`` values ``model`` accepts (every value for models not known to
    accept fewer: the provider decides)."""
    name = (model or "").lower().rsplit("/", 1)[-1]
    for prefix, values in _VERBOSITY_BY_PREFIX:
        if name == prefix or name.startswith(prefix + "-"):
            return values
    return VERBOSITY_LEVELS


_REASONING_PREFIXES = ("gpt-5", "o1", "o3", "o4", "gpt-oss", "codex")


def is_reasoning_model(model: str) -> bool:
    """Whether ``model`` (an OpenAI model id) is a reasoning model, for names not listed above."""
    name = model.lower().rsplit("/", 1)[-1]
    return name.startswith(_REASONING_PREFIXES) and not name.startswith("gpt-5-chat")


GROK_MODELS: tuple[ModelSpec, ...] = (
    _m("grok-4", remove=set(), window=256_000, price=(3.0, 15.0, 0.75)),
    _m("grok-4-fast", remove=set(), window=2_000_000, price=None),
    _m("grok-3", remove=set(), window=131_072, price=(3.0, 15.0, 0.75)),
    # grok-3-mini streams its reasoning (reasoning_content) and accepts reasoning_effort.
    _m("grok-3-mini", remove=set(), add={"reasoning"}, window=131_072, price=(0.30, 0.50, 0.075)),
)
