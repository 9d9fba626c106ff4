"""``lmstudio``, ``vllm`` and ``sglang``: massgen-openai's Chat Completions backend, pointed at a local server.

The streaming itself (tool calls from servers that repeat ``name``/``id`` in every delta, reasoning
from ``reasoning_content`` or ``reasoning``) is :class:`~massgen_openai.api.ChatCompletionsBackend`'s (massgen-openai's reuse API).
What is added here: the engines' extra request fields, and error messages that say what to check
on a local server (is it running, the port, the ``/v1`` suffix, is the model loaded).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, ClassVar

import attrs
from massgen_core.plugin import BackendContext, BackendEvent, ChatRequest, ModelNotFoundError
from massgen_openai.api import SDK_ERRORS, ChatCompletionsBackend, ChatPreset, map_sdk_error

from .diagnostics import missing_v1_hint, model_not_loaded, models_endpoint_missing
from .options import LMStudioOptions
from .presets import LOCAL_PRESETS

__all__ = ["LMStudioBackend", "LocalServerBackend", "SGLangBackend", "VLLMBackend"]


class LocalServerBackend(ChatCompletionsBackend):
    """An OpenAI-compatible local inference server."""

    presets: ClassVar[tuple[ChatPreset, ...]] = LOCAL_PRESETS

    def __init__(self, options: Any, context: BackendContext, *, client: Any = None) -> None:
        super().__init__(options, context, client=client)
        base = (context.base_url or "").rstrip("/")
        hint = f"`curl {base}/models` lists the models the server has loaded"
        if extra := missing_v1_hint(context.base_url):
            hint = f"{hint}; {extra}"
        self.errors = attrs.evolve(self.errors, not_found_hint=hint)

    def provider_params(self) -> dict[str, Any]:
        """The engine's own request fields (``top_k``, ``chat_template_kwargs``, ...), when declared."""
        engine_params = getattr(self.options, "engine_params", None)
        return dict(engine_params()) if callable(engine_params) else {}

    async def served_models(self) -> list[str]:
        """The model ids ``GET {base_url}/models`` lists."""
        try:
            page = await self.client.models.list()
            return [model.id async for model in page]
        except SDK_ERRORS as exc:
            if getattr(exc, "status_code", None) == 404:
                raise models_endpoint_missing(self.context) from exc
            raise map_sdk_error(exc, self.errors) from exc


class VLLMBackend(LocalServerBackend):
    """``vllm``: sends ``top_k``, ``repetition_penalty``, ``chat_template_kwargs``."""


class SGLangBackend(LocalServerBackend):
    """``sglang``: vLLM's extras plus ``separate_reasoning``."""


class LMStudioBackend(LocalServerBackend):
    """``lmstudio``: checks once that the server is up and the model is loaded before the first request,
    and when a request is refused for the model, says which models are loaded."""

    def __init__(self, options: Any, context: BackendContext, *, client: Any = None) -> None:
        super().__init__(options, context, client=client)
        self._checked = not (isinstance(options, LMStudioOptions) and options.check_model)

    async def check_model(self) -> None:
        """Raise ``ConnectionFailedError`` (server down) or ``ModelNotFoundError`` (model not loaded)."""
        loaded = await self.served_models()
        if not any(m.casefold() == self.context.model.casefold() for m in loaded):
            raise model_not_loaded(self.context, loaded)

    async def stream(self, request: ChatRequest) -> AsyncIterator[BackendEvent]:
        if not self._checked:
            await self.check_model()
            self._checked = True
        try:
            async for event in super().stream(request):
                yield event
        except ModelNotFoundError as exc:
            loaded = await self.served_models()
            raise model_not_loaded(self.context, loaded, detail=str(exc)) from exc
