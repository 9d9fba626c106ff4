"""The loaded model: one llama.cpp engine (``xllamacpp``) per file and settings, shared by every agent
of the process.

A model is loaded once (``load_model``) and used by one generation at a time (its lock): agents on the
same model take turns, which on a small CPU is also the fastest way to share it. :meth:`LoadedModel.generate`
is blocking and runs in a worker thread (see :mod:`.bridge`); it stops at the next token once its
``stop`` event is set.

``xllamacpp`` ships llama.cpp prebuilt (a manylinux wheel, nothing to compile) and exposes llama.cpp's
own server engine in-process: the prompt is rendered here (:mod:`.chat_template`, from the GGUF
header read by :mod:`.gguf`), and a forced call is constrained by llama.cpp's JSON Schema grammar.
"""

from __future__ import annotations

import atexit
import collections
import importlib
import random
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
from massgen_core.plugin import ConfigError, ContextTooLongError, InvalidRequestError

from .chat_template import CHATML, ChatTemplate
from .gguf import GGUFError, read_gguf_info
from .threads import POLL, default_threads

__all__ = [
    "Finished",
    "GenerationSettings",
    "LoadedModel",
    "ModelKey",
    "Piece",
    "load_model",
    "release_model",
    "want_model",
]


@attrs.frozen(kw_only=True)
class ModelKey:
    """What a loaded model is shared by: agents with the same key use the same engine.

    ``n_threads`` None: sized when the model is loaded (:func:`.threads.default_threads`), from the
    number of models the agents of this process asked for.
    """

    path: Path
    n_ctx: int
    n_threads: int | None
    n_gpu_layers: int
    chat_template: str | None = None


@attrs.frozen(kw_only=True)
class GenerationSettings:
    max_tokens: int
    temperature: float
    top_p: float
    top_k: int
    min_p: float
    repeat_penalty: float
    seed: int | None = None


@attrs.frozen
class Piece:
    """Generated text, from step ``step`` of the generation."""

    text: str
    step: int = 0


@attrs.frozen(kw_only=True)
class Finished:
    """The generation ended: ``reason`` is ``stop``, ``length`` or ``cancelled``."""

    reason: str
    prompt_tokens: int
    completion_tokens: int


Emit = Callable[[Piece | Finished], None]


#: a grammar-constrained call may use at least this many tokens, so a small ``max_tokens`` does not cut
#: it before its first arguments
MIN_CALL_TOKENS = 128


#: llguidance options for a call's JSON: compact (no free whitespace for a small model to wander in)
GUIDANCE = {"whitespace_flexible": False}


