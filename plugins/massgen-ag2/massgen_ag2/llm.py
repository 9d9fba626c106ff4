"""An ``llm_config`` from the options, with its API key and endpoint resolved (no AG2 import).

Keys come from the same env vars as MassGen's own backends, so one ``.env`` serves both.
Retries are off (the core retries), and AG2's response cache is off (every run asks the model).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import attrs
from massgen_core.plugin import BackendContext, missing_api_key

from .options import LlmSettings

__all__ = ["KEY_ENV", "ResolvedLlm", "resolve_llm"]

#: the env vars that hold each api_type's key, in order (as the openai, gemini and claude backends)
KEY_ENV: Mapping[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",),
    "google": ("GOOGLE_API_KEY", "GEMINI_API_KEY"),
    "anthropic": ("ANTHROPIC_API_KEY",),
}
BASE_URL_ENV: Mapping[str, tuple[str, ...]] = {
    "openai": ("OPENAI_BASE_URL",),
    "google": ("GOOGLE_GEMINI_BASE_URL",),
    "anthropic": ("ANTHROPIC_BASE_URL",),
}
#: the ``model_client_cls`` of ``api_type: anthropic`` entries (:mod:`.anthropic_client`)
ANTHROPIC_CLIENT = "MassGenAnthropicClient"
#: what an OpenAI-compatible server that checks no key is sent
NO_KEY = "not-needed"


@attrs.frozen(kw_only=True)
class ResolvedLlm:
    """One ``llm_config`` ready for AG2, and what error messages name."""

    config: Mapping[str, Any] = attrs.field(repr=False)
    api_type: str
    model: str
    base_url: str | None
    key_env: tuple[str, ...]


def resolve_llm(llm: LlmSettings, context: BackendContext) -> ResolvedLlm:
    """The AG2 ``llm_config`` entry for ``llm``; raises ``AuthenticationError`` for a missing key."""
    env = context.environ
    key_env = KEY_ENV[llm.api_type]
    base_url = (
        llm.base_url
        or (context.base_url if llm.api_type == "openai" else None)
        or next((env[v] for v in BASE_URL_ENV[llm.api_type] if env.get(v)), None)
    )
    api_key = llm.api_key or context.api_key or next((env[v] for v in key_env if env.get(v)), None)
    if not api_key:
        if llm.api_type != "openai" or not base_url:
            raise missing_api_key("ag2", key_env)
        api_key = NO_KEY  # an OpenAI-compatible server given by base_url may need none
    config: dict[str, Any] = {
        "api_type": llm.api_type,
        "model": llm.model,
        "api_key": api_key,
        "stream": llm.stream,
    }
    if base_url:
        config["base_url"] = base_url
    if llm.api_type == "openai":
        config["max_retries"] = 0
    elif llm.api_type == "anthropic":
        config["model_client_cls"] = ANTHROPIC_CLIENT  # AG2's client, fitted to the SDK here
    timeout = context.timeouts.first_event or context.timeouts.total
    if timeout:
        config["timeout"] = math.ceil(timeout)
    for name in ("temperature", "top_p", "max_tokens"):
        value = getattr(llm, name)
        if value is not None:
            config[name] = value
    if llm.price is not None:
        config["price"] = list(llm.price)
    return ResolvedLlm(
        config=config, api_type=llm.api_type, model=llm.model, base_url=base_url, key_env=key_env
    )
