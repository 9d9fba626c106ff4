"""The message model and the assembly of streamed responses."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from massgen_core.plugin.backend import MessageBuilder, parse_tool_arguments
from massgen_core.plugin.messages import MediaPart, Message, ReasoningPart, TextPart, ToolCallPart


@given(st.lists(st.text(), max_size=20))
def test_text_deltas_assemble_to_their_concatenation(chunks: list[str]) -> None:
    builder = MessageBuilder()
    for chunk in chunks:
        builder.text(chunk)
    message = builder.build()
    assert message.text == "".join(chunks)
    assert len([p for p in message.parts if isinstance(p, TextPart)]) == (1 if chunks else 0)


@given(st.lists(st.tuples(st.sampled_from(["text", "reasoning", "call"]), st.text(max_size=5)), max_size=30))
def test_part_order_is_kept_and_runs_are_merged(script: list[tuple[str, str]]) -> None:
    builder = MessageBuilder()
    for i, (kind, text) in enumerate(script):
        if kind == "text":
            builder.text(text)
        elif kind == "reasoning":
            builder.reasoning(text)
        else:
            builder.tool_call(ToolCallPart(id=str(i), name="t"))
    parts = builder.build().parts
    kinds = [p.type for p in parts]
    assert all(not (a == b and a in ("text", "reasoning")) for a, b in itertools.pairwise(kinds))
    assert "".join(p.text for p in parts if isinstance(p, TextPart)) == "".join(
        t for k, t in script if k == "text"
    )


def test_provider_state_survives_on_reasoning_parts() -> None:
    builder = MessageBuilder()
    builder.reasoning("thinking", state={"signature": "sig-1"})
    builder.reasoning_state({"id": "rs_1"})
    builder.text("answer")
    message = builder.build()
    reasoning = message.reasoning[0]
    assert isinstance(reasoning, ReasoningPart)
    assert dict(reasoning.provider_state) == {"signature": "sig-1", "id": "rs_1"}
    assert message.text == "answer"


def test_tool_arguments_are_parsed_leniently() -> None:
    assert parse_tool_arguments('{"city": "Paris"}') == {"city": "Paris"}
    assert parse_tool_arguments("") == {}
    assert parse_tool_arguments(None) == {}
    assert parse_tool_arguments("[1, 2]") == {"_raw": "[1, 2]"}
    assert parse_tool_arguments('{"broken"') == {"_raw": '{"broken"'}


def test_media_parts(tmp_path) -> None:  # type: ignore[no-untyped-def]
    image = tmp_path / "cat.png"
    image.write_bytes(b"\x89PNG")
    part = MediaPart.from_path(image)
    assert (part.kind, part.mime_type) == ("image", "image/png")
    assert part.data_url() == "data:image/png;base64,iVBORw=="
    message = Message.user("what is this?", part)
    assert message.media == (part,) and message.text == "what is this?"
