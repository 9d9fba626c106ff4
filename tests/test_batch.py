"""``massgen batch`` on the default (asyncio) engine, through the CLI and the Python API.

The teams are scripted agents (offline) or massgen-openai agents on the fake provider (real
HTTP on loopback): each question is a whole coordination, each output line is written as soon as
its question ends, and sessions and run logs are findable from the line.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from reliability_support import needs_openai

from massgen_core.testing.cli import interrupt_massgen, massgen_main, run_massgen
from massgen_core.testing.fake_provider import FakeProviderServer, HttpError, RecordedRequest, Reply, Stall
from massgen_core.testing.scripted import coordination_reply

SCRIPTED_TEAM = {
    "agents": [
        {"id": "a", "backend": {"type": "scripted", "then": "coordinate", "answer": "Paris."}},
        {"id": "b", "backend": {"type": "scripted", "then": "coordinate", "answer": "Paris, on the Seine."}},
    ],
    "ui": {"display_type": "silent"},
}


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh working directory (``.massgen/`` goes there)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write_team(folder: Path, config: dict[str, Any]) -> Path:
    path = folder / "team.yaml"
    path.write_text(json.dumps(config))
    return path


def write_lines(path: Path, *lines: str | dict[str, Any]) -> Path:
    path.write_text("".join((json.dumps(x) if isinstance(x, dict) else x) + "\n" for x in lines))
    return path


def read_results(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def the_question(request: RecordedRequest) -> str:
    """The question a coordination request is about (the first user message holds it)."""
    body = request.json
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    content = users[0]["content"] if users else ""
    return content if isinstance(content, str) else json.dumps(content)


def responder(
    *, fail: str = "FAIL", slow: str | None = None, arrivals: list[tuple[float, str]] | None = None
) -> Callable[[RecordedRequest], Any]:
    """A one-agent team's model: answers ``answer to <question>``; a question containing
    ``fail`` gets a 401 (no retry: the question fails); one containing ``slow`` stalls."""

    def respond(request: RecordedRequest) -> Any:
        question = the_question(request)
        if arrivals is not None:
            arrivals.append((time.monotonic(), question))
        if fail in question:
            return HttpError(401, message="bad key for this question")
        if slow is not None and slow in question:
            return Reply("", fault=Stall(after=0))
        text = request.last_user_text or ""
        return Reply(coordination_reply(text, request.tool_names, answer="the answer")["text"], delay=0.0)

    return respond


def one_agent(server: FakeProviderServer) -> dict[str, Any]:
    return {
        "agents": [
            {
                "id": "solo",
                "backend": {
                    "type": "chatcompletion",
                    "model": "m-solo",
                    "base_url": server.openai_base_url,
                    "api_key": "test-key",
                },
            }
        ],
        "ui": {"display_type": "silent"},
    }


@pytest.fixture
def fake_server() -> Iterator[FakeProviderServer]:
    with FakeProviderServer(responder=responder(), models=["m-solo"]) as server:
        yield server


# -- a batch, end to end -------------------------------------------------------------------------
def test_each_question_is_a_coordination_with_its_line_session_and_logs(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    team = write_team(workdir, SCRIPTED_TEAM)
    questions = write_lines(
        workdir / "questions.jsonl",
        {"id": "q1", "question": "Capital of France?", "gold": "Paris", "tags": ["geo"]},
        "What is the capital of France, in plain text?",
        "",
        {"question": "A JSON line without an id"},
    )
    out = workdir / "results.jsonl"

    status = massgen_main("batch", "--config", str(team), str(questions), "-o", str(out))

    err = capsys.readouterr().err
    assert status == 0, err
    lines = {line["id"]: line for line in read_results(out)}
    assert set(lines) == {"q1", 2, 4}  # plain text and id-less lines are numbered by line
    first = lines["q1"]
    assert first["gold"] == "Paris" and first["tags"] == ["geo"]  # the input's own fields are kept
    for line in lines.values():
        assert line["status"] == "completed" and line["error"] is None
        assert line["final_answer"] == "Paris, on the Seine." and line["winner"] == "b"
        assert line["end_reason"] == "consensus"
        assert line["usage"]["requests"] >= 4 and line["duration"] > 0
        assert line["engine"] == "local" and line["worker"]["pid"] == os.getpid()
        turn = json.loads((Path(line["session_dir"]) / "turn_1" / "turn.json").read_text())
        assert turn["question"] == line["question"] and turn["status"] == "completed"
        assert turn["log_dir"] == line["log_dir"] and Path(line["session_dir"]).name == line["session"]
        result = json.loads((Path(line["log_dir"]) / "result.json").read_text())
        assert result["question"] == line["question"] and result["final_answer"] == line["final_answer"]
    assert len({line["log_dir"] for line in lines.values()}) == 3  # a run folder per question
    assert "3 completed, 0 failed" in err and str(out) in err


@needs_openai
def test_a_failed_question_is_a_failed_line_and_exit_1(
    workdir: Path, fake_server: FakeProviderServer
) -> None:
    team = write_team(workdir, one_agent(fake_server))
    questions = write_lines(
        workdir / "q.jsonl", {"id": "ok", "question": "fine?"}, {"id": "bad", "question": "FAIL"}
    )
    out = workdir / "out.jsonl"

    status = massgen_main("batch", "--config", str(team), str(questions), "-o", str(out))

    assert status == 1
    lines = {line["id"]: line for line in read_results(out)}
    assert lines["ok"]["status"] == "completed" and lines["ok"]["final_answer"] == "the answer"
    bad = lines["bad"]
    assert bad["status"] == "failed" and bad["final_answer"] is None and bad["winner"] is None
    assert "every agent failed" in bad["error"] and "bad key for this question" in bad["error"], bad["error"]
    turn = json.loads((Path(bad["session_dir"]) / "turn_1" / "turn.json").read_text())
    assert turn["status"] == "failed"


# -- resume --------------------------------------------------------------------------------------
@needs_openai
def test_resume_skips_the_ids_in_the_output_and_appends(
    workdir: Path, fake_server: FakeProviderServer, capsys: pytest.CaptureFixture[str]
) -> None:
    team = write_team(workdir, one_agent(fake_server))
    questions = write_lines(workdir / "q.jsonl", {"id": 1, "question": "one?"}, {"id": 2, "question": "two?"})
    out = workdir / "out.jsonl"
    assert massgen_main("batch", "--config", str(team), str(questions), "-o", str(out)) == 0
    asked = len(fake_server.requests)
    write_lines(
        questions,
        {"id": 1, "question": "one?"},
        {"id": 2, "question": "two?"},
        {"id": "3", "question": "three?"},
        {"id": 4, "question": "FAIL four"},
    )
    with out.open("a") as f:  # a line cut short by a kill
        f.write('{"id": "3", "status": "compl')
    capsys.readouterr()

    assert massgen_main("batch", "--config", str(team), str(questions), "-o", str(out), "--resume") == 1

    err = capsys.readouterr().err
    lines = read_results(out)  # every line parses: the partial one was dropped
    assert [line["id"] for line in lines][:2] in ([1, 2], [2, 1])
    assert sorted(str(line["id"]) for line in lines[2:]) == ["3", "4"]
    asked_again = {the_question(r) for r in fake_server.requests[asked:]}
    assert "one?" not in asked_again and "two?" not in asked_again
    assert "2 skipped (already in the output)" in err and "dropped an unfinished last line" in err

    # --retry-failed runs the failed one again (it fails again), nothing else
    capsys.readouterr()
    before = len(fake_server.requests)
    status = massgen_main(
        "batch", "--config", str(team), str(questions), "-o", str(out), "--resume", "--retry-failed"
    )
    assert status == 1
    assert {the_question(r) for r in fake_server.requests[before:]} == {"FAIL four"}
    assert [line["id"] for line in read_results(out)].count(4) == 2
    # without --retry-failed, a resumed run that had failures still exits 1 and says so
    status = massgen_main("batch", "--config", str(team), str(questions), "-o", str(out), "--resume")
    assert status == 1 and "had failed in an earlier run" in capsys.readouterr().err


# -- concurrency ---------------------------------------------------------------------------------
@needs_openai
@pytest.mark.parametrize("concurrency", [1, 4])
def test_concurrency_is_how_many_questions_run_at_once(workdir: Path, concurrency: int) -> None:
    arrivals: list[tuple[float, str]] = []
    slow_replies = responder(arrivals=arrivals)

    def respond(request: RecordedRequest) -> Any:
        reply = slow_replies(request)
        return Reply(reply.text, delay=0.4) if isinstance(reply, Reply) else reply

    with FakeProviderServer(responder=respond, models=["m-solo"]) as server:
        team = write_team(workdir, one_agent(server))
        questions = write_lines(workdir / "q.txt", *(f"question {n}" for n in range(4)))
        out = workdir / "out.jsonl"
        status = massgen_main(
            "batch", "--config", str(team), str(questions), "-o", str(out), "--concurrency", str(concurrency)
        )
    assert status == 0 and len(read_results(out)) == 4
    first_request = {}
    for at, question in arrivals:
        first_request.setdefault(question, at)
    starts = sorted(first_request.values())
    spread = starts[-1] - starts[0]
    if concurrency == 4:
        assert spread < 0.3, "all four questions start together"
    else:
        assert spread >= 3 * 0.4, "one question at a time"


# -- bad input -----------------------------------------------------------------------------------
BAD_INPUTS = {
    "missing questions file": (lambda d: "nowhere.jsonl", "out.jsonl", "nowhere.jsonl does not exist"),
    "bad JSON line": (
        lambda d: write_lines(d / "q.jsonl", "fine", '{"id": 2, "question": '),
        "out.jsonl",
        "q.jsonl:2:",
    ),
    "duplicate ids": (
        lambda d: write_lines(d / "q.jsonl", {"id": "a", "question": "x"}, "y", {"id": "a", "question": "z"}),
        "out.jsonl",
        'q.jsonl:3: id "a" is already used on line 1',
    ),
    "number and string ids that are the same": (
        lambda d: write_lines(d / "q.jsonl", {"id": 2, "question": "x"}, "plain text on line 2"),
        "out.jsonl",
        "q.jsonl:2: id 2 is already used on line 1",
    ),
    "missing question": (
        lambda d: write_lines(d / "q.jsonl", {"id": "a", "prompt": "x"}),
        "out.jsonl",
        'q.jsonl:1: "question" is missing',
    ),
    "empty question": (
        lambda d: write_lines(d / "q.jsonl", {"id": "a", "question": " "}),
        "out.jsonl",
        'q.jsonl:1: "question" is not a non-empty string',
    ),
    "a field the output writes": (
        lambda d: write_lines(d / "q.jsonl", {"id": "a", "question": "x", "status": "new"}),
        "out.jsonl",
        "q.jsonl:1: field(s) status are written by massgen batch",
    ),
    "no questions": (lambda d: write_lines(d / "q.jsonl", "", "  "), "out.jsonl", "has no questions"),
    "output in a missing folder": (
        lambda d: write_lines(d / "q.jsonl", "x"),
        "missing/out.jsonl",
        "output folder missing does not exist",
    ),
    "output is a directory": (lambda d: write_lines(d / "q.jsonl", "x"), ".", "is a directory"),
    "output has results and no --resume": (
        lambda d: (
            write_lines(d / "q.jsonl", "x") and write_lines(d / "out.jsonl", {"id": 1}) and (d / "q.jsonl")
        ),
        "out.jsonl",
        "already has results: pass --resume",
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_a_clear_error_before_any_work(workdir: Path, case: str) -> None:
    make_questions, output, message = BAD_INPUTS[case]
    team = write_team(workdir, SCRIPTED_TEAM)
    questions = make_questions(workdir)

    done = run_massgen("batch", "--config", str(team), str(questions), "-o", output, cwd=workdir)

    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("error: ") and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert not (workdir / ".massgen").exists(), "nothing ran"


def test_a_bad_results_line_on_resume_names_it(workdir: Path) -> None:
    team = write_team(workdir, SCRIPTED_TEAM)
    questions = write_lines(workdir / "q.jsonl", "x")
    (workdir / "out.jsonl").write_text('{"id": 1, "status": "completed"}\nnot json\n{"id": 2}\n')
    done = run_massgen(
        "batch", "--config", str(team), str(questions), "-o", "out.jsonl", "--resume", cwd=workdir
    )
    assert done.returncode == 1 and "out.jsonl:2: not a JSON line" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_bad_config_is_reported_with_its_position(workdir: Path) -> None:
    team = workdir / "team.yaml"
    team.write_text("agents:\n  - id: a\n    backend:\n      type: scripted\n      then: sometimes\n")
    questions = write_lines(workdir / "q.jsonl", "x")
    done = run_massgen("batch", "--config", str(team), str(questions), "-o", "out.jsonl", cwd=workdir)
    assert done.returncode == 2 and "team.yaml:5:" in done.stderr and "Traceback" not in done.stderr
    assert not (workdir / "out.jsonl").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--concurrency", "0"], "--concurrency must be at least 1"),
        (["--retry-failed"], "--retry-failed goes with --resume"),
        (["--ray-address", "auto"], "--ray-address and --ray-cpus go with --engine ray"),
    ],
)
def test_bad_options_are_usage_errors(workdir: Path, args: list[str], message: str) -> None:
    done = run_massgen("batch", "--config", "t.yaml", "q.jsonl", "-o", "o.jsonl", *args, cwd=workdir)
    assert done.returncode == 2 and message in done.stderr


# -- stopping ------------------------------------------------------------------------------------
@needs_openai
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_cleanly_keeping_every_finished_line(tmp_path: Path, sig: signal.Signals) -> None:
    stall = threading.Event()  # while set, "slow" questions stall
    stall.set()
    base = responder(slow="slow")

    def respond(request: RecordedRequest) -> Any:
        if not stall.is_set() and "slow" in the_question(request):
            return Reply("the answer")
        return base(request)

    with FakeProviderServer(responder=respond, models=["m-solo"]) as server:
        team = write_team(tmp_path, one_agent(server))
        questions = write_lines(
            tmp_path / "q.jsonl",
            {"id": "fast", "question": "fast one"},
            {"id": "slow", "question": "slow one"},
            {"id": "later", "question": "fast two"},
        )
        out = tmp_path / "out.jsonl"
        args = ["batch", "--config", str(team), str(questions), "-o", str(out), "--concurrency", "2"]

        def fast_ones_done() -> bool:
            return out.exists() and len(out.read_text().splitlines()) == 2

        stopped = interrupt_massgen(*args, until=fast_ones_done, sig=sig, cwd=tmp_path)
        # the slow question's request was pending at the provider
        assert any("slow" in the_question(r) for r in server.requests)
        err = stopped.stderr
        assert stopped.returncode == (143 if sig == signal.SIGTERM else 130), err
        assert "Traceback" not in err
        assert "run again with --resume" in err and "2 completed, 0 failed, 1 not run" in err
        lines = read_results(out)
        assert {line["id"] for line in lines} == {"fast", "later"}
        turns = [json.loads(p.read_text()) for p in tmp_path.glob(".massgen/sessions/*/turn_*/turn.json")]
        assert {t["question"]: t["status"] for t in turns}["slow one"] == "cancelled"

        stall.clear()  # the provider answers now: --resume does only the slow question
        done = run_massgen(*args, "--resume", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert [line["id"] for line in read_results(out)][2:] == ["slow"]


# -- the Python API and start-up -----------------------------------------------------------------
def test_the_python_api_is_an_async_iterator_of_lines(workdir: Path) -> None:
    import massgen_core

    async def collect() -> list[dict[str, Any]]:
        found = []
        async for line in massgen_core.run_batch(
            SCRIPTED_TEAM, ["first?", {"id": "x", "question": "second?", "n": 1}], concurrency=2
        ):
            found.append(line)
        return found

    lines = asyncio.run(collect())
    assert sorted(str(line["id"]) for line in lines) == ["1", "x"]
    assert all(
        line["status"] == "completed" and line["final_answer"] == "Paris, on the Seine." for line in lines
    )
    assert next(line for line in lines if line["id"] == "x")["n"] == 1


def test_stopping_the_iterator_early_cancels_the_rest(workdir: Path) -> None:
    import massgen_core

    slow = {
        "agents": [
            {
                "id": "a",
                "backend": {"type": "scripted", "replies": [{"text": "hi", "delay": 0.3}], "then": "repeat"},
            }
        ],
        "ui": {"display_type": "silent"},
    }

    async def first_only() -> dict[str, Any]:
        async for line in massgen_core.run_batch(slow, ["a?", "b?", "c?"], concurrency=1):
            return line
        raise AssertionError("no line")

    line = asyncio.run(first_only())
    assert line["status"] == "completed"
    turns = [json.loads(p.read_text()) for p in workdir.glob(".massgen/sessions/*/turn_*/turn.json")]
    # the next question had started (one at a time keeps one running): it is cancelled; the last never started
    assert sorted((t["question"], t["status"]) for t in turns) == [("a?", "completed"), ("b?", "cancelled")]


def test_batch_help_and_the_local_engine_never_import_ray(workdir: Path) -> None:
    team = write_team(workdir, SCRIPTED_TEAM)
    write_lines(workdir / "q.jsonl", "x?")
    code = (
        "import sys, contextlib, io\n"
        "from massgen_core.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        main(['batch', '--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        f"status = main(['batch', '--config', {str(team)!r}, 'q.jsonl', '-o', 'out.jsonl'])\n"
        "print(status, 'ray' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=workdir, check=True
    )
    assert done.stdout.split() == ["0", "False"], done.stderr
    assert (workdir / "out.jsonl").read_text().count("\n") == 1


def test_without_ray_the_ray_engine_says_how_to_install_it(workdir: Path) -> None:
    site = workdir / "site"
    (site / "ray").mkdir(parents=True)
    (site / "ray" / "__init__.py").write_text("raise ImportError('No module named ray')\n")
    team = write_team(workdir, SCRIPTED_TEAM)
    questions = write_lines(workdir / "q.jsonl", "x?")
    done = run_massgen(
        "batch",
        "--config",
        str(team),
        str(questions),
        "-o",
        "out.jsonl",
        "--engine",
        "ray",
        pythonpath=site,
        cwd=workdir,
    )
    assert done.returncode == 1 and "pip install 'massgen-core[ray]'" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_a_team_with_workspaces_answers_one_question_at_a_time_here(workdir: Path) -> None:
    team_config = {
        "agents": [
            {
                "id": a,
                "backend": {
                    "type": "scripted",
                    "then": "coordinate",
                    "answer": f"from {a}",
                    "cwd": f"ws_{a}",
                },
            }
            for a in ("a", "b")
        ],
        "ui": {"display_type": "silent"},
    }
    team = write_team(workdir, team_config)
    questions = write_lines(workdir / "q.txt", "one?", "two?")

    refused = run_massgen(
        "batch", "--config", str(team), str(questions), "-o", "out.jsonl", "--concurrency", "2", cwd=workdir
    )
    assert refused.returncode == 1 and "use --concurrency 1, or --engine ray" in refused.stderr
    assert not (workdir / "out.jsonl").exists() or (workdir / "out.jsonl").read_text() == ""

    done = run_massgen("batch", "--config", str(team), str(questions), "-o", "out.jsonl", cwd=workdir)
    assert done.returncode == 0, done.stderr
    lines = read_results(workdir / "out.jsonl")
    assert [line["status"] for line in lines] == ["completed", "completed"]
