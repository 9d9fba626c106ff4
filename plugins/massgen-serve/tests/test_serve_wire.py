"""The Responses API wire format on its own (the Chat Completions one: test_wire.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from massgen_serve import responses_wire, wire

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
ITEM = st.fixed_dictionaries(
    {"role": st.sampled_from(["user", "assistant", "system", "x"]), "content": JSON | st.text()},
    optional={"type": st.sampled_from(["message", "function_call", "x"])},
)


@given(
    JSON
    | st.fixed_dictionaries(
        {"model": JSON, "input": JSON | st.text() | st.lists(ITEM | JSON, max_size=4)},
        optional={"instructions": JSON, "stream": JSON, "tools": JSON, "text": JSON},
    )
)
def test_any_json_is_read_or_refused_with_a_4xx(body: Any) -> None:
    try:
        responses_wire.parse_responses_request(json.dumps(body).encode())
    except wire.ApiError as error:
        assert 400 <= error.status < 500 and error.message


def test_a_responses_request_reads_as_a_conversation_and_errors_name_its_fields() -> None:
    body = {
        "model": "m",
        "instructions": "Be brief.",
        "input": [
            {"role": "user", "content": "Which river?"},
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "The Seine."}],
            },
            {"role": "user", "content": [{"type": "input_text", "text": "And Lyon?"}]},
        ],
    }
    request = responses_wire.parse_responses_request(json.dumps(body).encode())
    assert request.history == (("Which river?", "The Seine."),)
    assert request.question == "Be brief.\n\nAnd Lyon?"
    bad = {
        **body,
        "input": [*body["input"][:2], {"role": "user", "content": [{"type": "input_text", "text": 5}]}],
    }
    with pytest.raises(wire.ApiError) as raised:
        responses_wire.parse_responses_request(json.dumps(bad).encode())
    assert (
        raised.value.param == "input[2].content[0].text"
        and "input[2].content[0].text" in raised.value.message
    )
    call = {**body, "input": [{"type": "function_call_output", "call_id": "c", "output": "x"}]}
    with pytest.raises(wire.ApiError, match="only messages"):
        responses_wire.parse_responses_request(json.dumps(call).encode())
