"""Web search and code execution next to function tools (the coordination's ``new_answer`` and
``vote``, file and MCP tools): two requests on Gemini 2.x, one combined request on Gemini 3."""

from __future__ import annotations

import pytest
from gemini_testkit import answer, anyio_backend, fake, of_type, parts, user_texts  # noqa: F401
from massgen_core.plugin import (
    BuiltinToolActivity,
    ChatRequest,
    Done,
    Message,
    ReasoningDelta,
    TextDelta,
    ToolCall,
    ToolDefinition,
    ToolResultPart,
    Usage,
)
from massgen_core.testing.fake_provider import (
    Citation,
    FakeProviderServer,
    Reply,
    SearchResult,
    WebSearch,
)
from massgen_core.testing.fake_provider import ToolCall as ScriptedCall

pytestmark = pytest.mark.anyio

NEW_ANSWER = ToolDefinition(
    name="new_answer",
    description="Give your answer.",
    parameters={"type": "object", "properties": {"content": {"type": "string"}}, "required": ["content"]},
)
NEW_ANSWER_WIRE = {
    "description": NEW_ANSWER.description,
    "name": "new_answer",
    "parameters_json_schema": dict(NEW_ANSWER.parameters),
}
QUESTION = [Message.system("Answer, then call new_answer."), Message.user("Who won the 2026 World Cup?")]
SEARCH = WebSearch("2026 world cup winner", [SearchResult("https://fifa.example/final", "FIFA")])
RESEARCH = Reply(
    "Argentina won the final on 19 July 2026.",
    web_searches=[SEARCH],
    citations=[Citation("https://fifa.example/final", "FIFA", 0, 9)],
)
ANSWER = Reply(tool_calls=[ScriptedCall("new_answer", {"content": "Argentina (FIFA, 19 July 2026)."})])


async def test_gemini_2_searches_first_then_calls_the_workflow_tool(fake: FakeProviderServer) -> None:
    fake.enqueue(RESEARCH, ANSWER)
    chat = ChatRequest(messages=QUESTION, tools=[NEW_ANSWER])
    events = await answer(fake, chat, enable_web_search=True)

    research, act = fake.model_calls()
    assert research.json["tools"] == [{"googleSearch": {}}] and "toolConfig" not in research.json
    assert research.json["systemInstruction"]["parts"] == [{"text": "Answer, then call new_answer."}]
    assert "Step 1 of 2: research" in user_texts(research)[-1]
    assert act.tool_names == ("new_answer",) and "googleSearch" not in str(act.json["tools"])
    assert [c["role"] for c in act.json["contents"]] == ["user", "model", "user"]
    assert user_texts(act)[0] == "Who won the 2026 World Cup?"  # the research note is not kept
    assert parts(act, "model") == [{"text": "Argentina won the final on 19 July 2026."}]
    bridge = user_texts(act)[-1]
    assert "[1] FIFA: https://fifa.example/final" in bridge and "functions available" in bridge

    assert (
        "".join(e.text for e in of_type(events, ReasoningDelta)) == "Argentina won the final on 19 July 2026."
    )
    assert not of_type(events, TextDelta)
    (search,) = of_type(events, BuiltinToolActivity)
    assert (search.query, [c.url for c in search.citations]) == (
        "2026 world cup winner",
        ["https://fifa.example/final"],
    )
    assert len(of_type(events, Usage)) == 2  # one per request
    (call,) = [e.call for e in of_type(events, ToolCall)]
    assert dict(call.arguments) == {"content": "Argentina (FIFA, 19 July 2026)."}
    final = events[-1]
    assert isinstance(final, Done) and final.stop_reason == "tool_calls"
    assert [c.url for c in final.citations] == ["https://fifa.example/final"]
    assert final.message.reasoning[0].text == "Argentina won the final on 19 July 2026."
    assert final.message.provider_state["gemini"]["research"] is True

    # after tool results the turn carries on without searching again, the research kept in context
    fake.clear()
    fake.enqueue(Reply("Done."))
    result = Message.tool_results([ToolResultPart(call_id=call.id, name="new_answer", content="recorded")])
    await answer(
        fake,
        ChatRequest(messages=[*QUESTION, final.message, result], tools=[NEW_ANSWER]),
        enable_web_search=True,
    )
    (only,) = fake.model_calls()
    assert [c["role"] for c in only.json["contents"]] == ["user", "model", "user", "model", "user"]
    assert "fifa.example" in user_texts(only)[1] and "googleSearch" not in str(only.json["tools"])

    # a reminder in the same turn does not search again either
    fake.clear()
    await answer(
        fake,
        ChatRequest(
            messages=[*QUESTION, final.message, result, Message.user("Please vote.")], tools=[NEW_ANSWER]
        ),
        enable_web_search=True,
    )
    assert len(fake.model_calls()) == 1


async def test_without_function_tools_one_request_has_the_builtin_tools(fake: FakeProviderServer) -> None:
    fake.enqueue(RESEARCH)
    events = await answer(
        fake, ChatRequest(messages=QUESTION), enable_web_search=True, enable_code_execution=True
    )
    (call,) = fake.model_calls()
    assert call.json["tools"] == [{"googleSearch": {}}, {"codeExecution": {}}]
    assert "".join(e.text for e in of_type(events, TextDelta)) == "Argentina won the final on 19 July 2026."


async def test_gemini_3_combines_search_and_functions_in_one_request(fake: FakeProviderServer) -> None:
    fake.enqueue(
        Reply(
            "Checked.",
            web_searches=[SEARCH],
            tool_calls=[ScriptedCall("new_answer", {"content": "Argentina."}, id="fc-1")],
        ),
        Reply("ok"),
    )
    chat = ChatRequest(messages=QUESTION, tools=[NEW_ANSWER])
    events = await answer(fake, chat, model="gemini-3-pro-preview", enable_web_search=True)
    (call,) = fake.model_calls()
    assert call.json["tools"] == [{"googleSearch": {}}, {"functionDeclarations": [NEW_ANSWER_WIRE]}]
    assert call.json["toolConfig"]["includeServerSideToolInvocations"] is True
    activity = [(a.status, a.query) for a in of_type(events, BuiltinToolActivity)]
    assert activity[:2] == [("started", "2026 world cup winner"), ("completed", None)]
    assert activity[2] == ("completed", "2026 world cup winner")  # the grounding, with its sources
    final = events[-1]
    assert isinstance(final, Done) and final.message.tool_calls[0].id == "fc-1"

    # the server-side tool call and response go back to Gemini with the function call
    result = Message.tool_results([ToolResultPart(call_id="fc-1", name="new_answer", content="ok")])
    await answer(
        fake,
        ChatRequest(messages=[*QUESTION, final.message, result], tools=[NEW_ANSWER]),
        model="gemini-3-pro-preview",
    )
    kinds = [next(k for k in p if k != "thoughtSignature") for p in parts(fake.last_request, "model")]
    assert kinds == ["toolCall", "toolResponse", "text", "functionCall"]


async def test_separate_requests_can_be_chosen_for_any_model(fake: FakeProviderServer) -> None:
    fake.enqueue(RESEARCH, ANSWER)
    chat = ChatRequest(messages=QUESTION, tools=[NEW_ANSWER])
    await answer(
        fake,
        chat,
        model="gemini-3-pro-preview",
        enable_web_search=True,
        builtin_tools_with_functions="separate",
    )
    assert [c.tool_names for c in fake.model_calls()] == [(), ("new_answer",)]
