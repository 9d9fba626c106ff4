"""Known Claude models: context windows, list prices and per-model capability differences.

Prices are USD per million tokens from Anthropic's pricing page (input, output, cache read,
5-minute cache write); web search costs USD 10 per 1,000 searches on every model. A model a
config names that is not listed still works: it gets the backend's capabilities and an
unknown cost.

The Claude 5 family thinks adaptively: it answers 400 to a manual thinking budget and to
non-default ``temperature``/``top_p``, so those models lack ``thinking_budget`` and ``sampling``
and validation refuses the options there.
"""

from __future__ import annotations

from massgen_core.plugin import ModelSpec

from .capability_kinds import THINKING_BUDGET

__all__ = [
    "CLAUDE_MODELS",
    "CLAUDE_MODEL_PATTERNS",
    "DEFAULT_MODEL",
    "SEED_DEFAULT_MODEL",
    "WEB_SEARCH_PRICE",
]

#: USD per web search request (USD 10 per 1,000)
WEB_SEARCH_PRICE = 0.01

#: what the adaptive-thinking models lack compared with the backend's base set
_ADAPTIVE_ONLY = frozenset({THINKING_BUDGET, "sampling"})

_1M = 1_000_000
_200K = 200_000


def _m(
    name: str,
    window: int | None,
    price: tuple[float, float, float, float] | None,
    *,
    remove: frozenset[str] = frozenset(),
) -> ModelSpec:
    inp, out, cache_read, cache_write = price if price else (None, None, None, None)
    return ModelSpec(
        name=name,
        remove=remove,
        context_window=window,
        input_price=inp,
        output_price=out,
        cached_input_price=cache_read,
        cache_write_price=cache_write,
        web_search_price=WEB_SEARCH_PRICE if price else None,
    )


_SONNET_4 = (3.0, 15.0, 0.30, 3.75)
_OPUS_4_5 = (5.0, 25.0, 0.50, 6.25)

CLAUDE_MODELS: tuple[ModelSpec, ...] = (
    # current models (adaptive thinking)
    _m("claude-sonnet-5-5", _1M, (2.0, 10.0, 0.20, 2.50), remove=_ADAPTIVE_ONLY),
    _m("claude-opus-5-5", _1M, (4.0, 20.0, 0.20, 5.00), remove=_ADAPTIVE_ONLY),
    _m("claude-fable-5-1", _1M, (10.0, 50.0, 0.25, 12.50), remove=_ADAPTIVE_ONLY),
    # Haiku 5.5 is priced by prompt length (more above 100k tokens): its cost is left unknown
    _m("claude-haiku-5-5", _1M, None, remove=_ADAPTIVE_ONLY),
    _m("claude-sonnet-5", _1M, (2.0, 10.0, 0.20, 2.50), remove=_ADAPTIVE_ONLY),
    _m("claude-opus-5", _1M, _OPUS_4_5, remove=_ADAPTIVE_ONLY),
    # the 4.x family (extended thinking with a budget, sampling settings)
    _m("claude-sonnet-4-6", _1M, _SONNET_4),
    _m("claude-opus-4-6", _1M, _OPUS_4_5),
    _m("claude-opus-4-5", _200K, _OPUS_4_5),
    _m("claude-opus-4-5-20251101", _200K, _OPUS_4_5),
    _m("claude-sonnet-4-5", _200K, _SONNET_4),
    _m("claude-sonnet-4-5-20250929", _200K, _SONNET_4),
    _m("claude-haiku-4-5", _200K, (1.0, 5.0, 0.10, 1.25)),
    _m("claude-haiku-4-5-20251001", _200K, (1.0, 5.0, 0.10, 1.25)),
    # the seed's model (Anthropic retired it on 2026-06-15; kept so the seed's configs validate)
    _m("claude-sonnet-4-20250514", _200K, _SONNET_4),
)

#: the model a ``claude`` backend uses when a config names none
DEFAULT_MODEL = "claude-sonnet-5-5"
#: the model of the seed's Claude configs
SEED_DEFAULT_MODEL = "claude-sonnet-4-20250514"

#: model names that identify the ``claude`` backend when a config omits ``type``
CLAUDE_MODEL_PATTERNS = ("claude-*",)
