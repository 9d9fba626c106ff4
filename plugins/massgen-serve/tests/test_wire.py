"""massgen_serve.wire on its own: how a Chat Completions request is read, how replies are shaped."""

from __future__ import annotations

import json
from typing import Any

import openai.types
import openai.types.chat as chat_types
import pytest
from hypothesis import given
from hypothesis import strategies as st

from massgen_serve import wire

PIXEL = "data:image/png;base64,iVBORw0KGgo="


def user(content: Any) -> dict[str, Any]:
    return {"role": "user", "content": content}


def assistant(content: Any) -> dict[str, Any]:
    return {"role": "assistant", "content": content}


def system(content: Any) -> dict[str, Any]:
    return {"role": "system", "content": content}


def text(value: Any) -> dict[str, Any]:
    return {"type": "text", "text": value}


def image(url: Any) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": url}}


def encode(body: Any) -> bytes:
    return json.dumps(body).encode()


def parse(**fields: Any) -> wire.ChatRequest:
    """A request with one user message, changed by ``fields``."""
    return wire.parse_chat_request(encode({"model": "team", "messages": [user("hi")], **fields}))


def refused(body: bytes) -> wire.ApiError:
    with pytest.raises(wire.ApiError) as raised:
        wire.parse_chat_request(body)
    return raised.value


# -- reading: what is asked -------------------------------------------------------------------------
def test_a_plain_request_is_the_question_and_nothing_else() -> None:
    assert parse() == wire.ChatRequest(
        model="team",
        question="hi",
        history=(),
        images=(),
        stream=False,
        include_usage=False,
        progress=None,
        user=None,
    )


@pytest.mark.parametrize(
    ("messages", "question", "history"),
    [
        pytest.param(
            [assistant("Hello! Ask me anything."), user("Which river?")],
            "Which river?",
            (("", "Hello! Ask me anything."),),
            id="a greeting first is paired with an empty user text",
        ),
        pytest.param(
            [user("a"), user("b"), assistant("c"), assistant("d"), user("e"), user("f")],
            "e\n\nf",
            (("a\n\nb", "c\n\nd"),),
            id="consecutive messages of one role are one turn",
        ),
        pytest.param(
            [user("Q1"), assistant("A1"), user("Q2"), assistant("A2"), user("Q3")],
            "Q3",
            (("Q1", "A1"), ("Q2", "A2")),
            id="history is oldest first",
        ),
        pytest.param(
            [user("Q1"), system("Be brief."), user("more"), assistant("A1"), user("Q2")],
            "Be brief.\n\nQ2",
            (("Q1\n\nmore", "A1"),),
            id="a system message in the middle is an instruction and splits no turn",
        ),
        pytest.param(
            [system("One."), {"role": "developer", "content": [text("Two.")]}, user("Q"), system("Three.")],
            "One.\n\nTwo.\n\nThree.\n\nQ",
            (),
            id="system and developer texts, wherever they stand, come before the question in order",
        ),
        pytest.param(
            [user("Q1"), assistant(None), {"role": "assistant"}, user("Q2")],
            "Q2",
            (("Q1", ""),),
            id="an assistant message without content is empty",
        ),
        pytest.param(
            [system("  "), user("Q1"), assistant("A1"), assistant(""), user(""), user("Q2")],
            "Q2",
            (("Q1", "A1"),),
            id="blank texts are left out of the joins",
        ),
        pytest.param(
            [user([text("line one"), text("line two")])],
            "line one\nline two",
            (),
            id="text parts are joined by a newline",
        ),
    ],
)
def test_the_conversation_is_history_and_a_question(
    messages: list[dict[str, Any]], question: str, history: tuple[tuple[str, str], ...]
) -> None:
    request = parse(messages=messages)
    assert (request.question, request.history) == (question, history)


