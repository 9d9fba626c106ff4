"""The framework's overhead per Claude stream: client CPU per streamed request, ours vs the bare SDK.

The fake provider runs in its own process (its CPU is not counted) and answers every request at
once with a reply of ``CHUNKS`` text deltas plus usage. This process then makes ``REQUESTS``
streamed requests (after a warm-up) each way, in interleaved rounds, and reports the median
round's CPU (``time.process_time``) per request:

1. **SDK, typed events**: ``client.messages.create(stream=True)``, iterating the SDK's event
   models: what code using the anthropic SDK directly does.
2. **SDK, raw events**: ``client.post("/v1/messages", cast_to=object, stream=True)``, the SDK's
   HTTP stack and SSE decoding alone: the floor, and what the ``claude`` backend sends through.
3. **claude backend**: ``backend.stream(request)`` (request building, event conversion, the
   assembled message, usage).
4. **claude backend + core loop**: the same under :func:`massgen_core.runtime.resilience.resilient_stream`
   (the core's retry policy and first-event/idle/total timeouts), as every agent runs it.

The framework's overhead per stream is (4) minus (1); its cost per chunk is the slope between a
short and a long reply. Run: ``python plugins/massgen-claude/benchmarks/bench_claude_stream.py``
(``BENCH_REQUESTS``, default 200). Not part of the nox bench session.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))
ROUNDS = 10
CHUNK_COUNTS = (20, 200)
MODEL = "claude-sonnet-4-6"
QUESTION = "What is the capital of France? Answer in some detail, please."


def serve() -> None:
    """Answer every request with a reply of N text chunks, N from the ``x-bench-chunks`` header."""
    from massgen_core.testing.fake_provider import FakeProviderServer, RecordedRequest, Reply, Usage

    def reply(request: RecordedRequest) -> Reply:
        chunks = int(request.headers.get("x-bench-chunks", "20"))
        return Reply(" word" * chunks, text_chunks=chunks, usage=Usage(120, chunks))

    with FakeProviderServer(responder=reply) as server:
        print(server.anthropic_base_url, flush=True)
        sys.stdin.read()  # until the parent closes our stdin


async def measure(
    makers: dict[str, Callable[[], Awaitable[Callable[[], Awaitable[int]]]]],
) -> dict[str, tuple[float, int]]:
    """CPU ms per request of each setup: ``ROUNDS`` interleaved rounds (so that load from other
    processes hits every setup alike), the median round of each."""
    ones = {name: await make() for name, make in makers.items()}
    for one in ones.values():
        for _ in range(5):
            await one()  # warm-up: imports, connection, caches
    rounds: dict[str, list[float]] = {name: [] for name in ones}
    events: dict[str, int] = {}
    per_round = max(1, REQUESTS // ROUNDS)
    for _ in range(ROUNDS):
        for name, one in ones.items():
            started = time.process_time()
            for _ in range(per_round):
                events[name] = await one()
            rounds[name].append((time.process_time() - started) / per_round * 1e3)
    return {name: (sorted(r)[len(r) // 2], events[name]) for name, r in rounds.items()}


def sdk_client(base_url: str, chunks: int) -> Any:
    import anthropic
    import httpx2
    from massgen_core.plugin import shared_ssl_context

    return anthropic.AsyncAnthropic(
        api_key="bench",
        base_url=base_url,
        max_retries=0,
        default_headers={"x-bench-chunks": str(chunks)},
        http_client=anthropic.DefaultAsyncHttpxClient(
            verify=shared_ssl_context(), timeout=httpx2.Timeout(60)
        ),
    )


def setups(base_url: str, chunks: int) -> dict[str, Callable[[], Awaitable[Callable[[], Awaitable[int]]]]]:
    messages = [{"role": "user", "content": [{"type": "text", "text": QUESTION}]}]

    async def sdk_typed() -> Callable[[], Awaitable[int]]:
        client = sdk_client(base_url, chunks)

        async def one() -> int:
            count = 0
            stream = await client.messages.create(
                model=MODEL, max_tokens=1024, messages=messages, stream=True
            )
            async for _ in stream:
                count += 1
            return count

        return one

    async def sdk_raw() -> Callable[[], Awaitable[int]]:
        import anthropic

        client = sdk_client(base_url, chunks)
        body = {"model": MODEL, "max_tokens": 1024, "messages": messages, "stream": True}

        async def one() -> int:
            count = 0
            stream = await client.post(
                "/v1/messages",
                body=body,
                cast_to=object,
                stream=True,
                stream_cls=anthropic.AsyncStream[object],
            )
            async for _ in stream:
                count += 1
            return count

        return one

    def backend() -> Any:
        from massgen_core.plugin import Timeouts
        from massgen_core.testing.backends import build_backend

        return build_backend(
            "claude",
            model=MODEL,
            base_url=base_url,
            api_key="bench",
            extra_headers={"x-bench-chunks": str(chunks)},
            timeouts=Timeouts(),
        )

    async def ours() -> Callable[[], Awaitable[int]]:
        from massgen_core.testing.backends import chat_request

        claude, request = backend(), chat_request(QUESTION)

        async def one() -> int:
            count = 0
            async for _ in claude.stream(request):
                count += 1
            return count

        return one

    async def ours_in_core_loop() -> Callable[[], Awaitable[int]]:
        from massgen_core.plugin import Timeouts
        from massgen_core.runtime.resilience import resilient_stream
        from massgen_core.testing.backends import chat_request

        claude, request = backend(), chat_request(QUESTION)

        async def one() -> int:
            count = 0
            async for _ in resilient_stream(claude, request, timeouts=Timeouts(), name="claude"):
                count += 1
            return count

        return one

    return {
        "SDK, typed events": sdk_typed,
        "SDK, raw events": sdk_raw,
        "claude backend": ours,
        "claude backend + core loop": ours_in_core_loop,
    }


def main() -> None:
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert server.stdout is not None and server.stdin is not None
    try:
        base_url = server.stdout.readline().strip()
        results: dict[str, dict[int, float]] = {}
        events: dict[str, dict[int, int]] = {}
        for chunks in CHUNK_COUNTS:
            for name, (ms, count) in asyncio.run(measure(setups(base_url, chunks))).items():
                results.setdefault(name, {})[chunks] = ms
                events.setdefault(name, {})[chunks] = count
    finally:
        server.stdin.close()
        server.wait(timeout=10)
    short, long = CHUNK_COUNTS
    print(f"client CPU per streamed request ({REQUESTS} requests each, fake provider in its own process)")
    print(f"{'setup':<28} " + " ".join(f"{f'{c} chunks':>12}" for c in CHUNK_COUNTS) + f" {'per chunk':>11}")
    for name, by_chunks in results.items():
        slope = (by_chunks[long] - by_chunks[short]) / (long - short) * 1e3
        cells = " ".join(f"{by_chunks[c]:>9.2f} ms" for c in CHUNK_COUNTS)
        print(f"{name:<28} {cells} {slope:>8.1f} µs   (events: {events[name]})")
    base = results["SDK, typed events"]
    full = results["claude backend + core loop"]
    for c in CHUNK_COUNTS:
        print(
            f"framework overhead vs the bare SDK, {c} chunks: {full[c] - base[c]:+.2f} ms per stream "
            f"({(full[c] / base[c] - 1) * 100:+.0f} %); vs the SDK's raw floor: "
            f"{full[c] - results['SDK, raw events'][c]:+.2f} ms"
        )


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        serve()
    else:
        main()
