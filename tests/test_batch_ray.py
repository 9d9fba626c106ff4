"""``massgen batch --engine ray`` against a real local Ray cluster (``nox -s ray``: ``pytest -m ray``).

One cluster is started for the test session (about ten seconds here); each ``massgen batch``
subprocess joins it with ``--ray-address``. The questions are answered by massgen-openai agents
on the fake provider (real HTTP): the lines prove the questions ran in Ray worker processes (not
the test process, not the ``massgen`` process), and the API key reached the workers only through
the tasks' environment (the cluster was started without it).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from reliability_support import needs_openai

from massgen_core.testing.fake_provider import (
    FakeProviderServer,
    HttpError,
    RecordedRequest,
    Reply,
    Stall,
    ToolCall,
)
from massgen_core.testing.scripted import coordination_reply

pytestmark = [pytest.mark.ray, needs_openai, pytest.mark.timeout(300)]

KEY = "sk-batch-ray-test-0123456789"
KEY_VAR = "MASSGEN_BATCH_TEST_KEY_NOT_IN_THE_CLUSTER"


@attrs.frozen
class Cluster:
    address: str
    node_id: str
    start_seconds: float


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[Cluster]:
    """One real local Ray cluster for the session, started by this process (and stopped by it)."""
    ray = pytest.importorskip("ray")
    assert KEY_VAR not in os.environ
    started = time.monotonic()
    context = ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    elapsed = time.monotonic() - started
    try:
        yield Cluster(context.address_info["gcs_address"], ray.get_runtime_context().get_node_id(), elapsed)
    finally:
        ray.shutdown()


def respond(request: RecordedRequest) -> Any:
    body = request.json
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    question = str(users[0]["content"]) if users else ""
    if "FAIL" in question:
        return HttpError(401, message="this question's key is refused")
    if "STALL" in question:
        return Reply("", fault=Stall(after=0))
    return Reply(
        coordination_reply(request.last_user_text or "", request.tool_names, answer="ray answer")["text"]
    )


@pytest.fixture
def server() -> Iterator[FakeProviderServer]:
    with FakeProviderServer(responder=respond, models=["m-ray"], api_key=KEY) as fake:
        yield fake


def write_team(folder: Path, server: FakeProviderServer) -> Path:
    config = {
        "agents": [
            {
                "id": "solo",
                "backend": {
                    "type": "chatcompletion",
                    "model": "m-ray",
                    "base_url": server.openai_base_url,
                    "api_key": "${" + KEY_VAR + "}",
                },
            }
        ],
        "ui": {"display_type": "silent"},
    }
    path = folder / "team.yaml"
    path.write_text(json.dumps(config))
    return path


def write_questions(path: Path, *questions: dict[str, Any]) -> Path:
    path.write_text("".join(json.dumps(q) + "\n" for q in questions))
    return path


def start_batch(cluster: Cluster, cwd: Path, *args: str, via_env: bool = False) -> subprocess.Popen[str]:
    """``massgen batch ARGS --engine ray`` joining ``cluster`` (with ``via_env``: through ``RAY_ADDRESS``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASSGEN_")}
    env[KEY_VAR] = KEY
    where = ["--ray-address", cluster.address]
    if via_env:
        env["RAY_ADDRESS"], where = cluster.address, []
    return subprocess.Popen(
        [sys.executable, "-m", "massgen_core", "batch", *args, "--engine", "ray", *where],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def massgen_batch(
    cluster: Cluster, cwd: Path, *args: str, via_env: bool = False
) -> tuple[subprocess.CompletedProcess[str], int]:
    process = start_batch(cluster, cwd, *args, via_env=via_env)
    out, err = process.communicate(timeout=240)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err), process.pid


def test_questions_run_as_ray_tasks_in_worker_processes(
    ray_cluster: Cluster, server: FakeProviderServer, tmp_path: Path
) -> None:
    team = write_team(tmp_path, server)
    questions = write_questions(
        tmp_path / "q.jsonl",
        {"id": "a", "question": "first?", "gold": 1},
        {"id": "b", "question": "second?"},
        {"id": "c", "question": "third?"},
        {"id": "bad", "question": "FAIL this one"},
    )
    out = tmp_path / "out.jsonl"

    done, driver_pid = massgen_batch(
        ray_cluster, tmp_path, "--config", str(team), str(questions), "-o", str(out)
    )

    assert done.returncode == 1, done.stderr  # one question failed
    assert "Traceback" not in done.stderr and "3 completed, 1 failed" in done.stderr
    lines = {line["id"]: line for line in map(json.loads, out.read_text().splitlines())}
    assert set(lines) == {"a", "b", "c", "bad"} and lines["a"]["gold"] == 1
    for qid in "abc":
        line = lines[qid]
        assert line["status"] == "completed" and line["final_answer"] == "ray answer"
        assert line["engine"] == "ray"
        worker = line["worker"]
        assert worker["pid"] not in (os.getpid(), driver_pid), "ran in a Ray worker process"
        assert worker["node_id"] == ray_cluster.node_id and worker["task_id"]
        result = json.loads((Path(line["log_dir"]) / "result.json").read_text())  # findable from the line
        assert result["final_answer"] == "ray answer"
        turn = json.loads((Path(line["session_dir"]) / "turn_1" / "turn.json").read_text())
        assert turn["status"] == "completed" and turn["question"] == line["question"]
    assert lines["bad"]["status"] == "failed" and "this question's key is refused" in lines["bad"]["error"]
    # the key reached the workers (the provider accepted it) and was never printed or written
    assert all(
        r.headers.get("authorization") == f"Bearer {KEY}"
        for r in server.requests
        if r.path.endswith("/chat/completions")
    )
    assert KEY not in done.stdout + done.stderr + out.read_text()

    # --resume on Ray (the cluster given by RAY_ADDRESS this time): only the new question runs
    write_questions(
        questions,
        *(json.loads(x) for x in questions.read_text().splitlines()),
        {"id": "d", "question": "fourth?"},
    )
    before = len(server.requests)
    again, _ = massgen_batch(
        ray_cluster, tmp_path, "--config", str(team), str(questions), "-o", str(out), "--resume", via_env=True
    )
    assert again.returncode == 1  # "bad" failed in the earlier run
    assert "4 skipped" in again.stderr and "had failed in an earlier run" in again.stderr
    new = [json.loads(x) for x in out.read_text().splitlines()][4:]
    assert [line["id"] for line in new] == ["d"] and new[0]["status"] == "completed"
    assert len(server.requests) - before == 1
    assert new[0]["worker"]["node_id"] == ray_cluster.node_id


def test_the_python_api_runs_on_the_application_s_ray_connection(
    ray_cluster: Cluster, server: FakeProviderServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import massgen_core

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(KEY_VAR, KEY)  # this process's environment: the workers get it through the tasks
    team = write_team(tmp_path, server)

    async def collect() -> list[dict[str, Any]]:
        return [line async for line in massgen_core.run_batch(team, ["one?", "two?"], engine="ray")]

    lines = asyncio.run(collect())
    assert sorted(line["id"] for line in lines) == [1, 2]
    assert all(line["status"] == "completed" and line["engine"] == "ray" for line in lines)
    assert all(line["worker"]["pid"] != os.getpid() for line in lines)
    import ray

    assert ray.is_initialized(), "the application's connection is kept"


def test_sigterm_cancels_the_ray_tasks_and_keeps_the_finished_lines(
    ray_cluster: Cluster, server: FakeProviderServer, tmp_path: Path
) -> None:
    team = write_team(tmp_path, server)
    questions = write_questions(
        tmp_path / "q.jsonl", {"id": "done", "question": "quick?"}, {"id": "stuck", "question": "STALL here"}
    )
    out = tmp_path / "out.jsonl"
    process = start_batch(ray_cluster, tmp_path, "--config", str(team), str(questions), "-o", str(out))
    try:
        deadline = time.monotonic() + 180
        while not (
            out.exists()
            and out.read_text().count("\n") == 1
            and any("STALL" in str(r.json) for r in server.requests)
        ):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the quick question did not finish"
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 143, err
    assert "Traceback" not in err and "1 completed, 0 failed, 1 not run" in err
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == ["done"]


def coordinating(request: RecordedRequest) -> Reply:
    spec = coordination_reply(request.last_user_text or "", request.tool_names, answer="ray answer")
    calls = tuple(ToolCall(c["name"], c["arguments"]) for c in spec.get("tool_calls", ()))
    return Reply(spec.get("text", ""), tool_calls=calls)


def test_massgen_eval_runs_its_arms_as_ray_tasks(ray_cluster: Cluster, tmp_path: Path) -> None:
    """``massgen eval --engine ray``: every arm's question is a Ray task, and the report scores them."""
    with FakeProviderServer(responder=coordinating, models=["m-ray"], api_key=KEY) as server:
        run_eval_on_ray(ray_cluster, server, tmp_path)


def run_eval_on_ray(ray_cluster: Cluster, server: FakeProviderServer, tmp_path: Path) -> None:
    team = write_team(tmp_path, server)
    config = json.loads(team.read_text())
    config["agents"].append({**config["agents"][0], "id": "duo"})
    team.write_text(json.dumps(config))
    dataset = write_questions(
        tmp_path / "eval.jsonl",
        {"id": "right", "question": "Say it.", "answer": "ray answer"},
        {"id": "wrong", "question": "Say something else.", "answer": "another answer"},
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASSGEN_")}
    env[KEY_VAR] = KEY
    args = ["eval", "--config", str(team), str(dataset), "-o", "out.jsonl", "--scorer", "normalized"]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "massgen_core",
            *args,
            "--engine",
            "ray",
            "--ray-address",
            ray_cluster.address,
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert sorted((line["arm"], line["agent"], line["id"]) for line in lines) == [
        ("single", "duo", "right"),
        ("single", "duo", "wrong"),
        ("single", "solo", "right"),
        ("single", "solo", "wrong"),
        ("team", None, "right"),
        ("team", None, "wrong"),
    ]
    workers = {line["worker"]["pid"] for line in lines}
    assert all(line["worker"]["node_id"] == ray_cluster.node_id for line in lines)
    assert os.getpid() not in workers
    report = json.loads((tmp_path / "out.report.json").read_text())
    assert {row["arm"]: (row["correct"], row["questions"]) for row in report["arms"]} == {
        "single:solo": (1, 2),
        "single:duo": (1, 2),
        "majority": (1, 2),
        "team": (1, 2),
    }