def test_the_images_of_the_last_user_turn_are_taken_in_order() -> None:
    request = parse(
        messages=[
            user("an earlier question"),
            assistant("an answer"),
            user([text("What are these?"), image(PIXEL)]),
            user([{"type": "image_url", "image_url": "https://example.com/a.png"}]),
            user([image("HTTP://example.com/b.png")]),
        ]
    )
    assert request.images == (PIXEL, "https://example.com/a.png", "HTTP://example.com/b.png")
    assert request.question == "What are these?"


def test_an_image_alone_is_a_question() -> None:
    request = parse(messages=[system("Describe the image."), user([image(PIXEL)])])
    assert (request.question, request.images) == ("Describe the image.", (PIXEL,))
    assert parse(messages=[user([image(PIXEL)])]).question == ""


@pytest.mark.parametrize(
    "url", ["/etc/passwd", "file:///etc/passwd", "../secret.png", "gs://bucket/x.png", ""]
)
def test_an_image_is_a_url_never_a_path(url: str) -> None:
    error = refused(encode({"model": "team", "messages": [user([text("look"), image(url)])]}))
    assert (error.status, error.param, error.code) == (
        400,
        "messages[0].content[1].image_url.url",
        "invalid_value",
    )
    assert "data:, http:// or https:// URL" in error.message


@pytest.mark.parametrize(
    ("messages", "param"),
    [
        ([user([image(PIXEL)]), assistant("a dot"), user("Sure?")], "messages[0].content[0]"),
        ([system([text("See:"), image(PIXEL)]), user("What is it?")], "messages[0].content[1]"),
        ([user("Q"), assistant([image(PIXEL)]), user("Q2")], "messages[1].content[0]"),
    ],
)
def test_images_are_taken_with_the_last_user_message_only(messages: list[dict[str, Any]], param: str) -> None:
    error = refused(encode({"model": "team", "messages": messages}))
    assert (error.status, error.param, error.code) == (400, param, "invalid_value")
    assert "images are taken with the last user message only" in error.message


# -- reading: the switches and the ignored fields ---------------------------------------------------
def test_the_switches_are_read() -> None:
    request = parse(
        stream=True, stream_options={"include_usage": True}, massgen={"progress": True}, user="u-1"
    )
    assert (request.stream, request.include_usage, request.progress, request.user) == (
        True,
        True,
        True,
        "u-1",
    )
    assert parse(massgen={"progress": False}).progress is False
    assert parse(massgen={}).progress is None
    assert parse(stream=True, stream_options={}).include_usage is False


def test_sampling_fields_and_unknown_keys_are_accepted_and_ignored() -> None:
    request = parse(
        temperature=1,
        top_p=0.5,
        presence_penalty=-1.5,
        frequency_penalty=0,
        max_tokens=1,
        max_completion_tokens=4096,
        stop="\n",
        seed=0,
        n=1,
        response_format={"type": "text"},
        metadata={"k": "v"},
        logprobs=False,
        tools=[],
        tool_choice="none",
        parallel_tool_calls=False,
        store=True,
        unknown_field={"clients": "send these"},
    )
    assert request == parse()
    assert parse(stop=["a", "b"]) == parse()


@pytest.mark.parametrize(
    "key",
    [
        "stream",
        "stream_options",
        "n",
        "temperature",
        "max_tokens",
        "stop",
        "user",
        "seed",
        "response_format",
        "metadata",
        "logprobs",
        "tools",
        "functions",
        "tool_choice",
        "massgen",
    ],
)
def test_null_is_not_given(key: str) -> None:
    assert parse(**{key: None}) == parse()


def test_null_progress_is_not_given() -> None:
    assert parse(massgen={"progress": None}).progress is None


# -- reading: what is refused -----------------------------------------------------------------------
def body(**fields: Any) -> bytes:
    return encode({"model": "team", "messages": [user("hi")], **fields})


def chat(*messages: Any) -> bytes:
    return encode({"model": "team", "messages": list(messages)})