class LoadedModel:
    """A llama.cpp engine with its chat template and a lock."""

    def __init__(self, key: ModelKey, n_threads: int) -> None:
        try:
            info = read_gguf_info(key.path)
        except (GGUFError, OSError) as exc:
            raise ConfigError(f"llamacpp: cannot use {key.path} as a model: {exc}") from exc
        # imported as Any: xllamacpp is an optional extra, absent where the type checker runs
        engine: Any = importlib.import_module("xllamacpp")
        params = engine.CommonParams()
        params.model.path = str(key.path)
        params.n_ctx = key.n_ctx
        params.n_parallel = 1  # one generation at a time (the lock): the whole context for it
        params.n_gpu_layers = key.n_gpu_layers
        params.verbosity = -1  # llama.cpp's log lines would interleave with the live display
        for cpu in (params.cpuparams, params.cpuparams_batch):
            cpu.n_threads = n_threads
            cpu.poll = POLL
        self.key = key
        self.n_threads = n_threads
        self.lock = threading.Lock()
        self.adds_bos = info.adds_bos
        self.template = ChatTemplate(
            key.chat_template or info.chat_template or CHATML,
            bos_token=info.bos_token,
            eos_token=info.eos_token,
        )
        self.server = engine.Server(params)

    @property
    def name(self) -> str:
        return self.key.path.name

    def prompt(self, messages: list[dict[str, str]]) -> str:
        """``messages`` rendered by the chat template, up to where the reply starts."""
        try:
            text = self.template.render(messages)
        except Exception as exc:  # a template that rejects the conversation (roles, order)
            raise InvalidRequestError(
                f"llamacpp: the chat template of {self.name} rejected the conversation: {exc}",
                backend="llamacpp",
            ) from exc
        bos = self.template.bos_token
        if self.adds_bos and bos and text.startswith(bos):  # llama.cpp adds it: not twice
            text = text[len(bos) :]
        return text

    def constraint(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        """The grammar constraint for JSON matching ``schema`` (llama.cpp compiles it per request)."""
        return {**schema, "x-guidance": GUIDANCE}

    def generate(
        self,
        prompt: str,
        settings: GenerationSettings,
        emit: Emit,
        stop: threading.Event,
        constraints: Sequence[Mapping[str, Any] | None] = (None,),
    ) -> None:
        """Generate from ``prompt`` (blocking), emitting ``Piece``s then one ``Finished``.

        One step per entry of ``constraints`` (``None``: free text; else the JSON Schema the output
        must match), all under one hold of the lock; each step continues the text of the steps
        before it, on a new line.
        """
        while not self.lock.acquire(timeout=0.05):
            if stop.is_set():
                return
        try:
            prompt_tokens, generated, reason = 0, 0, "stop"
            for step, schema in enumerate(constraints):
                if stop.is_set():
                    reason = "cancelled"
                    break
                if step:
                    prompt += "\n"
                text, reason, usage = self._step(prompt, settings, emit, stop, schema, step)
                prompt_tokens = prompt_tokens or usage.get("prompt_tokens", 0)
                generated += usage.get("completion_tokens", 0)
                prompt += text
            emit(Finished(reason=reason, prompt_tokens=prompt_tokens, completion_tokens=generated))
        finally:
            self.lock.release()

    def _step(
        self,
        prompt: str,
        settings: GenerationSettings,
        emit: Emit,
        stop: threading.Event,
        schema: Mapping[str, Any] | None,
        step: int,
    ) -> tuple[str, str, dict[str, int]]:
        budget = settings.max_tokens if schema is None else max(settings.max_tokens, MIN_CALL_TOKENS)
        seed = settings.seed if settings.seed is not None else random.randrange(2**31)
        request: dict[str, Any] = {
            "prompt": prompt,
            "n_predict": budget,
            "temperature": settings.temperature,
            "top_p": settings.top_p,
            "top_k": settings.top_k,
            "min_p": settings.min_p,
            "repeat_penalty": settings.repeat_penalty,
            "seed": seed + step,
            "stream": True,
            "cache_prompt": True,
        }
        if schema is not None:
            request["json_schema"] = dict(schema)
        pieces: list[str] = []
        state: dict[str, Any] = {"reason": "stop", "usage": {}, "error": None}

        def on_chunk(chunk: Mapping[str, Any]) -> bool:  # called at every token; True stops
            if "error" in chunk or "choices" not in chunk:
                state["error"] = chunk.get("error", chunk)
                return True
            choice = chunk["choices"][0]
            if choice.get("text"):
                pieces.append(choice["text"])
                emit(Piece(choice["text"], step=step))
            if choice.get("finish_reason"):
                state["reason"] = choice["finish_reason"]
                state["usage"] = chunk.get("usage") or {}
            return stop.is_set()

        self.server.handle_completions(request, on_chunk)
        if state["error"] is not None:
            raise self._error(state["error"])
        reason = "cancelled" if stop.is_set() else state["reason"]
        return "".join(pieces), reason, state["usage"]

    def _error(self, error: Any) -> Exception:
        detail = error if isinstance(error, Mapping) else {"message": str(error)}
        message = str(detail.get("message") or detail)
        if detail.get("type") == "exceed_context_size_error":
            return ContextTooLongError(
                f"llamacpp: the conversation ({detail.get('n_prompt_tokens', '?')} tokens) does not fit the "
                f"context window (n_ctx {self.key.n_ctx}); raise n_ctx or shorten the conversation",
                backend="llamacpp",
            )
        return InvalidRequestError(f"llamacpp: {self.name}: {message}", backend="llamacpp")

    def close(self) -> None:
        self.server = None  # the engine stops its loop and frees the model when dropped


_MODELS: dict[ModelKey, LoadedModel] = {}
_WANTED: collections.Counter[ModelKey] = collections.Counter()
_LOADING = threading.Lock()


def want_model(key: ModelKey) -> None:
    """An agent of this process will use ``key`` (counted to share the cores among the models)."""
    with _LOADING:
        _WANTED[key] += 1


def release_model(key: ModelKey) -> None:
    """The agent that wanted ``key`` is closed."""
    with _LOADING:
        _WANTED[key] -= 1
        if _WANTED[key] <= 0:
            del _WANTED[key]


def load_model(key: ModelKey) -> LoadedModel:
    """The process's model for ``key``, loaded on first use."""
    with _LOADING:
        model = _MODELS.get(key)
        if model is None:
            if not _MODELS:
                atexit.register(close_models)
            models = len(set(_WANTED) | set(_MODELS) | {key})
            n_threads = key.n_threads or default_threads(models)
            model = _MODELS[key] = LoadedModel(key, n_threads)
        return model


def close_models() -> None:
    """Free every loaded model (at exit, while the engine can still free them cleanly)."""
    with _LOADING:
        models = list(_MODELS.values())
        _MODELS.clear()
    for model in models:
        if model.lock.acquire(timeout=5):  # a generation still running: leave it to the OS
            model.close()
            model.lock.release()
