"""Issue 18, item 6: one retry policy for every backend.

A reply that breaks off (a dropped connection, a mid-stream server error, a stall) before
anything of it was used is retried like a connection failure, on Chat Completions as on the
Responses API; the answer the user gets is the retried reply's.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from reliability_support import TYPES, coordinating, needs_openai, team_config

from massgen_core.display.board import Board, Tail
from massgen_core.runtime.api import run_sync
from massgen_core.testing.cli import run_massgen
from massgen_core.testing.fake_provider import (
    Disconnect,
    FakeProviderServer,
    Fault,
    RecordedRequest,
    Reply,
    Scripted,
    Stall,
    StreamError,
)

pytestmark = needs_openai

FAULTS = {
    "dropped": Disconnect(after=2),
    "reset": Disconnect(after=1, reset=True),
    "server error mid-stream": StreamError(after=2),
}


def single(server: FakeProviderServer, backend_type: str) -> dict[str, object]:
    return {
        "agent": {
            "id": "solo",
            "backend": {
                "type": backend_type,
                "model": "gpt-4o",
                "base_url": server.openai_base_url,
                "api_key": "test-key",
            },
        },
        "ui": {"display_type": "silent"},
    }


@pytest.mark.parametrize("backend_type", TYPES)
@pytest.mark.parametrize("fault", FAULTS.values(), ids=list(FAULTS))
def test_a_reply_that_breaks_part_way_is_retried(backend_type: str, fault: Fault) -> None:
    with FakeProviderServer() as server:
        server.enqueue(Reply("The capital of France is Paris.", text_chunks=5, fault=fault))
        server.enqueue(Reply("Paris."))
        result = run_sync(single(server, backend_type), "Capital of France?")
        assert len(server.model_calls()) == 2
    assert result.final_answer == "Paris." and not result.failures


@pytest.mark.parametrize("backend_type", TYPES)
def test_a_reply_that_stalls_part_way_is_retried(backend_type: str) -> None:
    with FakeProviderServer() as server:
        server.enqueue(Reply("The capital is", text_chunks=3, fault=Stall(after=1)))
        server.enqueue(Reply("Paris."))
        config = single(server, backend_type) | {"timeout_settings": {"idle_timeout": 0.5}}
        result = run_sync(config, "Capital of France?")
    assert result.final_answer == "Paris."


def test_a_dropped_chat_completions_reply_does_not_fail_the_cli_run(tmp_path: Path) -> None:
    with FakeProviderServer() as server:
        server.enqueue(Reply("Partial and then", text_chunks=4, fault=Disconnect(after=2)))
        server.enqueue(Reply("Paris is the capital of France."))
        done = run_massgen(
            "--backend", "chatcompletion", "--model", "gpt-4o", "--base-url", server.openai_base_url,
            "--no-display", "Capital of France?",
            cwd=tmp_path,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Paris is the capital of France."


def test_a_coordination_rides_out_one_dropped_reply_per_agent() -> None:
    answers = {"m-0": "Paris.", "m-1": "Paris, on the Seine.", "m-2": "Paris, France's capital city."}
    normal = coordinating(answers)
    first = {model: itertools.count() for model in answers}

    def responder(request: RecordedRequest) -> Scripted:
        reply = normal(request)
        if next(first[request.model or ""]) == 0:  # each agent's first reply breaks off
            return reply.evolve(fault=Disconnect(after=1))
        return reply

    with FakeProviderServer(responder=responder, models=list(answers)) as server:
        result = run_sync(team_config(server, list(answers)), "What is the capital of France?")
    assert not result.failures and result.end_reason == "consensus"
    assert result.final_answer == answers["m-2"]


@pytest.mark.parametrize("backend_type", TYPES)
def test_the_live_display_drops_the_text_of_the_reply_that_broke_off(backend_type: str) -> None:
    board = Board()
    with FakeProviderServer() as server:
        server.enqueue(Reply("The capital of France", text_chunks=4, fault=Disconnect(after=3)))
        server.enqueue(Reply("Paris."))
        run_sync(single(server, backend_type), "Capital of France?", on_event=board.apply)
    view = board.agents["solo"]
    assert view.text.text == "Paris."
    assert any(line.startswith("↻ retrying a reply that broke off") for line in view.activity)


def test_a_rewind_keeps_what_came_before_the_broken_reply() -> None:
    tail = Tail()
    tail.append("first reply. ")
    tail.mark()  # a Done or tool results: the next reply begins
    tail.append("broken rep")
    tail.rewind()
    tail.append("second reply.")
    assert tail.text == "first reply. second reply."
