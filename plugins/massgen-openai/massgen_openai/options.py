"""The options schemas (the YAML ``backend:`` keys) of every backend type in this plugin.

Plain attrs classes, no SDK import: the config loader structures a ``backend:`` block into one
of these, field name = YAML key. Options a model may reject name the capability they need
(``requires=``), so the core refuses them at validation with a clear message instead of the
provider answering 400 (e.g. ``reasoning`` on gpt-4o, ``temperature`` on gpt-5).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import attrs
from massgen_core.plugin import InvalidValue, SamplingOptions, option

from .capability_kinds import VERBOSITY
from .models import verbosity_values

__all__ = [
    "AzureOpenAIOptions",
    "ChatCompletionOptions",
    "GrokOptions",
    "OpenAIBaseOptions",
    "OpenAIOptions",
    "ReasoningSettings",
    "ResponsesOptions",
    "TextSettings",
]

Effort = Literal["none", "minimal", "low", "medium", "high", "xhigh"]
#: ``auto``/``concise``/``detailed`` are the API's values; ``always`` (= detailed) and ``never``
#: (no summary) are the seed's.
SummaryMode = Literal["auto", "concise", "detailed", "always", "never"]


@attrs.frozen(kw_only=True)
class ReasoningSettings:
    """``reasoning: {effort, summary}`` (Responses API)."""

    effort: Effort | None = option(None, help="How hard the model thinks: minimal, low, medium, high.")
    summary: SummaryMode | None = option(
        None, help="Reasoning summary: auto, concise, detailed (always = detailed, never = none)."
    )

    def wire(self) -> dict[str, Any]:
        """The ``reasoning`` request parameter."""
        out: dict[str, Any] = {}
        if self.effort is not None:
            out["effort"] = self.effort
        if self.summary is not None and self.summary != "never":
            out["summary"] = "detailed" if self.summary == "always" else self.summary
        return out


@attrs.frozen(kw_only=True)
class TextSettings:
    """``text: {verbosity}`` (Responses API, GPT-5 family)."""

    verbosity: Literal["low", "medium", "high"] | None = option(
        None, help="Answer length: low, medium, high."
    )

    def wire(self) -> dict[str, Any]:
        return {} if self.verbosity is None else {"verbosity": self.verbosity}


def _verbosity_for_model(instance: Any, attribute: attrs.Attribute[Any], value: TextSettings | None) -> None:
    """Validator: ``text.verbosity`` is a value the model accepts (checked per model and value,
    so ``medium`` on gpt-4o passes and ``low`` there is refused before the provider answers 400)."""
    if instance is None or value is None or value.verbosity is None:
        return  # without the instance the model is not known yet: checked when it is built
    model = instance.model
    accepted = verbosity_values(model)
    if value.verbosity not in accepted:
        only = ", ".join(accepted)
        raise InvalidValue(
            attribute.name,
            f"verbosity {value.verbosity!r} is not accepted by model {model!r} (it accepts only: {only}); "
            f"write `verbosity: {accepted[0]}`, leave it out, or use a GPT-5 model for low and high",
        )


@attrs.frozen(kw_only=True)
class OpenAIBaseOptions(SamplingOptions):
    """Keys shared by every backend of this plugin.

    ``temperature``/``top_p`` (from :class:`SamplingOptions`) need the ``sampling`` capability,
    which reasoning models remove.
    """

    parallel_tool_calls: bool | None = option(
        None, help="Let the model ask for several tool calls at once (provider default when unset)."
    )
    extra_body: Mapping[str, Any] | None = option(
        None, help="Extra JSON fields merged into the request body, sent verbatim."
    )
    extra_headers: Mapping[str, str] | None = option(None, help="Extra HTTP headers for every request.")


@attrs.frozen(kw_only=True)
class ResponsesOptions(OpenAIBaseOptions):
    """Options of a Responses API backend (``openai``, and ``azure_openai`` on its Responses route)."""

    reasoning: ReasoningSettings | None = option(
        None, requires="reasoning", help="Reasoning settings: {effort, summary}."
    )
    text: TextSettings | None = option(
        None,
        requires=VERBOSITY,
        validator=_verbosity_for_model,
        help="Text settings: {verbosity} (some models accept only some values: gpt-4o and gpt-4.1 only medium).",
    )
    enable_web_search: bool = option(False, requires="web_search", help="The provider's web search tool.")
    enable_code_interpreter: bool = option(
        False, requires="code_execution", help="The provider's sandboxed code interpreter."
    )
    enable_image_generation: bool = option(
        False,
        requires="image_generation",
        help="The provider's image generation tool; images are saved in the agent's workspace (cwd).",
    )
    store: bool = option(
        False,
        help="Let the provider store responses. Off by default: reasoning is carried between turns "
        "as encrypted content instead.",
    )


@attrs.frozen(kw_only=True)
class OpenAIOptions(ResponsesOptions):
    """The ``openai`` backend: Responses API plus the media-generation tools."""

    enable_audio_generation: bool = option(
        False,
        requires="audio_generation",
        help="Give the agent text-to-speech and audio-transcription tools (files in its workspace).",
    )
    enable_video_generation: bool = option(
        False, requires="video_generation", help="Give the agent a video generation tool (Sora)."
    )


@attrs.frozen(kw_only=True)
class AzureOpenAIOptions(ResponsesOptions):
    """The ``azure_openai`` backend. ``model`` is the deployment name; ``base_url`` the endpoint."""

    api_version: str | None = option(
        None,
        help="Azure API version (else AZURE_OPENAI_API_VERSION); unset or 'v1' uses the v1 API "
        "(<endpoint>/openai/v1/).",
    )
    api: Literal["auto", "responses", "chat_completions"] = option(
        "auto",
        help="Which route: responses, chat_completions, or auto (responses when the API version "
        "supports it, else chat completions).",
    )


@attrs.frozen(kw_only=True)
class ChatCompletionOptions(OpenAIBaseOptions):
    """An OpenAI-compatible Chat Completions backend (``chatcompletion`` and the provider presets).

    Subclass it to add provider keys; the backend's ``provider_params`` hook sends them.
    """

    reasoning_effort: str | None = option(
        None, requires="reasoning", help="reasoning_effort for models and servers that accept it."
    )
    stream_usage: bool = option(
        True, help="Ask for token usage in the stream (stream_options.include_usage)."
    )
    max_tokens_parameter: Literal["max_tokens", "max_completion_tokens"] = option(
        "max_tokens", help="The request field that carries max_tokens."
    )


@attrs.frozen(kw_only=True)
class GrokOptions(ChatCompletionOptions):
    """The ``grok`` backend (xAI).

    ``enable_web_search`` turns Live Search on (``mode: auto``, with citations);
    ``extra_body.search_parameters`` (``mode``, ``return_citations``, ``max_search_results``, ...)
    refines it, or turns it on by itself. Citations are streamed and kept with the answer.
    """

    enable_web_search: bool = option(False, requires="web_search", help="xAI Live Search with citations.")
