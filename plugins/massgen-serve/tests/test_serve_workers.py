"""`massgen serve --workers N`: several processes on one port, as one server.

Linux spreads connections among the workers by a hash of each connection's address, so which
worker serves a request is not chosen here; the tests send enough requests on fresh
connections that every worker serves some (each run's log line says which worker ran it), and
check what must hold whichever worker a request reaches.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from massgen_core.testing.fake_provider import FakeProviderServer
from serve_support import ANSWERS, WINNER_ANSWER, coordinating, massgen_serve, team, write_team

from massgen_serve.workers import QUICK_DEATH_SECONDS, supervise

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers share a port on Linux")

FRESH_CONNECTIONS = 16  # all on one of 2 workers: 2 in 2**16


def ask(url: str, question: str = "Capital of France?") -> Any:
    """One chat completion on a connection of its own."""
    with openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0) as client:
        return client.chat.completions.create(model="trio", messages=[{"role": "user", "content": question}])


def on_fresh_connections(count: int, call: Callable[[int], Any]) -> list[Any]:
    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(call, range(count)))


def workers_of_runs(log: str) -> dict[str, int]:
    """run id -> the worker that ran it, from the server's log lines."""
    return {run: int(worker) for worker, run in re.findall(r"worker (\d+): run (\S+) ", log)}