BAD = [
    # (body, param, code, a phrase of the message)
    (b"", None, None, "not valid JSON (Expecting value at line 1, column 1)"),
    (b'{"model": "team",', None, None, "at line 1, column 18"),
    (b'{"model": "team",\n "messages": [}', None, None, "at line 2, column 15"),
    (b'{"model": "\xff"}', None, None, "not UTF-8"),
    (b"[" * 100_000, None, None, "not valid JSON"),
    (b"[]", None, "invalid_type", "must be a JSON object, got a list"),
    (b'"hi"', None, "invalid_type", "must be a JSON object, got a string"),
    (encode({"messages": [user("hi")]}), "model", "missing_required_parameter", "model is required"),
    (
        encode({"model": None, "messages": [user("hi")]}),
        "model",
        "missing_required_parameter",
        "GET /v1/models",
    ),
    (
        encode({"model": 5, "messages": [user("hi")]}),
        "model",
        "invalid_type",
        "must be a string, got a number",
    ),
    (encode({"model": "", "messages": [user("hi")]}), "model", "invalid_value", "non-empty"),
    (encode({"model": "team"}), "messages", "missing_required_parameter", "messages is required"),
    (
        encode({"model": "team", "messages": {}}),
        "messages",
        "invalid_type",
        "a list of messages, got an object",
    ),
    (encode({"model": "team", "messages": []}), "messages", "invalid_value", "messages are empty"),
    (chat(7), "messages[0]", "invalid_type", "got a number"),
    (
        chat({"content": "hi"}),
        "messages[0].role",
        "missing_required_parameter",
        "messages[0].role is required",
    ),
    (chat({"role": 1, "content": "hi"}), "messages[0].role", "invalid_type", "a string"),
    (chat({"role": "bot", "content": "hi"}), "messages[0].role", "invalid_value", "'bot' is not one of"),
    (chat(user("hi"), {"role": "tool", "content": "42"}), "messages[1]", "invalid_value", "cannot call"),
    (chat({"role": "function", "content": "42"}, user("hi")), "messages[0]", "invalid_value", "cannot call"),
    (
        chat(assistant(None) | {"tool_calls": [{"id": "c"}]}, user("hi")),
        "messages[0]",
        "invalid_value",
        "tools",
    ),
    (
        chat(assistant(None) | {"function_call": {"name": "f"}}, user("hi")),
        "messages[0]",
        "invalid_value",
        "tools",
    ),
    (body(tools=[{"type": "function"}]), "tools", "invalid_value", "it cannot call the client's tools"),
    (body(functions=[{"name": "f"}]), "functions", "invalid_value", "without `functions`"),
    (body(tool_choice="auto"), "tool_choice", "invalid_value", "tools"),
    (body(tool_choice={"type": "function"}), "tool_choice", "invalid_value", "tools"),
    (chat({"role": "user"}), "messages[0].content", "missing_required_parameter", "is required"),
    (chat(user(None)), "messages[0].content", "missing_required_parameter", "the text of the user message"),
    (chat(system(None), user("hi")), "messages[0].content", "missing_required_parameter", "system message"),
    (chat(user(5)), "messages[0].content", "invalid_type", "a string or a list of parts"),
    (chat(user(["hi"])), "messages[0].content[0]", "invalid_type", "an object with a `type`, got a string"),
    (chat(user([{"text": "hi"}])), "messages[0].content[0].type", "missing_required_parameter", ""),
    (chat(user([{"type": 1}])), "messages[0].content[0].type", "invalid_type", ""),
    (
        chat(user([{"type": "input_audio"}])),
        "messages[0].content[0].type",
        "invalid_value",
        "text and images",
    ),
    (
        chat(user([{"type": "file"}])),
        "messages[0].content[0].type",
        "invalid_value",
        "'file' is not supported",
    ),
    (
        chat(user("hi"), assistant([{"type": "refusal"}]), user("hi")),
        "messages[1].content[0].type",
        "invalid_value",
        "'refusal'",
    ),
    (chat(user([{"type": "input_text", "text": "hi"}])), "messages[0].content[0].type", "invalid_value", ""),
    (chat(user([{"type": "text"}])), "messages[0].content[0].text", "missing_required_parameter", ""),
    (
        chat(user([text(5)])),
        "messages[0].content[0].text",
        "invalid_type",
        "messages[0].content[0].text must be a string",
    ),
    (
        chat(user([{"type": "image_url"}])),
        "messages[0].content[0].image_url",
        "missing_required_parameter",
        "",
    ),
    (
        chat(user([{"type": "image_url", "image_url": 5}])),
        "messages[0].content[0].image_url",
        "invalid_type",
        "a URL string",
    ),
    (
        chat(user([{"type": "image_url", "image_url": {}}])),
        "messages[0].content[0].image_url.url",
        "missing_required_parameter",
        "",
    ),
    (chat(user([image(["x"])])), "messages[0].content[0].image_url.url", "invalid_type", ""),
    (
        chat(user("hi"), assistant("hello")),
        "messages",
        "invalid_value",
        "the last message must be from the user",
    ),
    (chat(system("Be brief.")), "messages", "invalid_value", "from the user"),
    (chat(user("")), "messages", "invalid_value", "no text and no image"),
    (chat(system("Be brief."), user(" \n ")), "messages", "invalid_value", "messages are empty"),
    (chat(user("Q"), assistant("A"), user([])), "messages", "invalid_value", "messages are empty"),
    (body(stream=1), "stream", "invalid_type", "stream must be true or false, got a number"),
    (body(stream="true"), "stream", "invalid_type", "got a string"),
    (body(stream_options=[]), "stream_options", "invalid_type", "an object"),
    (
        body(stream_options={"include_usage": 1}),
        "stream_options.include_usage",
        "invalid_type",
        "true or false",
    ),
    (body(n=2), "n", "invalid_value", "a team gives one answer; n must be 1"),
    (body(n=0), "n", "invalid_value", "n must be 1"),
    (body(n=True), "n", "invalid_type", "an integer, got a boolean"),
    (body(n=1.0), "n", "invalid_type", "an integer"),
    (body(temperature=True), "temperature", "invalid_type", "a number, got a boolean"),
    (body(top_p="0.5"), "top_p", "invalid_type", "a number"),
    (body(presence_penalty=[]), "presence_penalty", "invalid_type", "a number"),
    (body(frequency_penalty={}), "frequency_penalty", "invalid_type", "a number"),
    (body(max_tokens=0), "max_tokens", "invalid_value", "a positive integer"),
    (body(max_tokens=10.5), "max_tokens", "invalid_type", "an integer"),
    (body(max_completion_tokens=-1), "max_completion_tokens", "invalid_value", "positive"),
    (body(max_completion_tokens=False), "max_completion_tokens", "invalid_type", "got a boolean"),
    (body(stop=5), "stop", "invalid_type", "a string or a list of strings"),
    (body(stop=["a", 1]), "stop", "invalid_type", "a list of strings"),
    (body(user=5), "user", "invalid_type", "a string"),
    (body(seed=1.5), "seed", "invalid_type", "an integer"),
    (body(seed=True), "seed", "invalid_type", "got a boolean"),
    (body(response_format="json"), "response_format", "invalid_type", "an object"),
    (body(response_format={}), "response_format.type", "missing_required_parameter", ""),
    (
        body(response_format={"type": "json_object"}),
        "response_format",
        "invalid_value",
        "'json_object' is not supported",
    ),
    (
        body(response_format={"type": "json_schema", "json_schema": {}}),
        "response_format",
        "invalid_value",
        "answers in text",
    ),
    (body(metadata=[]), "metadata", "invalid_type", "an object"),
    (body(logprobs="yes"), "logprobs", "invalid_type", "true or false"),
    (body(logprobs=True), "logprobs", "invalid_value", "logprobs are not supported"),
    (body(massgen=True), "massgen", "invalid_type", '{"progress": true}'),
    (body(massgen=["progress"]), "massgen", "invalid_type", "got a list"),
    (body(massgen={"progres": True}), "massgen.progres", "invalid_value", "the known keys are 'progress'"),
    (body(massgen={"progress": "yes"}), "massgen.progress", "invalid_type", "true or false"),
    (body(massgen={"progress": 1}), "massgen.progress", "invalid_type", "got a number"),
]


