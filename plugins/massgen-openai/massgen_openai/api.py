"""massgen-openai's reuse API: what another plugin may build on (the only module it may import).

``massgen-local`` serves LM Studio, vLLM and SGLang with the Chat Completions backend of this
plugin; a third-party plugin for another OpenAI-compatible server does the same:

- :class:`ChatPreset` and :func:`preset_spec` declare a provider (base URL, key env vars, models)
  and turn it into a :class:`~massgen_core.plugin.BackendSpec`; :data:`CHAT_CAPABILITIES` is what
  every Chat Completions backend can do.
- :class:`ChatCompletionOptions` is the options class to subclass for extra keys.
- :class:`ChatCompletionsBackend` is the backend to subclass (override ``provider_params()`` for
  extra request fields); ``self.errors`` (an :class:`ErrorContext`) holds its error hints.
- :data:`SDK_ERRORS` and :func:`map_sdk_error` turn the openai SDK's exceptions into MassGen errors.

Everything else in ``massgen_openai`` is internal and may change without notice. Names are
imported on first use: the backend and the error helpers import the openai SDK, so an entry
point that needs only the presets stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .chat_backend import ChatCompletionsBackend
    from .client import SDK_ERRORS
    from .errors import ErrorContext, map_sdk_error
    from .options import ChatCompletionOptions
    from .presets import CHAT_CAPABILITIES, ChatPreset, preset_spec

__all__ = [
    "CHAT_CAPABILITIES",
    "SDK_ERRORS",
    "ChatCompletionOptions",
    "ChatCompletionsBackend",
    "ChatPreset",
    "ErrorContext",
    "map_sdk_error",
    "preset_spec",
]

_LOCATIONS = {
    "CHAT_CAPABILITIES": ".presets",
    "ChatPreset": ".presets",
    "preset_spec": ".presets",
    "ChatCompletionOptions": ".options",
    "ChatCompletionsBackend": ".chat_backend",
    "SDK_ERRORS": ".client",
    "ErrorContext": ".errors",
    "map_sdk_error": ".errors",
}


def __getattr__(name: str) -> Any:
    try:
        module = _LOCATIONS[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module, __package__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
