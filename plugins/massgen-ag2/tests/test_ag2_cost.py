"""An ag2 agent's cost is what AG2 priced its calls at (real AG2 against the fake provider,
MassGen's Python API); a model AG2 has no price for keeps its cost unknown, not zero."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import massgen_core
import pytest
from ag2_testkit import anyio_backend, config, workdir  # noqa: F401
from massgen_core.plugin import Usage
from massgen_core.testing.fake_provider import FakeProviderServer, RecordedRequest, Reply
from massgen_core.testing.fake_provider import Usage as WireUsage

pytestmark = pytest.mark.anyio

TOKENS = WireUsage(input_tokens=1200, output_tokens=345)
UNPRICED = "my-local-model"


@pytest.fixture
def priced_fake() -> Iterator[FakeProviderServer]:
    with FakeProviderServer(models=("gpt-4o", UNPRICED)) as server:
        server.responder = lambda _request: Reply("The answer is 42.", usage=TOKENS)
        yield server
    assert not server.handler_errors


def ag2_cost_of(model: str) -> float:
    """What AG2 0.14 charges for TOKENS on ``model`` (its own table, read here)."""
    from autogen.oai.openai_utils import OAI_PRICE1K

    prompt, completion = OAI_PRICE1K[model]
    return float(prompt * TOKENS.input_tokens + completion * TOKENS.output_tokens) / 1000


def agent(fake: FakeProviderServer, model: str, **llm: Any) -> dict[str, Any]:
    llm_config = {"model": model, "base_url": fake.openai_base_url, "api_key": "k", **llm}
    return {"id": "ag2", "backend": {"type": "ag2", "agent_config": {"llm_config": llm_config}}}


async def run(fake: FakeProviderServer, **agent_args: Any) -> tuple[list[Usage], Any]:
    events: list[Any] = []
    result = await massgen_core.run(config(agent(fake, **agent_args)), "What is 6*7?", on_event=events.append)
    usages = [
        e.event for e in events if getattr(e, "kind", None) == "agent_output" and isinstance(e.event, Usage)
    ]
    return usages, result.usage["ag2"]


def answered_models(fake: FakeProviderServer) -> set[str]:
    calls: list[RecordedRequest] = fake.model_calls()
    return {str(r.json["model"]) for r in calls}


async def test_a_model_ag2_prices_costs_what_ag2_computed(
    priced_fake: FakeProviderServer, workdir: Path
) -> None:
    usages, totals = await run(priced_fake, model="gpt-4o")
    assert answered_models(priced_fake) == {"gpt-4o"} and usages
    per_call = ag2_cost_of("gpt-4o")
    assert per_call > 0
    for usage in usages:
        assert (usage.input_tokens, usage.output_tokens) == (TOKENS.input_tokens, TOKENS.output_tokens)
        assert usage.cost == pytest.approx(per_call)
    assert totals.requests == len(usages)
    assert totals.cost == pytest.approx(per_call * len(usages))


async def test_a_model_ag2_has_no_price_for_keeps_its_cost_unknown(
    priced_fake: FakeProviderServer, workdir: Path
) -> None:
    usages, totals = await run(priced_fake, model=UNPRICED)
    assert usages and all(u.cost is None for u in usages)
    assert all(u.output_tokens == TOKENS.output_tokens for u in usages)
    assert totals.cost is None and totals.usage.output_tokens == TOKENS.output_tokens * len(usages)


async def test_the_llm_config_price_prices_a_model_ag2_does_not_know(
    priced_fake: FakeProviderServer, workdir: Path
) -> None:
    usages, totals = await run(priced_fake, model=UNPRICED, price=[0.5, 2.0])
    per_call = (0.5 * TOKENS.input_tokens + 2.0 * TOKENS.output_tokens) / 1000
    assert usages and all(u.cost == pytest.approx(per_call) for u in usages)
    assert totals.cost == pytest.approx(per_call * len(usages))
