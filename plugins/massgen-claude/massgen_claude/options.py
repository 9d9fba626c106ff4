"""The ``claude`` backend's options (the YAML ``backend:`` keys): a plain attrs class, no SDK import.

Options a model may reject name the capability they need (``requires=``), so the core refuses
them at validation instead of the API answering 400: ``temperature``/``top_p`` need
``sampling`` and ``thinking_budget`` needs ``thinking_budget`` (both absent on the Claude 5
family, which thinks adaptively), ``enable_web_search``/``enable_code_execution`` need the
server tools.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
from massgen_core.plugin import InvalidValue, SamplingOptions, option

from .capability_kinds import THINKING_BUDGET

__all__ = ["DEFAULT_MAX_TOKENS", "MIN_THINKING_BUDGET", "ClaudeOptions"]

#: ``max_tokens`` when a config gives none (the Messages API requires one)
DEFAULT_MAX_TOKENS = 16_384
#: the smallest thinking budget the API accepts
MIN_THINKING_BUDGET = 1_024


def _thinking_budget(_instance: Any, attribute: attrs.Attribute[Any], value: int | None) -> None:
    if value is not None and value < MIN_THINKING_BUDGET:
        raise InvalidValue(
            attribute.name, f"must be at least {MIN_THINKING_BUDGET} tokens (the API's minimum)"
        )


@attrs.frozen(kw_only=True)
class ClaudeOptions(SamplingOptions):
    """Options of the ``claude`` backend (Anthropic Messages API).

    ``max_tokens`` defaults to :data:`DEFAULT_MAX_TOKENS`, plus ``thinking_budget`` when thinking
    is on (the budget counts against ``max_tokens``).
    """

    thinking_budget: int | None = option(
        None,
        requires=THINKING_BUDGET,
        validator=_thinking_budget,
        help="Extended thinking with this many tokens to think (at least 1024); the thinking is "
        "shown as reasoning and carried to the next turn with its signature.",
    )
    enable_web_search: bool = option(
        False, requires="web_search", help="Anthropic's server web search tool, with citations."
    )
    web_search_max_uses: int | None = option(
        None, help="At most this many searches per request (enable_web_search)."
    )
    enable_code_execution: bool = option(
        False,
        requires="code_execution",
        help="Anthropic's server code execution tool (a sandbox: bash and file editing); stdout, "
        "stderr and the return code are shown.",
    )
    parallel_tool_calls: bool | None = option(
        None, help="Let the model ask for several tool calls at once (the API's default: yes)."
    )
    prompt_caching: bool = option(
        False,
        help="Cache the conversation so far at each request (writes cost 1.25x input, reads 0.1x): "
        "pays off for agents that make several requests with the same beginning.",
    )
    betas: tuple[str, ...] = option((), help="Beta features to turn on (the anthropic-beta header).")
    extra_headers: Mapping[str, str] | None = option(None, help="Extra HTTP headers for every request.")
    extra_body: Mapping[str, Any] | None = option(
        None, help="Extra JSON fields merged into the request body, sent verbatim."
    )

    def __attrs_post_init__(self) -> None:
        if self.thinking_budget is not None and self.temperature not in (None, 1, 1.0):
            raise InvalidValue(
                "temperature", "must be left out (or 1) with thinking_budget: extended thinking samples at 1"
            )
        if self.thinking_budget is not None and self.top_p is not None and not 0.95 <= self.top_p <= 1:
            raise InvalidValue("top_p", "must be between 0.95 and 1 with thinking_budget (or left out)")
        if (
            self.thinking_budget is not None
            and self.max_tokens is not None
            and self.max_tokens <= self.thinking_budget
        ):
            raise InvalidValue(
                "max_tokens",
                f"must be larger than thinking_budget ({self.thinking_budget}): the budget counts "
                f"against max_tokens (or leave max_tokens out: it then defaults to "
                f"{DEFAULT_MAX_TOKENS} + thinking_budget)",
            )

    @property
    def effective_max_tokens(self) -> int:
        """``max_tokens`` as sent: the configured one, else the default (plus the thinking budget)."""
        if self.max_tokens is not None:
            return self.max_tokens
        return DEFAULT_MAX_TOKENS + (self.thinking_budget or 0)