@pytest.mark.parametrize(("body", "param", "code", "phrase"), BAD, ids=[f"{b[1]}: {b[3]}" for b in BAD])
def test_a_bad_request_says_which_field_and_what_is_wrong(
    body: bytes, param: str | None, code: str | None, phrase: str
) -> None:
    error = refused(body)
    assert (error.status, error.type, error.param, error.code) == (400, "invalid_request_error", param, code)
    assert phrase in error.message
    assert error.body() == {
        "error": {"message": error.message, "type": error.type, "param": param, "code": code}
    }


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=25,
)
PART = st.fixed_dictionaries(
    {"type": st.sampled_from(["text", "image_url", "input_audio"]) | JSON},
    optional={"text": JSON, "image_url": JSON | st.fixed_dictionaries({"url": JSON | st.just(PIXEL)})},
)
MESSAGE = st.fixed_dictionaries(
    {"role": st.sampled_from(["user", "assistant", "system", "developer", "tool"]) | JSON},
    optional={"content": st.text(max_size=10) | st.lists(PART | JSON, max_size=3) | JSON, "tool_calls": JSON},
)
CHAT = st.fixed_dictionaries(
    {"model": st.just("team") | JSON, "messages": st.lists(MESSAGE | JSON, max_size=5) | JSON},
    optional={
        key: JSON | st.booleans() | st.integers()
        for key in ("stream", "stream_options", "n", "max_tokens", "stop", "massgen", "tools", "tool_choice")
    },
)


