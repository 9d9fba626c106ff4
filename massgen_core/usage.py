"""Token usage and cost, per agent and per run.

Prices come from the backend's :class:`~massgen_core.specs.ModelSpec` (USD per million tokens);
a model without prices costs ``None`` (unknown), not zero.
"""

from __future__ import annotations

import attrs

from .events import Usage
from .specs import ModelSpec

__all__ = ["UsageLedger", "UsageTotals", "cost_of"]


def cost_of(usage: Usage, model: ModelSpec | None) -> float | None:
    """USD cost of ``usage`` at ``model``'s prices, or ``None`` when prices are unknown."""
    if model is None or model.input_price is None or model.output_price is None:
        return None
    cached_price = model.cached_input_price if model.cached_input_price is not None else model.input_price
    write_price = model.cache_write_price if model.cache_write_price is not None else model.input_price
    fresh = max(0, usage.input_tokens - usage.cached_input_tokens - usage.cache_write_tokens)
    searches = usage.web_search_requests * (model.web_search_price or 0.0)
    return (
        fresh * model.input_price
        + usage.cached_input_tokens * cached_price
        + usage.cache_write_tokens * write_price
        + usage.output_tokens * model.output_price
    ) / 1_000_000 + searches


@attrs.define
class UsageTotals:
    """Usage summed over requests, with the cost when every request's price was known."""

    usage: Usage = attrs.field(factory=Usage)
    cost: float | None = 0.0
    requests: int = 0

    def add(self, usage: Usage, cost: float | None) -> None:
        self.usage = self.usage + usage
        self.cost = None if self.cost is None or cost is None else self.cost + cost
        self.requests += 1


class UsageLedger:
    """Usage per agent and for the whole run."""

    def __init__(self) -> None:
        self.agents: dict[str, UsageTotals] = {}
        self.total = UsageTotals()

    def record(self, agent_id: str, usage: Usage, model: ModelSpec | None = None) -> float | None:
        """Add one request's usage; returns its cost (``None`` if unknown)."""
        cost = cost_of(usage, model)
        self.agents.setdefault(agent_id, UsageTotals()).add(usage, cost)
        self.total.add(usage, cost)
        return cost
