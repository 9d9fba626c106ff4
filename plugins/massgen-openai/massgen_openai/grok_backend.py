"""The ``grok`` backend: xAI's Chat Completions with Live Search and citations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from massgen_core.plugin import ConfigError

from .chat_backend import ChatCompletionsBackend
from .options import GrokOptions

__all__ = ["GrokBackend", "search_parameters"]

_MODES = ("auto", "on", "off")


def search_parameters(options: GrokOptions) -> dict[str, Any] | None:
    """``search_parameters`` to send: ``enable_web_search`` gives ``{mode: auto, return_citations:
    true}``; ``extra_body.search_parameters`` refines (or by itself enables) it."""
    given = (options.extra_body or {}).get("search_parameters")
    if given is not None and not isinstance(given, Mapping):
        raise ConfigError(
            "grok: extra_body.search_parameters must be a mapping (mode, return_citations, max_search_results)"
        )
    if not options.enable_web_search and given is None:
        return None
    merged = {"mode": "auto", "return_citations": True, **(given or {})}
    if merged["mode"] not in _MODES:
        raise ConfigError(
            f"grok: search_parameters.mode must be one of {', '.join(_MODES)}, not {merged['mode']!r}"
        )
    limit = merged.get("max_search_results")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise ConfigError(
            f"grok: search_parameters.max_search_results must be a positive integer, not {limit!r}"
        )
    return merged


class GrokBackend(ChatCompletionsBackend):
    """Chat Completions against ``https://api.x.ai/v1`` with Live Search settings; the citations
    xAI returns are streamed as web-search activity and kept in ``Done.citations``."""

    def provider_params(self) -> dict[str, Any]:
        assert isinstance(self.options, GrokOptions)
        params = search_parameters(self.options)
        return {} if params is None else {"search_parameters": params}
