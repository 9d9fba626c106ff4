"""Limits and bad input: 4xx in OpenAI's shape, never a 500; a client that leaves cancels its team."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from massgen_core.testing.fake_provider import FakeProviderServer, RecordedRequest, Reply, Stall
from serve_support import ANSWERS, coordinating, serving, team, write_team

from massgen_serve.limits import Limits

QUESTION = {"model": "trio", "messages": [{"role": "user", "content": "Capital of France?"}]}


def stalled(request: RecordedRequest) -> Reply:
    """A reply that starts, then sends nothing until the client goes away (the fake provider
    notices the close): a provider request left open shows as a connection the server holds."""
    return Reply("Paris", fault=Stall(after=0))


def config(workdir: Path, fake: FakeProviderServer) -> list[Path]:
    return [write_team(workdir / "teams", "trio", team(fake))]


def post(url: str, body: bytes | str, **headers: str) -> httpx2.Response:
    data = body.encode() if isinstance(body, str) else body
    return httpx2.post(
        f"{url}/v1/chat/completions", content=data, headers={"content-type": "application/json", **headers}
    )


def error_of(response: httpx2.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"}, body
    return dict(body["error"])


@pytest.mark.parametrize(
    ("body", "status", "param", "phrase"),
    [
        ('{"model": "trio", "messages": [', 400, None, "not valid JSON"),
        ("[1, 2]", 400, None, "JSON object"),
        ('{"messages": [{"role": "user", "content": "x"}]}', 400, "model", "model"),
        ('{"model": 7, "messages": [{"role": "user", "content": "x"}]}', 400, "model", "string"),
        ('{"model": "trio", "messages": "hello"}', 400, "messages", "list"),
        ('{"model": "trio", "messages": [{"role": "user", "content": 5}]}', 400, "messages[0].content", ""),
        ('{"model": "trio", "messages": [{"role": "wizard", "content": "x"}]}', 400, "messages[0].role", ""),
        (
            '{"model": "trio", "messages": [{"role": "user", "content": "x"}], "stream": "yes"}',
            400,
            "stream",
            "",
        ),
        ('{"model": "nobody", "messages": [{"role": "user", "content": "x"}]}', 404, "model", "trio"),
    ],
)
def test_bad_input_gets_a_4xx_in_openai_s_shape(
    fake: FakeProviderServer, workdir: Path, body: str, status: int, param: str | None, phrase: str
) -> None:
    with serving(config(workdir, fake)) as server:
        response = post(server.url, body)
    assert response.status_code == status
    error = error_of(response)
    assert error["param"] == param and phrase in error["message"]
    assert "Traceback" not in response.text and fake.model_calls() == []


PIXEL = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg=="


@pytest.mark.parametrize(
    ("url", "phrase"),
    [
        (PIXEL, "image"),  # chatcompletion agents on unknown models do not read images
        ("/etc/passwd", "data:"),  # never a path on the server
    ],
)
def test_an_image_the_team_cannot_take_is_a_400_saying_why(
    fake: FakeProviderServer, workdir: Path, url: str, phrase: str
) -> None:
    content = [{"type": "text", "text": "What is this?"}, {"type": "image_url", "image_url": {"url": url}}]
    with serving(config(workdir, fake)) as server:
        response = post(
            server.url, json.dumps({"model": "trio", "messages": [{"role": "user", "content": content}]})
        )
    assert response.status_code == 400, response.text
    assert phrase in error_of(response)["message"]
    assert fake.model_calls() == [] and not (workdir / ".massgen/sessions").exists()


def test_a_body_over_the_limit_is_refused_before_it_is_read(fake: FakeProviderServer, workdir: Path) -> None:
    huge = json.dumps({**QUESTION, "messages": [{"role": "user", "content": "x" * 70_000}]})
    with serving(config(workdir, fake), limits=Limits(max_body_bytes=64 * 1024)) as server:
        response = post(server.url, huge)
        chunked = httpx2.post(
            f"{server.url}/v1/chat/completions",
            content=iter([huge[i : i + 8192].encode() for i in range(0, len(huge), 8192)]),
        )
        fine = post(server.url, json.dumps(QUESTION))
    assert response.status_code == 413 and "64 KiB" in error_of(response)["message"]
    assert chunked.status_code == 413 and "--max-body-size" in error_of(chunked)["message"]
    assert fine.status_code == 200


def test_unknown_paths_and_methods_are_openai_errors_and_health_needs_no_key(
    fake: FakeProviderServer, workdir: Path
) -> None:
    with serving(config(workdir, fake), keys=["sk-test-1234567890"]) as server:
        missing = httpx2.get(
            f"{server.url}/v1/embeddings", headers={"Authorization": "Bearer sk-test-1234567890"}
        )
        method = httpx2.get(f"{server.url}/v1/chat/completions")
        health = httpx2.get(f"{server.url}/health")
        no_key = post(server.url, json.dumps(QUESTION))
    assert missing.status_code == 404 and "/v1/embeddings" in error_of(missing)["message"]
    assert method.status_code == 405 and error_of(method)
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert no_key.status_code == 401 and "Authorization: Bearer" in error_of(no_key)["message"]


def test_over_the_concurrency_cap_is_a_429_with_retry_after(workdir: Path) -> None:
    with (
        FakeProviderServer(responder=coordinating(delay=0.5), models=tuple(ANSWERS)) as fake,
        serving(config(workdir, fake), limits=Limits(max_concurrent=1)) as server,
    ):
        api = openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0)
        first: list[Any] = []
        running = threading.Thread(
            target=lambda: first.append(api.chat.completions.create(**QUESTION))  # type: ignore[call-overload]
        )
        running.start()
        fake.wait_for_requests(1)
        with pytest.raises(openai.RateLimitError) as refused:
            api.chat.completions.create(**QUESTION)  # type: ignore[call-overload]
        running.join(30)
        retried = openai.OpenAI(base_url=server.base_url, api_key="x").chat.completions.create(**QUESTION)  # type: ignore[call-overload]
    assert refused.value.response.headers["retry-after"] == "1"
    assert "1 coordination" in refused.value.message and "--max-concurrent" in refused.value.message
    assert first and retried.choices[0].message.content


def test_a_run_over_the_time_limit_is_cancelled_with_a_504(workdir: Path) -> None:
    with (
        FakeProviderServer(responder=stalled, models=tuple(ANSWERS)) as fake,
        serving(config(workdir, fake), limits=Limits(request_timeout=1.0)) as server,
    ):
        started = time.monotonic()
        with pytest.raises(openai.APIStatusError) as raised:
            openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0).chat.completions.create(
                **QUESTION
            )  # type: ignore[call-overload]
        assert time.monotonic() - started < 10
        assert raised.value.status_code == 504 and "--request-timeout" in raised.value.message
        assert fake.wait_idle(5), "the team's provider requests are still open"
        assert server.state.admission.running == 0
    (turn,) = (workdir / ".massgen/sessions").glob("*/turn_1/turn.json")
    assert json.loads(turn.read_text())["status"] == "cancelled"


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_a_client_that_leaves_cancels_its_team_s_provider_requests(workdir: Path, stream: bool) -> None:
    with (
        FakeProviderServer(responder=stalled, models=tuple(ANSWERS)) as fake,
        serving(config(workdir, fake)) as server,
    ):
        data = json.dumps({**QUESTION, "stream": stream}).encode()
        host, port = server.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port))) as conn:
            conn.sendall(
                b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(data)}\r\n\r\n".encode()
                + data
            )
            if stream:
                assert b"200 OK" in conn.recv(4096)
            fake.wait_for_requests(3)  # the first round is under way at the provider
        assert fake.wait_idle(5), "the team's provider requests were left open"
        for _ in range(50):
            if server.state.admission.running == 0:
                break
            time.sleep(0.1)
        assert server.state.admission.running == 0
        calls = fake.model_calls()
    assert len(calls) == 3, [c.model for c in calls]
    (turn,) = (workdir / ".massgen/sessions").glob("*/turn_1/turn.json")
    assert json.loads(turn.read_text())["status"] == "cancelled"
