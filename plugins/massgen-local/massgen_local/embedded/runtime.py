"""The loaded model: one ``llama_cpp.Llama`` per file and settings, shared by every agent of the process.

A model is loaded once (``load_model``) and used by one generation at a time (its lock): agents on the
same model take turns, which on a small CPU is also the fastest way to share it. :meth:`LoadedModel.generate`
is blocking and runs in a worker thread (see :mod:`.bridge`); it stops at the next token once its
``stop`` event is set.
"""

from __future__ import annotations

import atexit
import functools
import importlib
import json
import os
import random
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
from massgen_core.plugin import ContextTooLongError, InvalidRequestError

from .toolcalls import CALL_ORDER

__all__ = ["Finished", "GenerationSettings", "LoadedModel", "ModelKey", "Piece", "load_model"]

#: the template used when a GGUF file has none (ChatML: what most small instruct models use)
CHATML = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


@attrs.frozen(kw_only=True)
class ModelKey:
    """What a loaded model is shared by: agents with the same key use the same ``Llama``."""

    path: Path
    n_ctx: int
    n_threads: int
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


def default_threads() -> int:
    return max(1, min(8, os.cpu_count() or 1))


class LoadedModel:
    """A ``Llama`` with its chat formatter and a lock."""

    def __init__(self, key: ModelKey) -> None:
        # imported as Any: llama_cpp is an optional extra, absent where the type checker runs
        llama_cpp: Any = importlib.import_module("llama_cpp")
        chat_format: Any = importlib.import_module("llama_cpp.llama_chat_format")

        self.key = key
        self.lock = threading.Lock()
        self.llama = llama_cpp.Llama(
            model_path=str(key.path),
            n_ctx=key.n_ctx,
            n_threads=key.n_threads,
            n_threads_batch=key.n_threads,
            n_gpu_layers=key.n_gpu_layers,
            verbose=False,
        )
        metadata: Mapping[str, str] = self.llama.metadata or {}
        template = key.chat_template or metadata.get("tokenizer.chat_template") or CHATML
        self.eos_token = self._token_text(self.llama.token_eos())
        self.formatter = chat_format.Jinja2ChatFormatter(
            template=template, eos_token=self.eos_token, bos_token=self._token_text(self.llama.token_bos())
        )
        self._llama_cpp = llama_cpp

    def _token_text(self, token: int) -> str:
        if token < 0:
            return ""
        text: bytes = self.llama.detokenize([token], special=True)
        return text.decode("utf-8", errors="ignore")

    @property
    def name(self) -> str:
        return self.key.path.name

    def prompt_tokens(self, messages: list[dict[str, str]]) -> list[int]:
        """``messages`` rendered by the chat template, as tokens."""
        try:
            rendered = self.formatter(messages=messages)
        except Exception as exc:  # a template that rejects the conversation (roles, order)
            raise InvalidRequestError(
                f"llamacpp: the chat template of {self.name} rejected the conversation: {exc}",
                backend="llamacpp",
            ) from exc
        tokens: list[int] = self.llama.tokenize(rendered.prompt.encode("utf-8"), add_bos=True, special=True)
        if tokens[:2] == [self.llama.token_bos()] * 2:  # the template wrote a BOS of its own
            tokens = tokens[1:]
        return tokens

    def grammar(self, schema: Mapping[str, Any]) -> Any:
        """A ``LlamaGrammar`` for JSON matching ``schema`` (cached per schema)."""
        return _grammar(self._llama_cpp, json.dumps(schema))

    def generate(
        self,
        tokens: list[int],
        settings: GenerationSettings,
        emit: Emit,
        stop: threading.Event,
        grammars: Sequence[Any] = (None,),
    ) -> None:
        """Generate from ``tokens`` (blocking), emitting ``Piece``s then one ``Finished``.

        One step per entry of ``grammars`` (``None``: free text), all under one hold of the lock;
        each step continues the text of the steps before it, on a new line.
        """
        while not self.lock.acquire(timeout=0.05):
            if stop.is_set():
                return
        try:
            prompt_tokens, generated, reason = len(tokens), 0, "stop"
            for step, grammar in enumerate(grammars):
                if stop.is_set():
                    reason = "cancelled"
                    break
                if step:
                    tokens = tokens + self.llama.tokenize(b"\n", add_bos=False, special=False)
                text, reason = self._step(tokens, settings, emit, stop, grammar, step)
                written = self.llama.tokenize(text.encode("utf-8"), add_bos=False, special=False)
                generated += len(written)
                tokens = tokens + written
            emit(Finished(reason=reason, prompt_tokens=prompt_tokens, completion_tokens=generated))
        finally:
            self.lock.release()

    def _step(
        self,
        tokens: list[int],
        settings: GenerationSettings,
        emit: Emit,
        stop: threading.Event,
        grammar: Any,
        step: int,
    ) -> tuple[str, str]:
        room = self.key.n_ctx - len(tokens)
        if room < 16:
            raise ContextTooLongError(
                f"llamacpp: the conversation ({len(tokens)} tokens) does not fit the context window "
                f"(n_ctx {self.key.n_ctx}); raise n_ctx or shorten the conversation",
                backend="llamacpp",
            )

        def stopped(_ids: Any, _logits: Any) -> bool:  # checked at every token
            return stop.is_set()

        budget = settings.max_tokens if grammar is None else max(settings.max_tokens, MIN_CALL_TOKENS)
        seed = settings.seed if settings.seed is not None else random.randrange(2**31)
        reason = "stop"
        pieces: list[str] = []
        chunks = self.llama.create_completion(
            prompt=tokens,
            max_tokens=min(budget, room),
            temperature=settings.temperature,
            top_p=settings.top_p,
            top_k=settings.top_k,
            min_p=settings.min_p,
            repeat_penalty=settings.repeat_penalty,
            seed=seed + step,
            stream=True,
            stop=[self.eos_token] if self.eos_token else [],
            grammar=grammar,
            stopping_criteria=self._llama_cpp.StoppingCriteriaList([stopped]),
        )
        for chunk in chunks:
            choice = chunk["choices"][0]
            if choice.get("text"):
                pieces.append(choice["text"])
                emit(Piece(choice["text"], step=step))
            reason = choice.get("finish_reason") or reason
            if stop.is_set():
                reason = "cancelled"
                break
        return "".join(pieces), reason


@functools.lru_cache(maxsize=64)
def _grammar(llama_cpp: Any, schema_json: str) -> Any:
    json_schema_to_gbnf = importlib.import_module("llama_cpp.llama_grammar").json_schema_to_gbnf
    # properties in schema order, ``name`` before ``arguments``: the model picks the tool first
    gbnf = json_schema_to_gbnf(schema_json, prop_order=list(CALL_ORDER))
    return llama_cpp.LlamaGrammar.from_string(gbnf, verbose=False)


_MODELS: dict[ModelKey, LoadedModel] = {}
_LOADING = threading.Lock()


def load_model(key: ModelKey) -> LoadedModel:
    """The process's model for ``key``, loaded on first use."""
    with _LOADING:
        model = _MODELS.get(key)
        if model is None:
            if not _MODELS:
                atexit.register(close_models)
            model = _MODELS[key] = LoadedModel(key)
        return model


def close_models() -> None:
    """Free every loaded model (at exit, while llama_cpp can still free them cleanly)."""
    with _LOADING:
        models = list(_MODELS.values())
        _MODELS.clear()
    for model in models:
        if model.lock.acquire(timeout=5):  # a generation still running: leave it to the OS
            model.llama.close()
            model.lock.release()
