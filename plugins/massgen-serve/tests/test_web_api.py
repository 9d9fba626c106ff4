"""The web view's data and defences, over HTTP: the runs' rows and statuses, a run's records as
Server-Sent Events (resumable), the security headers, and the keys when the server has some."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from massgen_core.testing.fake_provider import FakeProviderServer, HttpError, RecordedRequest, Reply, Stall
from serve_support import ANSWERS, WINNER_ANSWER, serving, team, write_team

from massgen_serve.limits import Limits
from massgen_serve.web.security import CSP

QUESTION = [{"role": "user", "content": "Capital of France?"}]


def ask(url: str, **options: Any) -> Any:
    client = openai.OpenAI(base_url=f"{url}/v1", api_key=options.pop("key", "x"), max_retries=0)
    return client.chat.completions.create(model="trio", messages=QUESTION, **options)


def sse(url: str, path: str, **headers: str) -> tuple[list[tuple[str, str, str]], httpx2.Response]:
    """Every event of a stream that ends: (event, id, data)."""
    events = []
    with httpx2.stream("GET", url + path, headers=headers, timeout=30) as response:
        event, id_, data = "message", "", []
        for line in response.iter_lines():
            if not line:
                if data:
                    events.append((event, id_, "\n".join(data)))
                event, data = "message", []
            elif line.startswith("event: "):
                event = line[7:]
            elif line.startswith("id: "):
                id_ = line[4:]
            elif line.startswith("data: "):
                data.append(line[6:])
    return events, response


def records_of(events: list[tuple[str, str, str]]) -> list[dict[str, Any]]:
    return [r for event, _, data in events if event == "message" for r in json.loads(data)]


def test_a_finished_run_s_row_and_records(fake: FakeProviderServer, workdir: Path) -> None:
    with serving([write_team(workdir / "teams", "trio", team(fake))]) as served:
        reply = ask(served.url)
        run_id = reply.model_extra["massgen"]["run_id"]
        rows = httpx2.get(served.url + "/api/runs").json()["runs"]
        (row,) = rows
        assert row["run_id"] == run_id and row["status"] == "finished" and row["winner"] == "long"
        assert row["question"] == "Capital of France?" and row["team"] == [
            "short (m-short)",
            "long (m-long)",
            "mid (m-mid)",
        ]
        assert row["duration"] > 0 and row["cost"] is None  # the fake provider's models have no prices

        events, response = sse(served.url, f"/api/runs/{run_id}/events")
        assert response.headers["content-type"].startswith("text/event-stream")
        records = records_of(events)
        logged = (workdir / ".massgen/logs" / run_id / "events.jsonl").read_text().splitlines()
        assert [r["kind"] for r in records] == [json.loads(line)["kind"] for line in logged]
        assert records[0]["kind"] == "run_started" and records[-1]["kind"] == "run_finished"
        assert records[-1]["result"]["final_answer"] == WINNER_ANSWER
        assert events[-1][0] == "end" and json.loads(events[-1][2])["status"] == "finished"
        assert int(events[-1][1]) == len(records)
        # the statuses come from the core's rules, with the records
        votes = [r for r in records if r["kind"] == "vote"]
        assert votes and all(r["status"] == [[r["agent_id"], "voted"]] for r in votes)
        assert records[-1]["status"] == [["*", "done"]]
        assert all("provider_state" not in r.get("call", {}) for r in records)

        # a browser that reconnects with Last-Event-ID gets only what it missed
        middle = len(records) // 2
        rest, _ = sse(served.url, f"/api/runs/{run_id}/events", **{"last-event-id": str(middle)})
        assert records_of(rest) == records[middle:]

        missing = httpx2.get(served.url + "/api/runs/20990101-000000-00000000/events")
        assert missing.status_code == 404 and "no run" in missing.json()["error"]
        assert httpx2.get(served.url + "/api/runs/../../etc/events").status_code == 404
        assert httpx2.get(served.url + "/api/runs/not-a-run/events").status_code == 404


def stalled(request: RecordedRequest) -> Reply:
    return Reply("Paris", fault=Stall(after=0))


def test_failed_cancelled_running_and_killed_runs_are_told_apart(workdir: Path) -> None:
    teams = workdir / "teams"
    with (
        FakeProviderServer(
            responder=lambda r: HttpError(401, invalid_api_key=True), models=tuple(ANSWERS)
        ) as bad,
        FakeProviderServer(responder=stalled, models=tuple(ANSWERS)) as stuck,
    ):
        with serving([write_team(teams, "trio", team(bad))]) as served, pytest.raises(openai.APIStatusError):
            ask(served.url)
        with serving([write_team(teams, "trio", team(stuck))], limits=Limits(request_timeout=1.0)) as served:
            with pytest.raises(openai.APIStatusError):
                ask(served.url)  # over the time limit: cancelled
            going = threading.Thread(target=ask_and_fail, args=(served.url,), daemon=True)
            going.start()
            for _ in range(100):
                statuses = [r["status"] for r in httpx2.get(served.url + "/api/runs").json()["runs"]]
                if len(statuses) == 3:
                    break
                time.sleep(0.05)
            assert sorted(statuses) == ["cancelled", "failed", "running"]
        going.join(10)  # the server stopped with the run going: cancelled
    # a run whose process was killed: its log stops, without a last record, and grows no more
    killed = workdir / ".massgen/logs/20200101-000000-0badc0de"
    killed.mkdir(parents=True)
    started = {"kind": "run_started", "question": "killed?", "agents": [], "mode": "coordination", "t": 0}
    (killed / "events.jsonl").write_text(json.dumps(started) + "\n")
    os.utime(killed / "events.jsonl", (0, 0))
    with serving([write_team(teams, "trio", team(bad))]) as served:
        rows = httpx2.get(served.url + "/api/runs").json()["runs"]
    # newest first (runs started in the same second are in id order)
    assert [row["run_id"] for row in rows] == sorted((row["run_id"] for row in rows), reverse=True)
    assert sorted(row["status"] for row in rows[:3]) == ["cancelled", "cancelled", "failed"], rows
    assert rows[3]["status"] == "incomplete" and rows[3]["question"] == "killed?"
    (failed,) = (row for row in rows if row["status"] == "failed")
    assert "every agent failed" in failed["error"]


def ask_and_fail(url: str) -> None:
    with pytest.raises(openai.APIError):
        ask(url)


def test_pages_carry_the_security_headers_and_ship_their_assets(
    fake: FakeProviderServer, workdir: Path
) -> None:
    with serving([write_team(workdir / "teams", "trio", team(fake))]) as served:
        for path in ("/", "/runs/20261206-101500-1a2b3c4d", "/static/run.js", "/api/runs"):
            response = httpx2.get(served.url + path)
            assert response.status_code == 200, path
            assert response.headers["content-security-policy"] == CSP
            assert response.headers["x-content-type-options"] == "nosniff"
        page = httpx2.get(served.url + "/").text
        assert "http://" not in page and "https://" not in page  # nothing from elsewhere
        for asset in ("runs.js", "run.js", "common.js", "style.css", "login.js"):
            assert httpx2.get(f"{served.url}/static/{asset}").status_code == 200


def test_with_keys_pages_need_a_key_or_a_signed_in_session(fake: FakeProviderServer, workdir: Path) -> None:
    with serving([write_team(workdir / "teams", "trio", team(fake))], keys=["sk-web"]) as served:
        assert httpx2.get(served.url + "/api/runs").status_code == 401
        page = httpx2.get(served.url + "/")
        assert page.status_code == 303 and page.headers["location"] == "/login"
        assert (
            httpx2.get(served.url + "/api/runs", headers={"authorization": "Bearer sk-web"}).status_code
            == 200
        )
        with httpx2.Client(base_url=served.url) as browser:
            wrong = browser.post("/login", data={"key": "sk-wrong"})
            assert wrong.status_code == 303 and wrong.headers["location"] == "/login?failed=1"
            assert browser.get("/api/runs").status_code == 401
            signed_in = browser.post("/login", data={"key": "sk-web"})
            cookie = signed_in.headers["set-cookie"]
            assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
            assert "sk-web" not in cookie  # a token, not the key
            assert browser.get("/api/runs").status_code == 200
            assert browser.get("/").status_code == 200
        assert httpx2.get(served.url + "/api/runs", cookies={"massgen_session": "forged"}).status_code == 401
