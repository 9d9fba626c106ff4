"""Issue 18, item 10: whatever a model writes, the final answer carries no coordination markup,
and a run never ends with status 0 and an empty answer."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from reliability_support import coordinating, needs_openai, team_config

from massgen_core.runtime.coordination.markup import strip_markup
from massgen_core.runtime.coordination.prompts import coordination_messages, presentation_messages
from massgen_core.runtime.coordination.state import AnswerView, CoordinationState
from massgen_core.testing.cli import run_massgen
from massgen_core.testing.fake_provider import FakeProviderServer, RecordedRequest, Reply


# -- the cleaning rule ----------------------------------------------------------------------------
def test_the_tags_and_tool_talk_models_echo_are_removed() -> None:
    leaked = (
        "<agent3>\nParis is the capital of France.\n<end of agent3>\n"
        "The full answer can be found by calling `new_answer`. It has 2.1 million people.\n"
        "VOTING RESULTS: your answer (agent3) received 2 vote(s)\n"
        "< End Of Agent 2 > </ORIGINAL MESSAGE> <CURRENT ANSWERS from the agents>"
    )
    assert strip_markup(leaked) == "Paris is the capital of France.\nIt has 2.1 million people."


def test_tags_in_the_prompts_style_that_a_small_model_invents_are_removed() -> None:
    # seen from SmolLM2-135M in the README's three-agent example
    leaked = "The capital of France is Paris.\n<OPTIONABLE RESPONSE>\n</FINAL ANSWER>"
    assert strip_markup(leaked) == "The capital of France is Paris."
    assert strip_markup("<HTML> is a tag; so is <BR>.\n<DIV>") == "<HTML> is a tag; so is <BR>.\n<DIV>"


def test_a_voters_label_before_the_answer_is_removed() -> None:
    # seen from SmolLM2-135M: it copied the VOTING RESULTS line format into its presentation
    assert strip_markup("- agent1: The answer to this question would be Paris") == (
        "The answer to this question would be Paris"
    )
    assert strip_markup("Agent 2: Paris.\nThe agent1 answer is fine.") == "Paris.\nThe agent1 answer is fine."


@pytest.mark.parametrize("ending", ["\n```", "\n```\n\n", "\n~~~ \n"])
def test_a_stray_fence_at_the_end_is_removed(ending: str) -> None:
    assert strip_markup("The answer to this question would be Paris." + ending) == (
        "The answer to this question would be Paris."
    )
    unclosed = "Run this:\n```sh\nmassgen --help"
    assert strip_markup(unclosed) == unclosed  # a fence that opens code stays


def test_ordinary_words_and_code_stay() -> None:
    text = "Most people vote in person.\n\n```python\ndef vote(ballot):\n    return new_answer(ballot)\n```"
    assert strip_markup(text) == text
    assert strip_markup("Call the vote tool now. Paris.") == "Paris."
    assert strip_markup("I will vote(agent1) for it.") == ""


def test_every_tag_the_prompts_use_is_removed() -> None:
    state = CoordinationState(("a", "b"))
    for agent_id in ("a", "b"):
        state.start_turn(agent_id)
        state.record_answer(agent_id, f"answer of {agent_id}")
    view: AnswerView = state.view()
    texts = [m.text for m in coordination_messages("Q?", view)]
    texts += [
        m.text
        for m in presentation_messages("Q?", view, presenter_label="agent1", votes=(), labels=state.labels)
    ]
    tags = {tag for text in texts for tag in re.findall(r"<[^<>\n]+>", text)}
    assert len(tags) >= 6  # agent1, end of agent1, ..., ORIGINAL MESSAGE, CURRENT ANSWERS ...
    assert all(strip_markup(tag) == "" for tag in tags), tags


# -- through the CLI ------------------------------------------------------------------------------
ANSWERS = {"m-0": "Paris.", "m-1": "Paris is the capital of France."}


def presenting(request: RecordedRequest) -> bool:
    return not {"new_answer", "vote"} & set(request.tool_names)


def run_team(tmp_path: Path, responder: object) -> tuple[int, str, str]:
    with FakeProviderServer(responder=responder, models=list(ANSWERS)) as server:  # type: ignore[arg-type]
        config = tmp_path / "team.yaml"
        config.write_text(json.dumps(team_config(server, list(ANSWERS))))
        done = run_massgen("--config", str(config), "--no-display", "Capital of France?", cwd=tmp_path)
    return done.returncode, done.stdout, done.stderr


@needs_openai
def test_a_presentation_echoing_the_protocol_is_cleaned(tmp_path: Path) -> None:
    normal = coordinating(ANSWERS)

    def responder(request: RecordedRequest) -> Reply:
        if presenting(request):
            return Reply(
                "Paris is the capital of France.\n<end of agent2>\n"
                "More detail can be found by calling `new_answer`."
            )
        return normal(request)

    status, out, err = run_team(tmp_path, responder)
    assert status == 0, err
    assert out.strip() == "Paris is the capital of France."


@needs_openai
def test_a_presentation_of_nothing_but_markup_falls_back_to_the_winning_answer(tmp_path: Path) -> None:
    normal = coordinating(ANSWERS)

    def responder(request: RecordedRequest) -> Reply:
        return Reply("<end of agent2>\n") if presenting(request) else normal(request)

    status, out, err = run_team(tmp_path, responder)
    assert status == 0, err
    assert out.strip() == ANSWERS["m-1"]


@needs_openai
def test_when_no_agent_said_anything_usable_the_run_fails_clearly(tmp_path: Path) -> None:
    markup_only = {"m-0": "<agent1>\n<end of agent1>", "m-1": "<end of agent2> use `new_answer`."}
    normal = coordinating(markup_only)

    def responder(request: RecordedRequest) -> Reply:
        if presenting(request):
            return Reply("<end of agent1>")
        return normal(request)

    status, out, err = run_team(tmp_path, responder)
    assert status == 1 and out.strip() == ""
    # a new_answer of nothing but markup is refused when it is given, and the model told why
    assert "every agent failed, so there is no answer" in err
    assert err.count("not a placeholder or the prompt's tags") == 2


@needs_openai
@pytest.mark.parametrize("reply", ["<end of agent1>", "   \n"], ids=["markup", "blank"])
def test_a_single_agent_with_nothing_to_say_is_an_error_not_an_empty_success(
    tmp_path: Path, reply: str
) -> None:
    with FakeProviderServer() as server:
        server.enqueue(Reply(reply))
        backend = {"type": "chatcompletion", "model": "gpt-4o", "base_url": server.openai_base_url}
        config = tmp_path / "solo.yaml"
        config.write_text(json.dumps({"agent": {"id": "solo", "backend": backend}}))
        done = run_massgen("--config", str(config), "--no-display", "Q?", cwd=tmp_path)
    assert done.returncode == 1 and done.stdout.strip() == ""
    assert "solo:" in done.stderr
