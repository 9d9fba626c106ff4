"""The framework's overhead per Gemini stream: client CPU per streamed request, ours vs the bare SDK.

The fake provider runs in its own process (its CPU is not counted) and answers every request at
once with a reply of N text chunks (plus a thought and usage, as Gemini 2.5 streams them). This
process then makes ``BENCH_REQUESTS`` streamed requests (after a warm-up) each way, in
interleaved rounds, and reports the CPU (``time.process_time``) per request of the quietest round:

1. **bare SDK**: ``client.aio.models.generate_content_stream(...)`` on the same httpx2 client,
   iterating the SDK's ``GenerateContentResponse`` chunks: what code using google-genai does.
2. **gemini backend**: ``backend.stream(request)`` (request building, chunk conversion, the
   assembled message with the parts kept for the next turn, usage).
3. **gemini backend + core loop**: the same under :func:`massgen_core.runtime.resilience.resilient_stream`
   (the core's retry policy and first-event/idle/total timeouts), as every agent runs it.

The framework's overhead per stream is (3) minus (1); its cost per chunk is the slope between a
short and a long reply. Run: ``python plugins/massgen-gemini/benchmarks/bench_gemini_stream.py``
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
ROUNDS = 5
CHUNK_COUNTS = (20, 200)
MODEL = "gemini-2.5-flash"
QUESTION = "What is the capital of France? Answer in some detail, please."


def serve() -> None:
    """Answer every request with a reply of N text chunks, N from the ``x-bench-chunks`` header."""
    from massgen_core.testing.fake_provider import (
        FakeProviderServer,
        Reasoning,
        RecordedRequest,
        Reply,
        Usage,
    )

    def reply(request: RecordedRequest) -> Reply:
        chunks = int(request.headers.get("x-bench-chunks", "20"))
        return Reply(
            " word" * chunks,
            text_chunks=chunks,
            reasoning=Reasoning("Thinking it over.", chunks=1),
            usage=Usage(120, chunks + 4, reasoning_tokens=4),
        )

    with FakeProviderServer(responder=reply) as server:
        print(server.gemini_base_url, flush=True)
        sys.stdin.read()  # until the parent closes our stdin


async def measure(
    makers: dict[str, Callable[[], Awaitable[Callable[[], Awaitable[int]]]]],
) -> dict[str, tuple[float, int]]:
    """CPU ms per request of each setup: ``ROUNDS`` interleaved rounds, the quietest round kept
    (the machine is shared; interleaving and the minimum keep other load out of the figures)."""
    ones = {name: await make() for name, make in makers.items()}
    events: dict[str, int] = {}
    for one in ones.values():
        for _ in range(5):
            await one()  # warm-up: imports, connection, caches
    best: dict[str, float] = {}
    per_round = max(1, REQUESTS // ROUNDS)
    for _ in range(ROUNDS):
        for name, one in ones.items():
            started = time.process_time()
            for _ in range(per_round):
                events[name] = await one()
            ms = (time.process_time() - started) / per_round * 1e3
            best[name] = min(ms, best.get(name, ms))
    return {name: (best[name], events[name]) for name in ones}


def setups(base_url: str, chunks: int) -> dict[str, Callable[[], Awaitable[Callable[[], Awaitable[int]]]]]:
    headers = {"x-bench-chunks": str(chunks)}

    async def bare_sdk() -> Callable[[], Awaitable[int]]:
        from google import genai
        from google.genai import types
        from massgen_core.plugin import Timeouts

        from massgen_gemini.client import gemini_client

        client: genai.Client
        client, _http = gemini_client(
            api_key="bench", base_url=base_url, api_version="v1beta", timeouts=Timeouts(), headers=headers
        )
        config = types.GenerateContentConfig(
            thinking_config=types.ThinkingConfig(include_thoughts=True),
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        )
        contents = [types.Content(role="user", parts=[types.Part(text=QUESTION)])]

        async def one() -> int:
            count = 0
            stream = await client.aio.models.generate_content_stream(
                model=MODEL, contents=contents, config=config
            )
            async for _ in stream:
                count += 1
            return count

        return one

    def backend() -> Any:
        from massgen_core.plugin import Timeouts
        from massgen_core.testing.backends import build_backend

        return build_backend(
            "gemini",
            model=MODEL,
            base_url=base_url,
            api_key="bench",
            extra_headers=headers,
            timeouts=Timeouts(),
        )

    async def ours() -> Callable[[], Awaitable[int]]:
        from massgen_core.testing.backends import chat_request

        gemini, request = backend(), chat_request(QUESTION)

        async def one() -> int:
            count = 0
            async for _ in gemini.stream(request):
                count += 1
            return count

        return one

    async def ours_in_core_loop() -> Callable[[], Awaitable[int]]:
        from massgen_core.plugin import Timeouts
        from massgen_core.runtime.resilience import resilient_stream
        from massgen_core.testing.backends import chat_request

        gemini, request = backend(), chat_request(QUESTION)

        async def one() -> int:
            count = 0
            async for _ in resilient_stream(gemini, request, timeouts=Timeouts(), name="gemini"):
                count += 1
            return count

        return one

    return {
        "bare SDK": bare_sdk,
        "gemini backend": ours,
        "gemini backend + core loop": ours_in_core_loop,
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
    print(
        f"client CPU per streamed request ({REQUESTS} requests each in {ROUNDS} interleaved rounds, the "
        "quietest kept; fake provider in its own process)"
    )
    print(f"{'setup':<28} " + " ".join(f"{f'{c} chunks':>12}" for c in CHUNK_COUNTS) + f" {'per chunk':>11}")
    for name, by_chunks in results.items():
        slope = (by_chunks[long] - by_chunks[short]) / (long - short) * 1e3
        cells = " ".join(f"{by_chunks[c]:>9.2f} ms" for c in CHUNK_COUNTS)
        print(f"{name:<28} {cells} {slope:>8.1f} µs   (events: {events[name]})")
    base = results["bare SDK"]
    full = results["gemini backend + core loop"]
    for c in CHUNK_COUNTS:
        print(
            f"framework overhead vs the bare SDK, {c} chunks: {full[c] - base[c]:+.2f} ms per stream "
            f"({(full[c] / base[c] - 1) * 100:+.0f} %)"
        )


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        serve()
    else:
        main()
