"""The ``gemini`` backend's options (the YAML ``backend:`` keys). Plain attrs, no SDK import."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import attrs
from massgen_core.plugin import SamplingOptions, option

__all__ = ["GeminiOptions", "ThinkingSettings", "ToolCombination"]

ToolCombination = Literal["auto", "combined", "separate"]


@attrs.frozen(kw_only=True)
class ThinkingSettings:
    """``thinking: {budget, level, include_thoughts}`` (Gemini's ``thinkingConfig``)."""

    budget: int | None = option(
        None, help="Thinking tokens: -1 lets the model decide, 0 turns thinking off (Flash models)."
    )
    level: Literal["minimal", "low", "medium", "high"] | None = option(
        None, help="Thinking level of Gemini 3 models (instead of a budget)."
    )
    include_thoughts: bool = option(True, help="Stream the model's thought summaries as reasoning.")


@attrs.frozen(kw_only=True)
class GeminiOptions(SamplingOptions):
    """Options of the ``gemini`` backend."""

    api_version: str | None = option(
        None,
        help="API version in the URL (default v1beta, or the version base_url ends with, or "
        "GOOGLE_GENAI_API_VERSION).",
    )
    thinking: ThinkingSettings | None = option(
        None,
        requires="reasoning",
        help="Thinking settings: {budget, level, include_thoughts}; thoughts are shown by default.",
    )
    top_k: int | None = option(None, help="Top-k sampling.")
    enable_web_search: bool = option(
        False, requires="web_search", help="Google Search grounding, with queries, sources and citations."
    )
    enable_code_execution: bool = option(
        False, requires="code_execution", help="Gemini's sandboxed Python code execution."
    )
    builtin_tools_with_functions: ToolCombination = option(
        "auto",
        help="How web search / code execution meet function tools: combined in one request "
        "(Gemini 3), separate (a built-in-tools request, then a function-calling request with "
        "its results), or auto (by model).",
    )
    extra_headers: Mapping[str, str] | None = option(
        None, help="Extra HTTP headers for every request (e.g. for a proxy)."
    )
