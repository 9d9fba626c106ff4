"""The ``shout`` backend: upper-cases the last user message. Imported only when built."""

from __future__ import annotations

from collections.abc import AsyncIterator

from massgen_core.plugin import BackendContext, ChatRequest, Done, Message, StreamEvent, TextDelta, Usage

from .options import ShoutOptions


class ShoutBackend:
    def __init__(self, options: ShoutOptions, context: BackendContext) -> None:
        self.options = options
        self.context = context

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        last = next((m.text for m in reversed(request.messages) if m.role == "user"), "")
        text = last.upper() + "!" * self.options.exclamations
        yield TextDelta(text)
        yield Usage(input_tokens=len(last.split()), output_tokens=len(text.split()))
        yield Done(stop_reason="end_turn", message=Message.assistant(text))

    async def aclose(self) -> None:
        return None
