"""The scripted backend's reading of coordination prompts (used by fake-provider tests and benches)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from massgen_core.testing.scripted import shown_answers

#: What shown_answers is defined as: each "<agentN>" block up to the first matching end marker.
SPEC = re.compile(r"<(agent(\d+))>\n(.*?)\n<end of \1>", re.S)


def by_spec(text: str) -> dict[str, str]:
    return {label: body for label, _num, body in sorted(SPEC.findall(text), key=lambda m: int(m[1]))}


pieces = st.sampled_from(
    [
        "<agent1>\n",
        "<agent2>\n",
        "<agent12>\n",
        "\n<end of agent1>",
        "\n<end of agent2>",
        "\n<end of agent12>",
        "<agent1>",
        "\n",
        "Paris",
        " ",
        "<end of agent1>",
        "<",
        ">",
    ]
)


@given(st.lists(pieces, max_size=30).map("".join))
def test_matches_its_definition(text: str) -> None:
    assert shown_answers(text) == by_spec(text)


def test_a_coordination_prompt() -> None:
    text = "<CURRENT ANSWERS>\n<agent2>\nLyon?\n<end of agent2>\n<agent1>\nParis.\n<end of agent1>\n<END>"
    assert list(shown_answers(text).items()) == [("agent1", "Paris."), ("agent2", "Lyon?")]
