"""AG2's own Anthropic client, made to work with the anthropic SDK installed beside it (imports AG2).

AG2 0.14.1's ``AnthropicClient`` always passes ``temperature`` (default 1.0), and ``top_p`` /
``top_k`` when set, as keyword arguments of ``messages.create``; the anthropic SDK of this
environment (2.x) no longer has those parameters and raises ``TypeError``. This subclass sends
the sampling settings the user gave in the request body instead (``extra_body``), drops AG2's
default temperature, and turns the SDK's retries off (MassGen retries). Everything else (message
conversion, streaming, tool calls, pricing) is AG2's. It is registered on each agent through
AG2's ``model_client_cls`` mechanism (``massgen_ag2.agents.build_agent``).
"""

from __future__ import annotations

from typing import Any

from autogen.oai.anthropic import AnthropicClient

from .llm import ANTHROPIC_CLIENT

__all__ = ["CLIENT_NAME", "MassGenAnthropicClient"]

#: the ``model_client_cls`` name an ``api_type: anthropic`` config entry carries
CLIENT_NAME = ANTHROPIC_CLIENT
_SAMPLING = ("temperature", "top_p", "top_k")


class MassGenAnthropicClient(AnthropicClient):
    def __init__(self, config: dict[str, Any], **_kwargs: Any) -> None:
        entry = {k: v for k, v in config.items() if k != "model_client_cls"}
        self._sampling = {k: entry[k] for k in _SAMPLING if entry.get(k) is not None}
        super().__init__(**entry)
        self._client = self._client.with_options(max_retries=0)

    def _prepare_anthropic_params(
        self, params: dict[str, Any], anthropic_messages: list[dict[str, Any]]
    ) -> dict[str, Any]:
        prepared: dict[str, Any] = super()._prepare_anthropic_params(params, anthropic_messages)
        for name in _SAMPLING:
            prepared.pop(name, None)
        if self._sampling:
            prepared["extra_body"] = {**prepared.get("extra_body", {}), **self._sampling}
        return prepared
