"""The ``gemini`` backend: Google Gemini through google-genai, streamed (imports the SDK).

One turn is one ``streamGenerateContent`` request, except when built-in tools (Google Search,
code execution) meet function tools on a model that cannot take both in one request (Gemini
2.x answers 400). Then the turn takes two requests:

1. *research*: the conversation with only the built-in tools; the model searches (and runs
   code) and writes up what it found, shown as reasoning, with its queries, sources and code as
   built-in tool activity;
2. *act*: the conversation plus that research turn and a note listing its sources, with the
   function tools (the coordination's ``new_answer``/``vote``, file and MCP tools); the model
   answers, votes or calls tools as usual.

Both turns are kept in the assistant message's provider state and sent back later, so the
grounded results stay in context. Research runs once per turn: not again when the request
continues after tool results, nor when the conversation already holds a research turn (a
reminder to vote). Gemini 3 models combine both kinds of tools in one request instead
(``builtin_tools_with_functions``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx2
from massgen_core.plugin import (
    BackendContext,
    ChatRequest,
    Citation,
    ClientLease,
    Done,
    Message,
    MessageBuilder,
    StopReason,
    StreamEvent,
    lease_client,
)

from .client import SDK_ERRORS, gemini_client, split_api_version
from .errors import ErrorContext, map_sdk_error
from .models import combines_builtin_tools
from .options import GeminiOptions
from .request import (
    STATE_KEY,
    RequestSettings,
    build_config,
    conversation,
    decode_part,
    gemini_state,
    system_instruction,
)
from .stream import ResponseReader, source_list

__all__ = ["RESEARCH_NOTE", "GeminiBackend", "needs_research", "research_bridge"]

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com"

#: Appended to the research request's last user turn (not kept in the conversation).
RESEARCH_NOTE = (
    "[Step 1 of 2: research. Use Google Search and code execution as needed to gather what the "
    "task above needs, and write up your findings. The functions the task mentions are not "
    "available in this step; you will use them in the next one.]"
)

_FILTERED = {
    "SAFETY",
    "RECITATION",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT",
}


def needs_research(messages: Sequence[Message]) -> bool:
    """Whether a research request comes first: not after tool results, and not twice in a turn."""
    if not messages or messages[-1].role == "tool":
        return False
    for message in messages:
        if (
            message.role == "assistant"
            and (state := gemini_state(message)) is not None
            and state.get("research")
        ):
            return False
    return True


def research_bridge(citations: Sequence[Citation]) -> str:
    """The user note that hands the research over to the function-calling request."""
    sources = f"\nSources found:\n{source_list(citations)}" if citations else ""
    return (
        "[Step 2 of 2. Your research above was grounded in Google Search results." + sources + "\n"
        "Now carry on with the task using the functions available to you.]"
    )


def _stop_reason(reader: ResponseReader) -> StopReason:
    if reader.tool_calls:
        return "tool_calls"
    if reader.block_reason is not None:
        return "content_filter"
    reason = reader.finish_reason
    if reason == "STOP":
        return "end_turn"
    if reason == "MAX_TOKENS":
        return "max_tokens"
    if reason in _FILTERED:
        return "content_filter"
    return "other"


def _with_note(contents: list[dict[str, Any]], note: str) -> list[dict[str, Any]]:
    """``contents`` with ``note`` added to the last user turn (or as a new one)."""
    if contents and contents[-1]["role"] == "user":
        last = contents[-1]
        return [*contents[:-1], {"role": "user", "parts": [*last["parts"], {"text": note}]}]
    return [*contents, {"role": "user", "parts": [{"text": note}]}]


class GeminiBackend:
    """Streams a :class:`ChatRequest` from Gemini. ``client`` may be injected (tests)."""

    def __init__(self, options: GeminiOptions, context: BackendContext, *, client: Any = None) -> None:
        self.options = options
        self.context = context
        base_url, api_version = split_api_version(
            context.base_url or DEFAULT_BASE_URL, options.api_version, context.environ
        )
        self.errors = ErrorContext(
            backend=context.backend_type,
            model=context.model,
            base_url=base_url,
            api_version=api_version,
            api_key_env=context.api_key_env,
            known_models=tuple(m.name for m in context.spec.models),
            api_key=context.api_key,
        )
        capabilities = context.capabilities
        self.settings = RequestSettings(
            temperature=options.temperature,
            top_p=options.top_p,
            top_k=options.top_k,
            max_tokens=options.max_tokens,
            thinking=options.thinking,
            reasoning="reasoning" in capabilities,
            web_search=options.enable_web_search,
            code_execution=options.enable_code_execution,
        )
        mode = options.builtin_tools_with_functions
        self.combine = mode == "combined" or (
            mode == "auto" and combines_builtin_tools(context.model, capabilities)
        )
        #: the SDK client and the HTTP client under it (which the SDK leaves open); an injected
        #: client is the test's to close
        self.lease: ClientLease[Any] | None = None
        self.http: httpx2.AsyncClient | None = None
        if client is None:
            headers = options.extra_headers
            self.lease = lease_client(
                context,
                lambda: gemini_client(
                    api_key=context.api_key or "",
                    base_url=base_url,
                    api_version=api_version,
                    timeouts=context.timeouts,
                    headers=headers,
                ),
                _close,
                base_url,
                api_version,
                headers or {},
            )
            client, self.http = self.lease.client
        self.client = client

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        settings = self.settings
        system = system_instruction(request.messages)
        contents = conversation(request.messages)
        functions = request.tools
        separate = settings.builtin_tools and bool(functions) and not self.combine
        builder = MessageBuilder()
        stored: list[dict[str, Any]] = []
        call_ids: dict[str, str | None] = {}
        groundings: list[dict[str, Any]] = []
        citations: list[Citation] = []
        research = separate and needs_research(request.messages)

        def keep(reader: ResponseReader) -> None:
            call_ids.update(reader.call_ids)
            if reader.grounding:
                groundings.append(reader.grounding.state())
                citations.extend(
                    c for c in reader.grounding.citations if c.url not in {x.url for x in citations}
                )

        if research:
            reader = ResponseReader(self.errors, builder, research=True)
            config = build_config(settings, system=system, builtin=True, functions=())
            async for event in self._request(_with_note(contents, RESEARCH_NOTE), config, reader):
                yield event
            for event in reader.finish(activity_id="research_search"):
                yield event
            builder.end_part()
            keep(reader)
            found = reader.content()
            if found is not None:
                bridge = {
                    "role": "user",
                    "parts": [
                        {"text": research_bridge(reader.grounding.citations if reader.grounding else ())}
                    ],
                }
                stored += [found, bridge]
                contents = [
                    *contents,
                    {"role": "model", "parts": [decode_part(p) for p in found["parts"]]},
                    bridge,
                ]

        reader = ResponseReader(self.errors, builder)
        config = build_config(
            settings,
            system=system,
            builtin=settings.builtin_tools and not separate,
            functions=functions,
            tool_choice=request.tool_choice,
            server_side_invocations=self.combine,
        )
        async for event in self._request(contents, config, reader):
            yield event
        for event in reader.finish():
            yield event
        keep(reader)
        answer = reader.content()
        if answer is not None:
            stored.append(answer)
        state: dict[str, Any] = {"contents": stored, "call_ids": call_ids}
        if groundings:
            state["grounding"] = groundings
        if research:
            state["research"] = True
        builder.provider_state[STATE_KEY] = state
        yield Done(stop_reason=_stop_reason(reader), message=builder.build(), citations=tuple(citations))

    async def _request(
        self, contents: list[dict[str, Any]], config: dict[str, Any], reader: ResponseReader
    ) -> AsyncIterator[StreamEvent]:
        try:
            stream = await self.client.aio.models.generate_content_stream(
                model=self.context.model, contents=contents, config=config
            )
            async for chunk in stream:
                for event in reader.feed(chunk):
                    yield event
        except SDK_ERRORS as exc:
            raise map_sdk_error(exc, self.errors) from exc

    async def aclose(self) -> None:
        if self.lease is not None:
            await self.lease.release()


async def _close(clients: tuple[Any, httpx2.AsyncClient]) -> None:
    await clients[1].aclose()