def read_or_refuse(body: bytes) -> None:
    try:
        request = wire.parse_chat_request(body)
    except wire.ApiError as error:
        assert 400 <= error.status < 500 and error.message
    else:
        assert request.question or request.images


@given(JSON | CHAT)
def test_any_json_is_read_or_refused_with_a_4xx(value: Any) -> None:
    read_or_refuse(json.dumps(value).encode())


@given(st.binary(max_size=64))
def test_any_bytes_are_read_or_refused_with_a_4xx(data: bytes) -> None:
    read_or_refuse(data)


# -- the standard errors ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("error", "status", "type", "param", "code", "phrase"),
    [
        (
            wire.invalid_json("Expecting value at line 3, column 7"),
            400,
            "invalid_request_error",
            None,
            None,
            "not valid JSON (Expecting value at line 3, column 7)",
        ),
        (
            wire.model_not_found("x", ["a", "b"]),
            404,
            "invalid_request_error",
            "model",
            "model_not_found",
            "The model `x` does not exist. This server serves: a, b (GET /v1/models lists them).",
        ),
        (
            wire.model_not_found("x", []),
            404,
            "invalid_request_error",
            "model",
            "model_not_found",
            "serves: no models",
        ),
        (
            wire.missing_key(),
            401,
            "invalid_request_error",
            None,
            None,
            "You didn't provide an API key. Send it as a bearer token: Authorization: Bearer KEY (openai SDK: api_key=...).",
        ),
        (
            wire.invalid_key(),
            401,
            "invalid_request_error",
            None,
            "invalid_api_key",
            "Incorrect API key provided.",
        ),
        (
            wire.too_many_requests(7, 16),
            429,
            "requests",
            None,
            "rate_limit_exceeded",
            "at most 16 coordinations at once and none is free. Retry in 7 s",
        ),
        (
            wire.too_many_requests(1, 1),
            429,
            "requests",
            None,
            "rate_limit_exceeded",
            "at most 1 coordination at once",
        ),
        (
            wire.body_too_large(4 * 1024 * 1024),
            413,
            "invalid_request_error",
            None,
            "request_too_large",
            "limit of 4 MiB; the server's --max-body-size raises it",
        ),
        (
            wire.body_too_large(1536),
            413,
            "invalid_request_error",
            None,
            "request_too_large",
            "limit of 1.5 KiB",
        ),
        (
            wire.body_too_large(500),
            413,
            "invalid_request_error",
            None,
            "request_too_large",
            "limit of 500 bytes",
        ),
        (
            wire.timed_out(600.0),
            504,
            "timeout",
            None,
            "timeout",
            "did not answer within 600 s, so its run was cancelled; the server's --request-timeout",
        ),
        (wire.timed_out(2.5), 504, "timeout", None, "timeout", "within 2.5 s"),
        (
            wire.not_found("GET", "/v2/models"),
            404,
            "invalid_request_error",
            None,
            "unknown_url",
            "Unknown request URL: GET /v2/models.",
        ),
        (
            wire.method_not_allowed("GET", "/v1/chat/completions"),
            405,
            "invalid_request_error",
            None,
            "method_not_allowed",
            "/v1/chat/completions does not take GET requests",
        ),
        (wire.server_error("every agent failed"), 500, "server_error", None, None, "every agent failed"),
    ],
)
def test_the_standard_errors_have_openais_status_type_and_code(
    error: wire.ApiError, status: int, type: str, param: str | None, code: str | None, phrase: str
) -> None:
    assert (error.status, error.type, error.param, error.code) == (status, type, param, code)
    assert phrase in error.message and str(error) == error.message
    assert error.body() == {"error": {"message": error.message, "type": type, "param": param, "code": code}}


