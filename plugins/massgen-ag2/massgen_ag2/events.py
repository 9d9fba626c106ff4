"""What AG2 reports while it runs, as MassGen stream events.

AG2 reports through its ``IOStream``: streamed text (``StreamEvent``), who speaks next in a
group chat (``GroupChatRunChatEvent``), messages, termination. :class:`EventSink` is the
IOStream of one run: it turns those into MassGen events and posts them to the run's queue on
MassGen's loop. Token usage comes from AG2's runtime logger (one record per LLM call, every
agent and speaker selection included), with the cost AG2 computed for it where AG2 knows the
model's price (:mod:`.pricing`), routed to the sink of the run that made the call
(:func:`install_usage_logger`).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from typing import Any

from massgen_core.plugin import BuiltinToolActivity, StreamEvent, TextDelta, Usage

from .bridge import MainLoop, RunCancelled
from .pricing import CallPricing

__all__ = ["GROUP_CHAT", "EventSink", "install_usage_logger", "quiet_ag2_output"]

#: the ``tool`` of the activity events that show a group chat's speaker turns
GROUP_CHAT = "group_chat"
#: AG2's own helper speakers, not shown as turns
_INTERNAL_SPEAKERS = frozenset({"_Group_Tool_Executor", "_User", "speaker_selection_agent", "checking_agent"})

log = logging.getLogger("massgen.ag2")


class EventSink:
    """The AG2 IOStream of one run (called from AG2's threads; never blocks them)."""

    def __init__(self, main: MainLoop, queue: asyncio.Queue[StreamEvent]) -> None:
        self.main = main
        self.queue = queue
        self.termination: str | None = None
        self.pricing = CallPricing()
        self._speaker: tuple[str, str] | None = None  # (call id, name) of the current group turn
        self._streamed = False
        self._turns = itertools.count(1)

    # -- for MassGen's side ---------------------------------------------------------------------
    def emit(self, event: StreamEvent) -> None:
        if self.main.cancelled:
            raise RunCancelled("the run was stopped")
        self.main.post(self.queue.put_nowait, event)

    def end_speaker_turn(self) -> None:
        if self._speaker is not None:
            call_id, name = self._speaker
            self._speaker = None
            self.emit(
                BuiltinToolActivity(
                    tool=GROUP_CHAT, call_id=call_id, status="completed", query=name, data={"speaker": name}
                )
            )

    # -- the IOStream protocol ------------------------------------------------------------------
    def print(self, *objects: Any, sep: str = " ", end: str = "\n", flush: bool = False) -> None:
        log.debug("ag2: %s", sep.join(str(o) for o in objects))

    def input(self, prompt: str = "", *, password: bool = False) -> str:
        return "exit"  # AG2 asks a human: there is none, end the chat

    def send(self, message: Any) -> None:
        event = getattr(message, "content", message)  # AG2 wraps each event in an envelope
        handler = _HANDLERS.get(type(event).__name__)
        if handler is not None:
            handler(self, event)
        elif self.main.cancelled:
            raise RunCancelled("the run was stopped")

    # -- AG2 events -----------------------------------------------------------------------------
    def _stream(self, event: Any) -> None:
        text = getattr(event, "content", "")
        if isinstance(text, str) and text:
            self._streamed = True
            self.emit(TextDelta(text))
        elif self.main.cancelled:
            raise RunCancelled("the run was stopped")

    def _speaker_selected(self, event: Any) -> None:
        name = str(getattr(event, "speaker", ""))
        self.end_speaker_turn()
        if name in _INTERNAL_SPEAKERS:
            return
        call_id = f"ag2-turn-{next(self._turns)}"
        self._speaker = (call_id, name)
        self._streamed = False
        self.emit(TextDelta(f"\n\n[{name}]\n"))
        self.emit(
            BuiltinToolActivity(
                tool=GROUP_CHAT, call_id=call_id, status="started", query=name, data={"speaker": name}
            )
        )

    def _text(self, event: Any) -> None:
        # A message that was not streamed (stream: false): show it whole.
        sender = str(getattr(event, "sender", ""))
        content = getattr(event, "content", None)
        if (
            self._speaker is not None
            and sender == self._speaker[1]
            and not self._streamed
            and isinstance(content, str)
        ):
            self._streamed = True
            self.emit(TextDelta(content))

    def _terminated(self, event: Any) -> None:
        self.termination = str(getattr(event, "termination_reason", "") or "")

    # -- usage (from the runtime logger, in the thread of the LLM call) ---------------------------
    def record_usage(self, request: Any, response: Any, cost: float | None) -> None:
        usage = getattr(response, "usage", None)
        if usage is None:
            return
        requested = request.get("model") if isinstance(request, dict) else None
        answered = getattr(response, "model", None)
        prompt_details = getattr(usage, "prompt_tokens_details", None)
        completion_details = getattr(usage, "completion_tokens_details", None)
        self.emit(
            Usage(
                input_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
                output_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
                cached_input_tokens=int(getattr(prompt_details, "cached_tokens", 0) or 0),
                reasoning_tokens=int(getattr(completion_details, "reasoning_tokens", 0) or 0),
                cost=self.pricing.cost(
                    str(requested) if requested else None, str(answered) if answered else None, cost
                ),
            )
        )


_HANDLERS: dict[str, Callable[[EventSink, Any], None]] = {
    "StreamEvent": EventSink._stream,
    "GroupChatRunChatEvent": EventSink._speaker_selected,
    "TextEvent": EventSink._text,
    "TerminationEvent": EventSink._terminated,
}


def install_usage_logger() -> None:
    """Start AG2's runtime logging with a logger that routes each LLM call's usage to the
    :class:`EventSink` of the run that made it (AG2 sets the run's IOStream in that thread)."""
    import autogen.runtime_logging as runtime_logging
    from autogen.io.base import IOStream
    from autogen.logger.base_logger import BaseLogger

    if runtime_logging.logging_enabled():
        return

    class UsageRouter(BaseLogger):
        def start(self) -> str:
            return "massgen"

        def log_chat_completion(
            self,
            invocation_id: Any,
            client_id: int,
            wrapper_id: int,
            source: Any,
            request: Any,
            response: Any,
            is_cached: int,
            cost: float,
            start_time: str,
        ) -> None:
            sink = IOStream.get_default()
            if isinstance(sink, EventSink) and not is_cached:
                sink.record_usage(request, response, cost)

        def log_new_agent(self, agent: Any, init_args: Any) -> None: ...
        def log_event(self, source: Any, name: str, **kwargs: Any) -> None: ...
        def log_new_wrapper(self, wrapper: Any, init_args: Any) -> None: ...
        def log_new_client(self, client: Any, wrapper: Any, init_args: Any) -> None: ...
        def log_function_use(self, source: Any, function: Any, args: Any, returns: Any) -> None: ...
        def stop(self) -> None: ...
        def get_connection(self) -> None:
            return None

    runtime_logging.start(logger=UsageRouter())


class _Quiet:
    """AG2's fallback IOStream: debug logs instead of prints (MassGen owns stdout)."""

    def print(self, *objects: Any, sep: str = " ", end: str = "\n", flush: bool = False) -> None:
        log.debug("ag2: %s", sep.join(str(o) for o in objects))

    def send(self, message: Any) -> None:
        log.debug("ag2 event: %s", type(getattr(message, "content", message)).__name__)

    def input(self, prompt: str = "", *, password: bool = False) -> str:
        return "exit"


def quiet_ag2_output() -> None:
    """Keep AG2 off stdout: its fallback IOStream and its loggers that print there.

    ``massgen ... > answer.txt`` must write only the answer; AG2's warnings go to logging
    (stderr, shown with ``--debug``).
    """
    import sys

    from autogen.io.base import IOStream

    IOStream.set_global_default(_Quiet())
    for name in ("autogen.oai.client", "ag2.event.processor"):
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stdout:
                logger.removeHandler(handler)
        logger.propagate = True