def wait_for(condition: Callable[[], bool], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_every_worker_answers_on_the_one_port(fake: FakeProviderServer, workdir: Path) -> None:
    write_team(workdir, "trio", team(fake))
    with massgen_serve("--config", "trio.yaml", "--port", "0", "--workers", "2", cwd=workdir) as served:
        wait_for(lambda: len(served.workers()) == 2)
        replies = on_fresh_connections(
            FRESH_CONNECTIONS, lambda i: ask(served.url, f"Capital of France? ({i})")
        )
        assert [r.choices[0].message.content for r in replies] == [WINNER_ANSWER] * FRESH_CONNECTIONS
        run_ids = {r.model_extra["massgen"]["run_id"] for r in replies}
        wait_for(lambda: run_ids <= workers_of_runs(served.log()).keys())
        assert set(workers_of_runs(served.log()).values()) == {0, 1}
    for run_id in run_ids:  # every run saved where the CLI saves it, whichever worker ran it
        assert (workdir / ".massgen/logs" / run_id / "result.json").is_file()
        assert (workdir / ".massgen/sessions" / run_id).is_dir()


def test_max_concurrent_counts_the_runs_of_every_worker(workdir: Path) -> None:
    with FakeProviderServer(responder=coordinating(delay=1.0), models=tuple(ANSWERS)) as slow:
        write_team(workdir, "trio", team(slow))
        args = ("--config", "trio.yaml", "--port", "0", "--workers", "2", "--max-concurrent", "2")
        with massgen_serve(*args, cwd=workdir) as served:
            running = [threading.Thread(target=ask, args=(served.url,)) for _ in range(2)]
            for thread in running:
                thread.start()
            wait_for(lambda: httpx2.get(f"{served.url}/health").json()["running"] == 2)

            def refused(i: int) -> tuple[int, str | None]:
                reply = httpx2.post(
                    f"{served.url}/v1/chat/completions",
                    json={"model": "trio", "messages": [{"role": "user", "content": f"more ({i})"}]},
                )
                return reply.status_code, reply.headers.get("retry-after")

            # whichever worker they reach, the server is full
            assert on_fresh_connections(FRESH_CONNECTIONS, refused) == [(429, "1")] * FRESH_CONNECTIONS
            for thread in running:
                thread.join(30)
            wait_for(lambda: httpx2.get(f"{served.url}/health").json()["running"] == 0)
            assert ask(served.url).choices[0].message.content == WINNER_ANSWER


def test_a_browser_signed_in_once_is_let_in_by_every_worker(fake: FakeProviderServer, workdir: Path) -> None:
    write_team(workdir, "trio", team(fake))
    args = ("--config", "trio.yaml", "--port", "0", "--workers", "2", "--api-key", "sk-web")
    with massgen_serve(*args, cwd=workdir) as served:
        signed_in = httpx2.post(f"{served.url}/login", data={"key": "sk-web"})
        assert signed_in.status_code == 303
        token = signed_in.cookies["massgen_session"]

        def runs_page(i: int) -> int:
            return httpx2.get(f"{served.url}/api/runs", cookies={"massgen_session": token}).status_code

        assert on_fresh_connections(FRESH_CONNECTIONS, runs_page) == [200] * FRESH_CONNECTIONS
        forged = token[:-1] + ("0" if token[-1] != "0" else "1")
        assert httpx2.get(f"{served.url}/api/runs", cookies={"massgen_session": forged}).status_code == 401


def test_the_web_view_follows_a_run_whichever_worker_serves_it(workdir: Path) -> None:
    with FakeProviderServer(responder=coordinating(delay=1.0), models=tuple(ANSWERS)) as slow:
        write_team(workdir, "trio", team(slow))
        with massgen_serve("--config", "trio.yaml", "--port", "0", "--workers", "2", cwd=workdir) as served:
            asked = ThreadPoolExecutor(1).submit(ask, served.url)
            wait_for(lambda: bool(httpx2.get(f"{served.url}/api/runs").json()["runs"]))
            run_id = httpx2.get(f"{served.url}/api/runs").json()["runs"][0]["run_id"]

            def followed(i: int) -> tuple[str, list[str]]:
                """The run's status seen on a fresh connection, and every record kind it sends."""
                status = httpx2.get(f"{served.url}/api/runs").json()["runs"][0]["status"]
                kinds: list[str] = []
                with httpx2.stream("GET", f"{served.url}/api/runs/{run_id}/events", timeout=30) as events:
                    for line in events.iter_lines():
                        if line.startswith("data: ["):
                            kinds += [record["kind"] for record in json.loads(line.removeprefix("data: "))]
                        if line.startswith("event: end"):
                            break
                return status, kinds

            seen = on_fresh_connections(8, followed)
            assert asked.result(30).choices[0].message.content == WINNER_ANSWER
    for status, kinds in seen:
        assert status == "running"
        assert kinds[0] == "run_started" and kinds[-1] == "run_finished"


def test_ctrl_c_stops_every_worker_once_letting_running_requests_finish(workdir: Path) -> None:
    with FakeProviderServer(responder=coordinating(delay=1.0), models=tuple(ANSWERS)) as slow:
        write_team(workdir, "trio", team(slow))
        args = ("--config", "trio.yaml", "--port", "0", "--workers", "2")
        with massgen_serve(*args, cwd=workdir, new_session=True) as served:
            wait_for(lambda: len(served.workers()) == 2)
            workers = served.workers()
            asked = ThreadPoolExecutor(1).submit(ask, served.url)
            wait_for(lambda: httpx2.get(f"{served.url}/health").json()["running"] == 1)
            os.killpg(served.proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole foreground group
            assert served.proc.wait(30) == 130
            assert asked.result(30).choices[0].message.content == WINNER_ANSWER  # given its grace
            log = served.log()
        for pid in workers:
            assert not Path(f"/proc/{pid}").exists()
        assert log.count("Shutting down") == 2 and "Traceback" not in log


def test_sigterm_stops_the_server_with_143(fake: FakeProviderServer, workdir: Path) -> None:
    write_team(workdir, "trio", team(fake))
    with massgen_serve("--config", "trio.yaml", "--port", "0", "--workers", "2", cwd=workdir) as served:
        wait_for(lambda: len(served.workers()) == 2)
        workers = served.workers()
        served.proc.send_signal(signal.SIGTERM)
        assert served.proc.wait(30) == 143
        for pid in workers:
            wait_for(lambda pid=pid: not Path(f"/proc/{pid}").exists())


def test_a_worker_that_dies_is_replaced(fake: FakeProviderServer, workdir: Path) -> None:
    write_team(workdir, "trio", team(fake))
    with massgen_serve("--config", "trio.yaml", "--port", "0", "--workers", "2", cwd=workdir) as served:
        time.sleep(QUICK_DEATH_SECONDS + 0.5)  # a worker that dies at once stops the server instead
        first, second = served.workers()
        os.kill(first, signal.SIGKILL)
        wait_for(lambda: len(served.workers()) == 2 and first not in served.workers())
        assert second in served.workers()
        assert re.search(
            r"worker \d stopped \(killed by SIGKILL\), and its running requests with it: starting another",
            served.log(),
        )
        # the new worker takes the connections the dead one would have: every request answered
        replies = on_fresh_connections(FRESH_CONNECTIONS, lambda i: ask(served.url))
        assert [r.choices[0].message.content for r in replies] == [WINNER_ANSWER] * FRESH_CONNECTIONS
        served.proc.send_signal(signal.SIGINT)
        assert served.proc.wait(30) == 130


def test_workers_that_die_as_they_start_stop_the_server(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("ERROR", logger="massgen_serve"):
        status = supervise(2, lambda index: 3, stopped_by={signal.SIGINT: 130})
    assert status == 1
    assert "stopped as it started (exit status 3): stopping the server" in caplog.text


def test_a_signal_to_every_process_at_once_stops_cleanly(fake: FakeProviderServer, workdir: Path) -> None:
    """As ``pkill -INT -f 'massgen serve'`` does: each worker hears it twice (and forces its stop)."""
    write_team(workdir, "trio", team(fake))
    with massgen_serve("--config", "trio.yaml", "--port", "0", "--workers", "2", cwd=workdir) as served:
        wait_for(lambda: len(served.workers()) == 2)
        assert ask(served.url).choices[0].message.content == WINNER_ANSWER  # its agents' clients kept
        for pid in [served.proc.pid, *served.workers()]:
            os.kill(pid, signal.SIGINT)
        assert served.proc.wait(30) == 130
        log = served.log()
    assert "Traceback" not in log and "ERROR" not in log


def test_workers_stop_when_the_server_is_killed_outright(fake: FakeProviderServer, workdir: Path) -> None:
    write_team(workdir, "trio", team(fake))
    with massgen_serve("--config", "trio.yaml", "--port", "0", "--workers", "2", cwd=workdir) as served:
        wait_for(lambda: len(served.workers()) == 2)
        workers = served.workers()
        served.proc.kill()
        served.proc.wait(10)
        for pid in workers:  # Linux sends each SIGTERM as its parent dies
            wait_for(lambda pid=pid: not Path(f"/proc/{pid}").exists() or _zombie(pid))


def _zombie(pid: int) -> bool:
    """A process that has exited and waits to be reaped (by init, once its parent is gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
