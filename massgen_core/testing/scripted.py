"""The ``scripted`` backend: a real backend that answers from a script (like llm's echo model).

Plugin authors and our own tests use it to drive agents, tool loops and coordination without a
network. It records every :class:`~massgen_core.plugin.backend.ChatRequest` it receives in
``requests``, without its ``tool_runner`` (which would keep the agent, and its run, alive in a
reference cycle after the run). A reply may also be produced by a Python callable
(``responder``) that gets the request, for tests that answer based on what was sent.

With ``then: coordinate`` it plays a simple, clearly labelled coordination agent (for offline
demos and tests), see :func:`coordination_reply`: it answers (``answer``, or a placeholder naming
the question), then votes for the longest answer, and presents its answer when asked.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections.abc import AsyncIterator, Callable, Collection, Mapping
from typing import Any

import attrs

from ..plugin.backend import ChatRequest, MessageBuilder, parse_tool_arguments
from ..plugin.errors import error_class_for
from ..plugin.messages import ToolCallPart
from ..plugin.specs import BackendContext
from ..plugin.stream import BackendEvent, Done, ReasoningDelta, TextDelta, ToolCall, Usage
from ..runtime.agent import Agent
from ..runtime.resilience import RetryPolicy
from ..runtime.usage import UsageLedger
from ..tools.toolset import ToolSet
from .scripted_options import ScriptedOptions

__all__ = [
    "Reply",
    "ScriptedBackend",
    "coordination_reply",
    "last_user_text",
    "new_answer_reply",
    "offered_tools",
    "scripted_agent",
    "shown_answers",
    "vote_reply",
]

Reply = Mapping[str, Any] | str
Responder = Callable[[ChatRequest], Reply]

_ids = itertools.count(1)


_QUESTION = re.compile(r"<ORIGINAL MESSAGE>\n(.*?)\n<END OF ORIGINAL MESSAGE>", re.S)
_OPENING = re.compile(r"<(agent(\d+))>\n")


def last_user_text(request: ChatRequest) -> str:
    for message in reversed(request.messages):
        if message.role == "user":
            return message.text
    return ""


def shown_answers(request: ChatRequest | str) -> dict[str, str]:
    """The answers a coordination prompt (a request, or its user text) shows, by label, in label order."""
    text = request if isinstance(request, str) else last_user_text(request)
    found: list[tuple[int, str, str]] = []
    position = 0
    # Each "<agentN>\n" up to the first "\n<end of agentN>" after it: a regex with a lazy body
    # and a backreference does the same at a tenth of the speed (1.2 ms on a 100-answer prompt,
    # which the fake provider pays per request while a benchmark's client sends its own).
    while (opening := _OPENING.search(text, position)) is not None:
        label, closing = opening[1], f"\n<end of {opening[1]}>"
        end = text.find(closing, opening.end())
        if end < 0:
            position = opening.start() + 1
            continue
        found.append((int(opening[2]), label, text[opening.end() : end]))
        position = end + len(closing)
    return {label: body for _num, label, body in sorted(found, key=lambda m: m[0])}


def offered_tools(request: ChatRequest) -> set[str]:
    return {t.name for t in request.tools}


def new_answer_reply(content: str, text: str = "My answer:") -> dict[str, Any]:
    """A reply that calls ``new_answer(content)``."""
    return {"text": text, "tool_calls": [{"name": "new_answer", "arguments": {"content": content}}]}


def vote_reply(label: str, reason: str = "", text: str = "") -> dict[str, Any]:
    """A reply that calls ``vote(agent_id=label, reason)``."""
    return {
        "text": text or f"I vote for {label}.",
        "tool_calls": [{"name": "vote", "arguments": {"agent_id": label, "reason": reason}}],
    }


def coordination_reply(user_text: str, tools: Collection[str], *, answer: str) -> dict[str, Any]:
    """What a simple coordinating agent says, from the prompt's user text and the tools offered.

    Offered ``new_answer`` while its ``answer`` is not among the answers shown, it gives it; offered
    ``vote``, it votes for the longest answer (ties: the lowest label); otherwise (the final
    presentation, or a single agent) it says its answer. Fake-server tests and benchmarks use it too.
    """
    answers = shown_answers(user_text)
    if "new_answer" in tools and answer.strip() not in {a.strip() for a in answers.values()}:
        return new_answer_reply(answer)
    if "vote" in tools and answers:
        label = max(answers, key=lambda lbl: (len(answers[lbl]), -int(lbl.removeprefix("agent"))))
        return vote_reply(
            label, f"scripted vote: the most detailed answer ({len(answers[label])} characters)"
        )
    return {"text": answer}


class ScriptedBackend:
    """A backend whose replies come from ``options.replies``, a ``responder``, or an echo."""

    def __init__(
        self,
        options: ScriptedOptions,
        context: BackendContext | None = None,
        *,
        responder: Responder | None = None,
    ) -> None:
        self.options = options
        self.context = context
        self.responder = responder
        self.requests: list[ChatRequest] = []
        self._replies = list(options.replies)
        self._last: Reply | None = None
        self.closed = False

    def _placeholder_answer(self, request: ChatRequest) -> str:
        if self.options.answer:
            return self.options.answer
        text = last_user_text(request)
        match = _QUESTION.search(text)
        question = (match.group(1) if match else text).strip()
        model = self.context.model if self.context else "scripted"
        return (
            f"[scripted agent, model {model!r}: an offline placeholder, no language model was called] "
            f"You asked: {question}"
        )

    def next_reply(self, request: ChatRequest) -> Reply:
        if self.responder is not None:
            return self.responder(request)
        if self._replies:
            self._last = self._replies.pop(0)
            return self._last
        if self.options.then == "repeat" and self._last is not None:
            return self._last
        if self.options.then == "coordinate":
            answer = self._placeholder_answer(request)
            return coordination_reply(last_user_text(request), offered_tools(request), answer=answer)
        return {"text": last_user_text(request)}

    async def stream(self, request: ChatRequest) -> AsyncIterator[BackendEvent]:
        self.requests.append(attrs.evolve(request, tool_runner=None))
        reply = self.next_reply(request)
        spec: Mapping[str, Any] = {"text": reply} if isinstance(reply, str) else reply
        if delay := float(spec.get("delay", 0) or 0):
            await asyncio.sleep(delay)
        if error := spec.get("error"):
            error = {"kind": error} if isinstance(error, str) else error
            cls = error_class_for(str(error.get("kind")))
            raise cls(
                str(error.get("message") or f"scripted {error.get('kind')} error"),
                backend="scripted",
                retry_after=error.get("retry_after"),
            )
        builder = MessageBuilder()
        if reasoning := spec.get("reasoning"):
            builder.reasoning(str(reasoning))
            yield ReasoningDelta(str(reasoning))
        words = str(spec.get("text") or "").split(" ")
        size = max(1, self.options.chunk_words)
        for i in range(0, len(words) if words != [""] else 0, size):
            chunk = " ".join(words[i : i + size]) + (" " if i + size < len(words) else "")
            if self.options.chunk_delay:
                await asyncio.sleep(self.options.chunk_delay)
            builder.text(chunk)
            yield TextDelta(chunk)
        calls = spec.get("tool_calls") or ()
        for call in calls:
            args = call.get("arguments", {})
            part = ToolCallPart(
                id=str(call.get("id") or f"call_{next(_ids)}"),
                name=str(call["name"]),
                arguments=parse_tool_arguments(json.dumps(args) if not isinstance(args, str) else args),
            )
            builder.tool_call(part)
            yield ToolCall(part)
        usage = spec.get("usage") or {}
        yield Usage(
            input_tokens=int(usage.get("input_tokens", sum(len(m.text.split()) for m in request.messages))),
            output_tokens=int(usage.get("output_tokens", len(words))),
        )
        yield Done(stop_reason="tool_calls" if calls else "end_turn", message=builder.build())

    async def aclose(self) -> None:
        self.closed = True


def scripted_agent(
    agent_id: str,
    *replies: Reply,
    responder: Responder | None = None,
    ledger: UsageLedger | None = None,
    tools: ToolSet | None = None,
    system_message: str | None = None,
    **options: Any,
) -> Agent:
    """An :class:`~massgen_core.runtime.agent.Agent` on a scripted backend (for tests and examples)."""
    backend = ScriptedBackend(ScriptedOptions(replies=replies, **options), responder=responder)
    return Agent(
        agent_id,
        backend,
        tools=tools,
        system_message=system_message,
        ledger=ledger,
        backend_name="scripted",
        retry=RetryPolicy(max_attempts=1),
    )
