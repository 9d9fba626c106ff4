"""The official openai SDK, unmodified, against a served team on the fake provider."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import openai
import pytest
from massgen_core.testing.fake_provider import FakeProviderServer, HttpError, RecordedRequest, Reply
from serve_support import ANSWERS, WINNER_ANSWER, reply_for, serving, team, write_team


@pytest.fixture
def served(fake: FakeProviderServer, workdir: Path) -> Any:
    with serving([write_team(workdir / "teams", "trio", team(fake))]) as server:
        yield server


def client(served: Any, **kwargs: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=served.base_url, api_key=kwargs.pop("api_key", "unused"), **kwargs)


QUESTION = [{"role": "user", "content": "What is the capital of France?"}]


def test_a_plain_request_gets_the_winner_s_answer_with_every_agent_s_usage(
    served: Any, fake: FakeProviderServer, workdir: Path
) -> None:
    reply = client(served).chat.completions.create(model="trio", messages=QUESTION)
    calls = fake.model_calls()
    assert reply.choices[0].message.content == WINNER_ANSWER
    assert reply.choices[0].finish_reason == "stop" and reply.model == "trio"
    assert len(calls) == 7  # three answers, three votes, one presentation
    ext = reply.model_extra["massgen"]  # type: ignore[index]
    result = json.loads((workdir / ext["log_dir"] / "result.json").read_text())
    per_agent = [u["input_tokens"] for u in result["usage"].values()]
    assert reply.usage is not None and len(per_agent) == 3
    assert reply.usage.prompt_tokens == result["total_usage"]["input_tokens"] == sum(per_agent)
    assert reply.usage.completion_tokens == result["total_usage"]["output_tokens"] > 0
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens
    assert ext["winner"] == "long" and ext["end_reason"] == "consensus"
    assert {voter: vote["target"] for voter, vote in ext["votes"].items()} == dict.fromkeys(
        ("short", "long", "mid"), "long"
    )
    assert reply.id == f"chatcmpl-{ext['run_id']}" and ext["session"] == ext["run_id"]
    turn = json.loads((workdir / ".massgen/sessions" / ext["run_id"] / "turn_1/turn.json").read_text())
    assert (turn["status"], turn["final_answer"]) == ("completed", WINNER_ANSWER)
    assert ext["log_dir"] == f".massgen/logs/{ext['run_id']}"
    assert (workdir / ext["log_dir"] / "final_answer.md").read_text().strip() == WINNER_ANSWER


def total_tokens(workdir: Path, ext: dict[str, Any]) -> int:
    """Every agent's tokens, as the run's own log counts them."""
    usage = json.loads((workdir / ext["log_dir"] / "result.json").read_text())["total_usage"]
    return int(usage["input_tokens"] + usage["output_tokens"])


def test_a_streamed_reply_ends_with_the_answer_its_finish_and_its_usage(served: Any, workdir: Path) -> None:
    chunks = list(
        client(served).chat.completions.create(
            model="trio", messages=QUESTION, stream=True, stream_options={"include_usage": True}
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == WINNER_ANSWER
    assert chunks[0].choices[0].delta.role == "assistant"
    finish = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert [c.choices[0].finish_reason for c in finish] == ["stop"]
    assert finish[0].model_extra["massgen"]["winner"] == "long"  # type: ignore[index]
    usage = chunks[-1].usage
    assert chunks[-1].choices == [] and usage is not None
    assert usage.total_tokens == total_tokens(workdir, finish[0].model_extra["massgen"])  # type: ignore[index]
    assert all(not getattr(c.choices[0].delta, "reasoning_content", None) for c in chunks if c.choices)


def test_progress_streams_as_reasoning_content_when_asked(served: Any) -> None:
    stream = client(served).chat.completions.create(
        model="trio", messages=QUESTION, stream=True, extra_body={"massgen": {"progress": True}}
    )
    reasoning, content = [], []
    for chunk in stream:
        if chunk.choices:
            delta = chunk.choices[0].delta.model_extra or {}
            reasoning.append(delta.get("reasoning_content") or "")
            content.append(chunk.choices[0].delta.content or "")
    steps = "".join(reasoning)
    assert "massgen: 3 agent(s)" in steps
    assert "[short] voted for agent2 (long)" in steps and "coordination ended:" in steps
    assert steps.index("presenting the final answer") < len(steps)
    assert "".join(content) == WINNER_ANSWER


def test_the_async_client_runs_requests_at_once(served: Any, fake: FakeProviderServer) -> None:
    async def main() -> list[Any]:
        async with openai.AsyncOpenAI(base_url=served.base_url, api_key="unused") as aclient:
            plain = [aclient.chat.completions.create(model="trio", messages=QUESTION) for _ in range(3)]

            async def streamed() -> str:
                stream = await aclient.chat.completions.create(model="trio", messages=QUESTION, stream=True)
                return "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])

            return await asyncio.gather(*plain, streamed())

    *replies, streamed_text = asyncio.run(main())
    assert [r.choices[0].message.content for r in replies] == [WINNER_ANSWER] * 3
    assert streamed_text == WINNER_ANSWER
    assert len({r.model_extra["massgen"]["run_id"] for r in replies}) == 3
    assert len(fake.model_calls()) == 4 * 7


def test_each_agent_keeps_its_provider_connection_from_request_to_request(
    served: Any, fake: FakeProviderServer
) -> None:
    for _ in range(2):
        assert (
            client(served).chat.completions.create(model="trio", messages=QUESTION).choices[0].message.content
        )
    ports: dict[str | None, set[int]] = {}
    for call in fake.model_calls():
        ports.setdefault(call.model, set()).add(call.client_port)
    assert ports.keys() == set(ANSWERS)
    assert all(len(p) == 1 for p in ports.values()), ports  # the second request skipped the handshakes


def test_earlier_turns_and_the_system_message_reach_the_agents(served: Any, fake: FakeProviderServer) -> None:
    messages = [
        {"role": "system", "content": "Answer in one word."},
        {"role": "user", "content": "Which river runs through Paris?"},
        {"role": "assistant", "content": "The Seine."},
        {"role": "user", "content": [{"type": "text", "text": "And the capital of France?"}]},
    ]
    reply = client(served).chat.completions.create(model="trio", messages=messages)
    assert reply.choices[0].message.content == WINNER_ANSWER
    first = json.dumps(fake.model_calls()[0].json)
    for text in ("Which river runs through Paris?", "The Seine.", "Answer in one word."):
        assert text in first
    assert first.index("Answer in one word.") < first.index("And the capital of France?")


def test_models_are_listed_and_retrieved(served: Any) -> None:
    api = client(served)
    assert [m.id for m in api.models.list()] == ["trio"]
    assert api.models.retrieve("trio").owned_by == "massgen"
    with pytest.raises(openai.NotFoundError) as missing:
        api.models.retrieve("duo")
    assert missing.value.code == "model_not_found"


@pytest.mark.parametrize(
    ("kwargs", "error", "phrase"),
    [
        ({"model": "quartet", "messages": QUESTION}, openai.NotFoundError, "This server serves: trio"),
        ({"model": "trio", "messages": []}, openai.BadRequestError, "messages"),
        (
            {"model": "trio", "messages": [{"role": "assistant", "content": "Hi"}]},
            openai.BadRequestError,
            "from the user",
        ),
        (
            {
                "model": "trio",
                "messages": QUESTION,
                "tools": [{"type": "function", "function": {"name": "f"}}],
            },
            openai.BadRequestError,
            "cannot call the client's tools",
        ),
        ({"model": "trio", "messages": QUESTION, "n": 2}, openai.BadRequestError, "one answer"),
    ],
)
def test_bad_requests_get_openai_errors(
    served: Any, kwargs: dict[str, Any], error: type, phrase: str
) -> None:
    with pytest.raises(error) as raised:
        client(served, max_retries=0).chat.completions.create(**kwargs)
    assert phrase in str(raised.value)


def test_a_team_that_cannot_answer_is_a_502_naming_each_failure(workdir: Path) -> None:
    with (
        FakeProviderServer(
            responder=lambda r: HttpError(401, invalid_api_key=True), models=tuple(ANSWERS)
        ) as bad,
        serving([write_team(workdir / "teams", "trio", team(bad))]) as server,
    ):
        with pytest.raises(openai.APIStatusError) as raised:
            client(server, max_retries=0).chat.completions.create(model="trio", messages=QUESTION)
        assert raised.value.status_code == 502
        assert "every agent failed" in str(raised.value) and "short:" in str(raised.value)
        stream = client(server, max_retries=0).chat.completions.create(
            model="trio", messages=QUESTION, stream=True
        )
        with pytest.raises(openai.APIError, match="every agent failed"):
            list(stream)


def test_a_set_aside_presentation_still_ends_the_stream_with_the_final_answer(workdir: Path) -> None:
    def respond(request: RecordedRequest) -> Reply:
        if not request.tool_names:  # the winner presenting: it talks about the workflow instead
            return Reply("I will now call `new_answer` with the best answer.")
        return reply_for(request)

    with (
        FakeProviderServer(responder=respond, models=tuple(ANSWERS)) as fake,
        serving([write_team(workdir / "teams", "trio", team(fake))]) as server,
    ):
        api = client(server)
        plain = api.chat.completions.create(model="trio", messages=QUESTION)
        assert plain.choices[0].message.content == WINNER_ANSWER
        assert plain.model_extra["massgen"]["presented"] is False  # type: ignore[index]
        chunks = api.chat.completions.create(model="trio", messages=QUESTION, stream=True)
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.startswith("I will now call `new_answer`")
    assert text.endswith(f"\n\n{WINNER_ANSWER}") and "[massgen: " in text


def test_the_responses_api_answers_plain_and_streamed(served: Any, workdir: Path) -> None:
    api = client(served)
    response = api.responses.create(model="trio", input="What is the capital of France?")
    assert response.output_text == WINNER_ANSWER and response.status == "completed"
    ext = response.model_extra["massgen"]  # type: ignore[index]
    assert ext["winner"] == "long" and response.id == f"resp_{ext['run_id']}"
    assert response.usage is not None and response.usage.total_tokens == total_tokens(workdir, ext)
    events = list(
        api.responses.create(
            model="trio",
            instructions="Be brief.",
            input=[{"role": "user", "content": [{"type": "input_text", "text": "Capital of France?"}]}],
            stream=True,
        )
    )
    kinds = [e.type for e in events]
    assert kinds[:2] == ["response.created", "response.in_progress"] and kinds[-1] == "response.completed"
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert deltas == WINNER_ANSWER == events[-1].response.output_text
    assert [e.sequence_number for e in events] == list(range(len(events)))
    with pytest.raises(openai.BadRequestError, match="send the whole conversation in `input`") as refused:
        client(served, max_retries=0).responses.create(model="trio", input="x", previous_response_id="resp_1")
    assert refused.value.param == "previous_response_id"
