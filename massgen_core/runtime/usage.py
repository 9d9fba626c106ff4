"""Token usage and cost, per agent and per run.

Prices come from the backend's :class:`~massgen_core.plugin.specs.ModelSpec` (USD per million tokens);
a model without prices costs ``None`` (unknown), not zero. Likewise a request whose backend
reported no :class:`~massgen_core.plugin.stream.Usage` is counted (``unreported``): its tokens are
unknown, so the totals' tokens are only a lower bound and their cost is ``None``.
"""

from __future__ import annotations

from typing import Any

import attrs

from ..plugin.specs import ModelSpec
from ..plugin.stream import Usage

__all__ = ["UsageLedger", "UsageTotals", "cost_of"]


def cost_of(usage: Usage, model: ModelSpec | None) -> float | None:
    """USD cost of ``usage``: what the backend reported, else at ``model``'s prices, else ``None``
    (unknown)."""
    if usage.cost is not None:
        return usage.cost
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
    """Usage summed over requests, with the cost when every request's usage and price were known.

    :param requests: requests made (each one a model reply).
    :param unreported: how many of them came without a usage report from the backend.
    """

    usage: Usage = attrs.field(factory=Usage)
    cost: float | None = 0.0
    requests: int = 0
    unreported: int = 0

    @property
    def known(self) -> bool:
        """Whether every request reported its usage (otherwise :attr:`usage` is a lower bound)."""
        return self.unreported == 0

    def add(self, usage: Usage | None, cost: float | None) -> None:
        """Add one request: its usage (``None``: the backend did not report any) and cost."""
        self.requests += 1
        if usage is None:
            self.unreported += 1
            self.cost = None
            return
        self.usage = self.usage + usage
        self.cost = None if self.cost is None or cost is None else self.cost + cost

    def copy(self) -> UsageTotals:
        return UsageTotals(
            usage=self.usage, cost=self.cost, requests=self.requests, unreported=self.unreported
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: tokens are ``None`` (unknown) when no request reported usage; with some
        unreported requests they are what was reported (``unreported_requests`` says how many
        were not)."""
        u = self.usage
        unknown = self.unreported > 0 and self.unreported == self.requests
        return {
            "input_tokens": None if unknown else u.input_tokens,
            "output_tokens": None if unknown else u.output_tokens,
            "cached_input_tokens": None if unknown else u.cached_input_tokens,
            "reasoning_tokens": None if unknown else u.reasoning_tokens,
            "requests": self.requests,
            "unreported_requests": self.unreported,
            "cost": self.cost,
        }


class UsageLedger:
    """Usage per agent and for the whole run."""

    def __init__(self) -> None:
        self.agents: dict[str, UsageTotals] = {}
        self.total = UsageTotals()

    def record(self, agent_id: str, usage: Usage | None, model: ModelSpec | None = None) -> float | None:
        """Add one request's usage (``None``: the backend reported none); returns its cost
        (``None`` if unknown)."""
        cost = None if usage is None else cost_of(usage, model)
        self.agents.setdefault(agent_id, UsageTotals()).add(usage, cost)
        self.total.add(usage, cost)
        return cost