def test_only_the_429_carries_headers() -> None:
    assert wire.too_many_requests(7, 16).headers == {"Retry-After": "7"}
    assert wire.body_too_large(1024).headers == {}
    assert wire.ApiError(400, "x", headers={"X-A": "b"}).headers == {"X-A": "b"}


# -- the replies -------------------------------------------------------------------------------------
USAGE = wire.Usage(prompt_tokens=12, completion_tokens=5, cached_tokens=2, reasoning_tokens=1)
USAGE_DICT = {
    "prompt_tokens": 12,
    "completion_tokens": 5,
    "total_tokens": 17,
    "prompt_tokens_details": {"cached_tokens": 2},
    "completion_tokens_details": {"reasoning_tokens": 1},
}
IDS = {"id": "chatcmpl-r1", "model": "team", "created": 1700000000}
CHUNK = {**IDS, "object": "chat.completion.chunk", "system_fingerprint": None}


def test_usage_counts_its_total() -> None:
    assert USAGE.to_dict() == USAGE_DICT
    assert wire.Usage(prompt_tokens=3, completion_tokens=4).to_dict()["total_tokens"] == 7
    assert wire.Usage(prompt_tokens=3, completion_tokens=4).to_dict()["prompt_tokens_details"] == {
        "cached_tokens": 0
    }


def test_the_completion_id_is_the_run_id() -> None:
    assert wire.completion_id("r1") == "chatcmpl-r1"


def test_a_completion_is_the_chat_completion_object() -> None:
    reply = wire.completion(**IDS, content="Paris", usage=USAGE, massgen={"winner": "a"})
    assert reply == {
        **IDS,
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Paris", "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": USAGE_DICT,
        "system_fingerprint": None,
        "massgen": {"winner": "a"},
    }
    assert wire.completion(**IDS, content="", usage=None, massgen={})["usage"] is None


@pytest.mark.parametrize(
    ("fields", "delta", "finish_reason"),
    [
        ({"content": "", "role": True}, {"role": "assistant", "content": ""}, None),
        ({"content": "Par"}, {"content": "Par"}, None),
        ({"reasoning": "[a] voted for b"}, {"reasoning_content": "[a] voted for b"}, None),
        ({"finish_reason": "stop"}, {}, "stop"),
    ],
)
def test_a_chunk_is_a_delta(fields: dict[str, Any], delta: dict[str, Any], finish_reason: str | None) -> None:
    assert wire.chunk(**IDS, **fields) == {
        **CHUNK,
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
    }


