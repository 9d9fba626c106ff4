"""The fake provider server itself: wire details, scripting, recording, lifecycle, CLI (no provider SDK)."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import threading
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

httpx2 = pytest.importorskip("httpx2")

from massgen_core.testing.fake_provider import (  # noqa: E402
    Disconnect,
    FakeProviderServer,
    HttpError,
    Reasoning,
    RecordedRequest,
    Reply,
    Stall,
    StreamError,
    ToolCall,
    WireFormat,
    split_text,
)
from massgen_core.testing.fake_provider.openai_chat import OpenAIChatRenderer  # noqa: E402

TEXT = st.text(alphabet='ab é字😀\n"{}\\', max_size=40)  # a fixed alphabet keeps hypothesis fast
CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "stream": True}


def sse_events(raw: str) -> list[dict[str, str]]:
    """Split an SSE body into events: {"event": ..., "data": ...} (event missing when not sent)."""
    events = []
    for block in raw.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append(fields)
    return events


def post(server: FakeProviderServer, path: str, body: dict[str, Any], **kwargs: Any) -> Any:
    return httpx2.post(server.url + path, json=body, timeout=5.0, **kwargs)


def test_chat_wire_format(fake_provider: FakeProviderServer) -> None:
    fake_provider.enqueue(Reply("Hello", text_chunks=2))
    response = post(fake_provider, "/v1/chat/completions", CHAT | {"stream_options": {"include_usage": True}})
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["transfer-encoding"] == "chunked"
    events = sse_events(response.text)
    assert all(set(e) == {"data"} for e in events)  # data lines only
    assert events[-1]["data"] == "[DONE]"
    chunks = [json.loads(e["data"]) for e in events[:-1]]
    assert all("usage" in c and c["usage"] is None for c in chunks[:-1])
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] > 0
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": "", "refusal": None}


def test_responses_and_anthropic_events_carry_event_lines(fake_provider: FakeProviderServer) -> None:
    fake_provider.enqueue(Reply("Hi", reasoning=Reasoning("r")), Reply("Hi", reasoning=Reasoning("r")))
    responses = sse_events(
        post(fake_provider, "/v1/responses", {"model": "gpt-5", "input": "x", "stream": True}).text
    )
    for number, event in enumerate(responses):
        data = json.loads(event["data"])
        assert event["event"] == data["type"]
        assert data["sequence_number"] == number
    body = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}], "stream": True}
    messages = sse_events(post(fake_provider, "/v1/messages?beta=true", body).text)
    assert all(e["event"] == json.loads(e["data"])["type"] for e in messages)
    assert [e["event"] for e in messages[:3]] == ["message_start", "content_block_start", "ping"]


def test_gemini_stream_without_alt_sse_is_a_json_array(fake_provider: FakeProviderServer) -> None:
    fake_provider.enqueue(Reply("Hello", text_chunks=2))
    body = {"contents": [{"role": "user", "parts": [{"text": "x"}]}]}
    response = post(fake_provider, "/v1beta/models/g:streamGenerateContent", body)
    chunks = response.json()
    assert [c["candidates"][0]["content"]["parts"][0]["text"] for c in chunks] == ["Hel", "lo"]


def test_queue_then_responder_then_echo(fake_provider: FakeProviderServer) -> None:
    def by_model(request: RecordedRequest) -> Reply | None:
        return Reply(f"model {request.model}") if request.model == "special" else None

    fake_provider.responder = by_model
    fake_provider.enqueue(Reply("queued"))
    texts = []
    for model in ("special", "special", "other"):
        body = CHAT | {"model": model, "stream": False}
        texts.append(
            post(fake_provider, "/v1/chat/completions", body).json()["choices"][0]["message"]["content"]
        )
    assert texts == ["queued", "model special", "Echo: hi"]
    assert fake_provider.pending == 0


def test_recording(fake_provider: FakeProviderServer) -> None:
    body = {"model": "gpt-5", "input": [{"role": "user", "content": [{"type": "input_text", "text": "yo"}]}]}
    post(
        fake_provider,
        "/v1/responses?trace=1",
        body,
        headers={"Authorization": "Bearer sk-1", "X-Custom": "v"},
    )
    request = fake_provider.last_request
    assert (request.method, request.path, request.query) == ("POST", "/v1/responses", {"trace": "1"})
    assert request.headers["x-custom"] == "v"
    assert (request.wire_format, request.model, request.stream) == (
        WireFormat.OPENAI_RESPONSES,
        "gpt-5",
        False,
    )
    assert request.json == body and request.last_user_text == "yo"
    httpx2.get(fake_provider.url + "/v1/models")
    assert len(fake_provider.requests) == 2 and len(fake_provider.model_calls()) == 1


def test_error_body_override_and_unknown_path(fake_provider: FakeProviderServer) -> None:
    fake_provider.enqueue(HttpError(418, body={"custom": True}, headers={"retry-after": "1"}))
    response = post(fake_provider, "/v1/chat/completions", CHAT)
    assert (response.status_code, response.json(), response.headers["retry-after"]) == (
        418,
        {"custom": True},
        "1",
    )
    assert post(fake_provider, "/v2/nothing", {}).status_code == 404


def test_stall_with_seconds_resumes_and_faults_on_non_streaming(fake_provider: FakeProviderServer) -> None:
    fake_provider.enqueue(
        Reply("abcdef", fault=Stall(after=1, seconds=0.3)),
        Reply("x", fault=StreamError(status=429)),
        Reply("x", fault=Disconnect()),
    )
    start = time.monotonic()
    events = sse_events(post(fake_provider, "/v1/chat/completions", CHAT).text)
    assert time.monotonic() - start >= 0.3
    content = [json.loads(e["data"])["choices"][0]["delta"].get("content") for e in events[:-2]]
    assert "".join(c or "" for c in content) == "abcdef"
    body = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}
    response = post(fake_provider, "/v1/messages", body)
    assert (response.status_code, response.json()["error"]["type"]) == (429, "rate_limit_error")
    with pytest.raises(httpx2.RemoteProtocolError):
        post(fake_provider, "/v1/messages", body)


def test_anthropic_and_gemini_model_lists() -> None:
    with FakeProviderServer(models=["m1"]) as server:
        anthropic_list = httpx2.get(
            server.url + "/v1/models", headers={"anthropic-version": "2023-06-01"}
        ).json()
        assert anthropic_list["data"][0] == {
            "type": "model",
            "id": "m1",
            "display_name": "m1",
            "created_at": "2026-01-01T00:00:00Z",
        }
        assert httpx2.get(server.url + "/v1beta/models").json()["models"][0]["name"] == "models/m1"


def test_wait_idle_returns_once_the_server_has_closed_its_side() -> None:
    import os

    def open_fds() -> int:
        return len(os.listdir("/proc/self/fd"))

    with FakeProviderServer() as server:
        before = open_fds()
        with httpx2.Client() as client:  # keeps its connection open after the reply
            assert client.post(server.url + "/v1/chat/completions", json=CHAT).status_code == 200
            assert not server.wait_idle(timeout=0.2)  # the server still holds its side
        assert server.wait_idle(timeout=5)
        assert open_fds() <= before  # neither side of the connection is left in this process


def test_stop_does_not_hang_on_stalled_streams() -> None:
    server = FakeProviderServer().start()
    server.enqueue(*[Reply("x", fault=Stall(after=0)) for _ in range(3)])
    errors: list[BaseException] = []

    def read() -> None:
        try:
            with httpx2.stream(
                "POST", server.url + "/v1/chat/completions", json=CHAT, timeout=10.0
            ) as response:
                for _ in response.iter_bytes():
                    pass
        except httpx2.HTTPError as error:
            errors.append(error)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for reader in readers:
        reader.start()
    server.wait_for_requests(3)
    time.sleep(0.1)
    start = time.monotonic()
    server.stop()
    assert time.monotonic() - start < 1.5
    for reader in readers:
        reader.join(5)
    assert not any(reader.is_alive() for reader in readers)
    assert len(errors) == 3  # each stream was cut, none completed


def test_many_concurrent_streams_with_chunk_latency(fake_provider: FakeProviderServer) -> None:
    fake_provider.responder = lambda request: Reply("abcdef", text_chunks=6, chunk_delay=0.1, delay=0.1)
    results: list[str] = []

    def read(http: Any) -> None:
        response = http.post(fake_provider.url + "/v1/chat/completions", json=CHAT)
        chunks = [json.loads(e["data"]) for e in sse_events(response.text)[:-1]]
        results.append("".join(c["choices"][0]["delta"].get("content") or "" for c in chunks))

    with httpx2.Client(timeout=10.0) as http:
        readers = [threading.Thread(target=read, args=(http,)) for _ in range(25)]
        start = time.monotonic()
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join(15)
        elapsed = time.monotonic() - start
    assert results == ["abcdef"] * 25
    assert elapsed < 5.0  # one after the other this would take 25 x 0.7 s


def test_delay_is_counted_from_the_request_arrival(fake_provider: FakeProviderServer) -> None:
    def slow_responder(request: RecordedRequest) -> Reply:
        time.sleep(0.6)  # the server's own work (a busy server) is part of the delay, not added to it
        return Reply("on time", delay=0.8)

    fake_provider.responder = slow_responder
    start = time.monotonic()
    response = httpx2.post(fake_provider.url + "/v1/chat/completions", json=CHAT, timeout=10.0)
    elapsed = time.monotonic() - start
    assert "on time" in "".join(
        json.loads(e["data"])["choices"][0]["delta"].get("content") or ""
        for e in sse_events(response.text)[:-1]
    )
    assert 0.8 <= elapsed < 1.3  # 0.6 + 0.8 = 1.4 if the delay started after the responder


def test_reply_timings_show_the_servers_own_lateness(fake_provider: FakeProviderServer) -> None:
    def responder(request: RecordedRequest) -> Reply:
        if request.model == "busy":
            time.sleep(0.8)  # longer than delay + stream time: the reply cannot be on time
        return Reply("hi", delay=0.3, stream_time=0.2, text_chunks=4)

    fake_provider.responder = responder
    for model in ("idle", "busy"):
        body = {**CHAT, "model": model}
        httpx2.post(fake_provider.url + "/v1/chat/completions", json=body, timeout=10.0)
    # a reply's timing is recorded once its handler is done, which can be just after the client
    # has read the last bytes
    deadline = time.monotonic() + 5
    while len(fake_provider.reply_timings) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    idle, busy = fake_provider.reply_timings
    assert (idle.model, busy.model) == ("idle", "busy")
    assert idle.due - idle.arrived == pytest.approx(0.5)  # delay + stream time
    assert idle.finished >= idle.due - 0.01 and idle.late < 0.15
    assert busy.late == pytest.approx(0.8 - 0.5, abs=0.15)  # the responder's 0.8 s overran the 0.5 s


def timed_data_lines(server: FakeProviderServer) -> list[tuple[float, str]]:
    """Stream a chat completion; each SSE ``data:`` payload with its arrival time (seconds)."""
    arrivals: list[tuple[float, str]] = []
    start = time.monotonic()
    with httpx2.stream("POST", server.url + "/v1/chat/completions", json=CHAT, timeout=10.0) as response:
        for line in response.iter_lines():
            if line.startswith("data: "):
                arrivals.append((time.monotonic() - start, line[6:]))
    return arrivals


def test_stream_time_spreads_the_deltas_evenly(fake_provider: FakeProviderServer) -> None:
    fake_provider.enqueue(Reply("abcd", text_chunks=4, delay=0.1, stream_time=0.8))
    deltas = [
        (at, content)
        for at, data in timed_data_lines(fake_provider)
        if data.startswith("{") and (content := json.loads(data)["choices"][0]["delta"].get("content"))
    ]
    assert [text for _, text in deltas] == list("abcd")
    times = [at for at, _ in deltas]
    assert times[0] >= 0.1 + 0.2 - 0.05  # after the delay, then a quarter of stream_time
    assert times[-1] >= 0.9 - 0.05
    assert all(later - earlier >= 0.1 for earlier, later in itertools.pairwise(times))


def test_a_whole_reply_without_pacing_arrives_at_once(fake_provider: FakeProviderServer) -> None:
    fake_provider.enqueue(Reply("abcdefgh", text_chunks=8, delay=0.2))
    times = [at for at, _ in timed_data_lines(fake_provider)]
    assert len(times) >= 10  # role chunk, 8 deltas, finish chunk, [DONE]
    assert times[0] >= 0.2 - 0.05
    assert times[-1] - times[0] < 0.05


def test_cli_serves_echo_replies() -> None:
    command = [sys.executable, "-m", "massgen_core.testing.fake_provider", "--port", "0", "--latency", "0.01"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            url = process.stdout.readline().rsplit(" ", 1)[-1].strip()
            assert url.startswith("http://127.0.0.1:")
            assert process.stdout.readline().strip() == f"OpenAI    base_url={url}/v1"
            response = httpx2.post(url + "/v1/chat/completions", json=CHAT | {"stream": False}, timeout=5.0)
            assert response.json()["choices"][0]["message"]["content"] == "Echo: hi"
        finally:
            process.terminate()
            process.wait(5)
    assert process.returncode == 0


@given(TEXT, st.integers(min_value=1, max_value=8))
def test_split_text_reassembles(text: str, pieces: int) -> None:
    parts = split_text(text, pieces)
    assert "".join(parts) == text
    assert len(parts) <= pieces and all(parts)


@given(st.lists(TEXT.filter(bool), max_size=5), TEXT)
def test_chat_renderer_reassembles_text_and_arguments(chunks: list[str], argument: str) -> None:
    request = RecordedRequest(
        "POST", "/v1/chat/completions", body={"model": "m"}, wire_format=WireFormat.OPENAI_CHAT
    )
    renderer = OpenAIChatRenderer(Reply(chunks, tool_calls=[ToolCall("f", {"a": argument})]), request)
    payloads = [json.loads(event.data) for event in renderer.stream() if event.data != "[DONE]"]
    deltas = [p["choices"][0]["delta"] for p in payloads]
    assert "".join(d.get("content") or "" for d in deltas) == "".join(chunks)
    arguments = "".join(call["function"]["arguments"] for d in deltas for call in d.get("tool_calls", []))
    assert json.loads(arguments) == {"a": argument}


@pytest.mark.parametrize("fault", [Stall, Disconnect, StreamError])
def test_a_fault_position_must_be_a_count(fault: Any) -> None:
    with pytest.raises(ValueError, match="must be a count of deltas"):
        fault(None)  # e.g. Stall(None) meant Stall(seconds=None)
