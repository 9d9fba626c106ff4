"""The cost AG2 computed for an LLM call, when AG2 really knows it (imports AG2).

AG2 prices every call itself: at the ``llm_config``'s ``price`` when given, else from its own
tables (OpenAI models by the model the response names, Anthropic and Gemini models by the model
asked for). For a model it has no price for it reports ``0``: here that is unknown (``None``),
so MassGen shows the cost as unknown rather than free.
"""

from __future__ import annotations

import warnings

from .llm import ResolvedLlm

__all__ = ["CallPricing", "ag2_prices"]


def ag2_prices(api_type: str, model: str) -> bool:
    """Whether AG2 0.14 has a price for ``model`` of ``api_type`` (without an ``llm_config`` price)."""
    if api_type == "openai":
        from autogen.oai.openai_utils import OAI_PRICE1K

        return model in OAI_PRICE1K
    if api_type == "anthropic":
        from autogen.oai.anthropic import ANTHROPIC_PRICING_1k

        return model in ANTHROPIC_PRICING_1k
    from autogen.oai.gemini import calculate_gemini_cost

    with warnings.catch_warnings():  # AG2 warns and answers 0 for a model it cannot price
        warnings.simplefilter("ignore")
        return calculate_gemini_cost(False, 1000, 1000, model) > 0


class CallPricing:
    """The ``llm_config``s of one run, to tell a cost AG2 knows from its ``0`` for unknown."""

    def __init__(self) -> None:
        self._llms: dict[str, ResolvedLlm] = {}

    def add(self, llm: ResolvedLlm) -> None:
        self._llms.setdefault(llm.model, llm)

    def cost(
        self, requested_model: str | None, response_model: str | None, cost: float | None
    ) -> float | None:
        """AG2's ``cost`` of a call to ``requested_model`` (answered as ``response_model``), or
        ``None`` when AG2 has no price for it."""
        llm = self._llms.get(requested_model or "")
        if llm is None or cost is None:
            return None
        if "price" in llm.config:
            return float(cost)
        priced = response_model if llm.api_type == "openai" and response_model else llm.model
        return float(cost) if ag2_prices(llm.api_type, priced) else None