def test_the_last_chunk_carries_the_extension() -> None:
    piece = wire.chunk(**IDS, finish_reason="stop", massgen={"winner": "a"})
    assert piece["massgen"] == {"winner": "a"}
    assert "massgen" not in wire.chunk(**IDS, content="x")


def test_the_usage_chunk_has_no_choices() -> None:
    assert wire.usage_chunk(**IDS, usage=USAGE) == {**CHUNK, "choices": [], "usage": USAGE_DICT}
    assert wire.usage_chunk(**IDS, usage=None) == {**CHUNK, "choices": [], "usage": None}


def test_the_model_list() -> None:
    assert wire.model_list(["a", "b"], created=5) == {
        "object": "list",
        "data": [
            {"id": "a", "object": "model", "created": 5, "owned_by": "massgen"},
            {"id": "b", "object": "model", "created": 5, "owned_by": "massgen"},
        ],
    }
    assert wire.model_list(["a"], created=5, owned_by="me")["data"][0]["owned_by"] == "me"


def test_an_event_is_compact_utf8_json() -> None:
    assert wire.sse({"a": [1, None], "b": "café"}) == 'data: {"a":[1,null],"b":"café"}\n\n'.encode()
    assert wire.sse("[DONE]") == b"data: [DONE]\n\n"


@pytest.mark.parametrize(
    "reply",
    [
        wire.completion(**IDS, content="Paris ✓", usage=USAGE, massgen={"votes": {"a": "b"}}),
        wire.chunk(**IDS, content="line\nbreak", role=True),
        wire.usage_chunk(**IDS, usage=None),
        wire.invalid_key().body(),
    ],
)
def test_an_event_round_trips(reply: dict[str, Any]) -> None:
    event = wire.sse(reply)
    assert event.startswith(b"data: ") and event.endswith(b"\n\n") and event.count(b"\n") == 2
    assert json.loads(event[6:]) == reply


# -- the replies, as the openai SDK reads them -------------------------------------------------------
def test_the_sdk_reads_a_completion_and_keeps_the_extension() -> None:
    reply = wire.completion(**IDS, content="Paris", usage=USAGE, massgen={"winner": "a"})
    parsed = chat_types.ChatCompletion.model_validate(reply)
    assert parsed.choices[0].message.content == "Paris" and parsed.choices[0].finish_reason == "stop"
    assert parsed.usage is not None and parsed.usage.total_tokens == 17
    assert (
        parsed.usage.prompt_tokens_details is not None
        and parsed.usage.prompt_tokens_details.cached_tokens == 2
    )
    assert parsed.model_extra == {"massgen": {"winner": "a"}}


def test_the_sdk_reads_the_chunks_and_keeps_the_extensions() -> None:
    opening = chat_types.ChatCompletionChunk.model_validate(wire.chunk(**IDS, content="", role=True))
    assert opening.choices[0].delta.role == "assistant" and opening.choices[0].delta.content == ""
    thinking = chat_types.ChatCompletionChunk.model_validate(wire.chunk(**IDS, reasoning="[a] voted"))
    assert thinking.choices[0].delta.model_extra == {"reasoning_content": "[a] voted"}
    last = chat_types.ChatCompletionChunk.model_validate(
        wire.chunk(**IDS, finish_reason="stop", massgen={"winner": "a"})
    )
    assert last.choices[0].finish_reason == "stop" and last.model_extra == {"massgen": {"winner": "a"}}
    usage = chat_types.ChatCompletionChunk.model_validate(wire.usage_chunk(**IDS, usage=USAGE))
    assert usage.choices == [] and usage.usage is not None and usage.usage.completion_tokens == 5


def test_the_sdk_reads_a_model() -> None:
    model = openai.types.Model.model_validate(wire.model_list(["team"], created=5)["data"][0])
    assert (model.id, model.owned_by) == ("team", "massgen")
