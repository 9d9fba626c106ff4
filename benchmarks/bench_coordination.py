"""Coordination benchmark: parallelism, framework CPU per streamed chunk, requests and prompt bytes.

1. **Wall time vs the providers' critical path** (target: within 10 %). N agents coordinate
   against providers that take a fixed ``LATENCY`` per reply: the fake provider server
   (in its own process) through the real SDKs, alternating the ``openai`` Responses and
   ``chatcompletion`` backends; and, to isolate the framework, in-process scripted backends.
   Each agent answers, then votes for the longest answer; the winner presents. The critical
   path is computed from the run's own events: a turn starts once the agent's previous turn and
   every answer it sees are done, and costs ``LATENCY`` per request in it; the presentation
   starts when every agent is done. Coordination time runs from ``RunStarted`` (backends built)
   to ``RunFinished`` (the caller has the answer); ``setup_s`` (building the backends) and
   ``teardown_s`` (closing their clients after the answer) are reported apart. ``peak_rss_mb`` is
   the bench process's peak memory after the row's runs (the fake provider is another process;
   rows run from the fewest agents up, so it is an upper bound for the row's runs). Also
   reported: provider requests, and the bytes of the request bodies (prompts) the coordination
   sent. The fake provider times each reply from the request's arrival (its own load adds nothing) and
   delivers it in two ways (``DELIVERIES``): **at once**, the whole reply after ``LATENCY`` in
   one write, so every streamed event of every agent of a round lands together: the worst
   case, where all of the client's CPU for the round sits on the critical path; and
   **streamed**, the first event after a fifth of ``LATENCY`` and the deltas spread evenly over
   the rest, as a model generating: what real providers do. Each setup is
   measured ``BENCH_COORD_RUNS`` (5) times after a warm-up; the median run is reported, with the
   range of the runs. The fake provider shares the 2 cores, so it is late itself: from when each
   reply really finished, the bench recomputes the critical path the provider set
   (``provider_path_s``) and splits the excess into ``provider_late_pct`` (its lateness) and
   ``ours_pct`` (the rest: client, SDKs, framework). Also reported: the CPU one backend alone spends per streamed request (the
   SDK's HTTP stack included): the client's floor. Delivered at once, every request's floor
   sits on the critical path (``sdk_floor_pct``: requests x floor / critical path), whatever
   the framework does. Delivered streamed, the replies' processing overlaps the generation, but
   each round's requests still leave from one core at once: ``sdk_send_floor_pct`` is the time
   the SDKs alone (no coordination; new connections for the first round, as in a run) take to
   put both rounds' requests on the wire, as a share of the critical path.
2. **Framework CPU per streamed chunk** (target: under 20 µs). The same coordination on the
   ``scripted`` backend (no network, one word per chunk); the marginal CPU per chunk (slope
   between short and long replies) of: the backend alone, the core agent loop, the
   coordination, and the coordination with what the CLI adds (run log + live display). The
   framework's share is the last minus the backend's. The live display's state is updated
   per chunk but drawn by time (at most 4 frames a second, ~5 % of a core at most): the frame
   cost is reported apart.

Run: ``python benchmarks/bench_coordination.py``. Prints a table, writes
``benchmarks/results/coordination.json``. ``BENCH_LATENCY`` (seconds, default 0.5) and
``BENCH_AGENTS`` (default ``3,20``) change the setup.
"""

from __future__ import annotations

import asyncio
import gc
import io
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from massgen_core.testing.fake_provider import Reply

LATENCY = float(os.environ.get("BENCH_LATENCY", "0.5"))
AGENT_COUNTS = [int(n) for n in os.environ.get("BENCH_AGENTS", "3,20").split(",")]
RUNS = int(os.environ.get("BENCH_COORD_RUNS", "5"))
WORDS = 400  # streamed words per scripted reply in the CPU benchmark
RESULTS = Path(__file__).parent / "results"


def answer_for(model: str) -> str:
    index = int(model.rsplit("-", 1)[1])
    return f"Answer from {model}: Paris is the capital of France." + " More detail." * index


# -- the fake provider, in its own process ------------------------------------------------------
#: How the fake provider spends its ``LATENCY`` per reply (``Reply`` timing fields).
DELIVERIES: dict[str, Callable[[Reply, float], Reply]] = {
    # the whole reply after LATENCY: every streamed event lands at once (the client's worst case)
    "at once": lambda reply, latency: reply.evolve(delay=latency),
    # the first event after a fifth of it, the deltas evenly over the rest (a model generating)
    "streamed": lambda reply, latency: reply.evolve(delay=latency / 5, stream_time=latency * 4 / 5),
}


def serve(latency: float, delivery: str) -> None:
    """Serve coordinating replies (each model answers, then votes for the longest answer)."""
    from massgen_core.testing.fake_provider import FakeProviderServer, RecordedRequest, Reply, ToolCall
    from massgen_core.testing.scripted import coordination_reply

    def reply(request: RecordedRequest) -> Reply:
        model = request.model or "bench-0"
        spec = coordination_reply(request.last_user_text or "", request.tool_names, answer=answer_for(model))
        calls = [ToolCall(c["name"], c["arguments"]) for c in spec.get("tool_calls", ())]
        return DELIVERIES[delivery](Reply(spec["text"], tool_calls=tuple(calls), text_chunks=8), latency)

    with FakeProviderServer(responder=reply) as server:
        print(server.url, flush=True)
        sys.stdin.read()  # until the parent closes our stdin
        stats = server.model_calls()
        timings = [[t.model, t.arrived, t.finished] for t in server.reply_timings]
        print(
            json.dumps(
                {
                    "requests": len(stats),
                    "prompt_bytes": sum(len(r.raw_body) for r in stats),
                    "timings": timings,
                }
            ),
            flush=True,
        )


# -- critical path from the events ---------------------------------------------------------------
def critical_path(
    events: list[Any], latency: float, durations: dict[str, list[float]] | None = None
) -> float:
    """The providers' critical path: see the module docstring. With ``durations`` (agent id -> how
    long the provider really took for each of its requests, in order) the path the provider
    really set, its own lateness included."""
    queues = {agent: list(times) for agent, times in (durations or {}).items()}

    def cost(agent_id: str, requests: int) -> float:
        if durations is None:
            return latency * requests
        queue = queues[agent_id]
        taken, queue[:requests] = queue[:requests], []
        return sum(taken)

    from massgen_core.plugin.stream import Usage
    from massgen_core.runtime.coordination import (
        AgentFailed,
        AgentOutput,
        AnswerSubmitted,
        PresentationStarted,
        TurnStarted,
        VoteCast,
    )

    ready: dict[str, float] = {}  # agent -> when its last turn ended (critical-path time)
    answer_done: dict[str, float] = {}  # agent -> when its latest answer was produced
    start: dict[str, float] = {}
    requests: dict[str, int] = {}
    presenter, presentation_requests = None, 0
    for event in events:
        if isinstance(event, TurnStarted):
            start[event.agent_id] = max([ready.get(event.agent_id, 0.0), *answer_done.values()])
            requests[event.agent_id] = 0
        elif isinstance(event, AgentOutput) and isinstance(event.event, Usage):
            if event.phase == "presentation":
                presentation_requests += 1
            else:
                requests[event.agent_id] += 1
        elif isinstance(event, AnswerSubmitted | VoteCast | AgentFailed):
            end = start[event.agent_id] + cost(event.agent_id, requests[event.agent_id])
            ready[event.agent_id] = end
            if isinstance(event, AnswerSubmitted):
                answer_done[event.agent_id] = end
        elif isinstance(event, PresentationStarted):
            presenter = event.agent_id
    begin = max([*ready.values(), *answer_done.values()], default=0.0)
    return begin + cost(presenter, presentation_requests) if presenter else begin


async def timed(events: AsyncIterator[Any]) -> tuple[list[Any], float, float, float]:
    """The events and three times: setup (until ``RunStarted``: building the backends), the
    coordination (``RunStarted`` to ``RunFinished``, when the caller has the answer) and teardown
    (``RunFinished`` to the end: closing the backends' clients and connections)."""
    started = time.perf_counter()
    out, began, finished = [], started, None
    async for event in events:
        if event.kind == "run_started":
            began = time.perf_counter()
        elif event.kind == "run_finished":
            finished = time.perf_counter()
        out.append(event)
    ended = time.perf_counter()
    finished = finished or ended
    return out, began - started, finished - began, ended - finished


def summarize(
    n: int,
    transport: str,
    events: list[Any],
    setup: float,
    wall: float,
    teardown: float,
    durations: dict[str, list[float]] | None = None,
) -> dict[str, Any]:
    """A run's row. With the provider's real ``durations`` per request, the excess over the
    nominal critical path splits in two: ``provider_late_pct``, what the fake provider's own
    lateness (its load on the shared cores) added to the path, and ``ours_pct``, the rest."""
    path = critical_path(events, LATENCY)
    result = events[-1].result
    row = {
        "agents": n,
        "transport": transport,
        "setup_s": round(setup, 3),
        "coordination_s": round(wall, 3),
        "teardown_s": round(teardown, 3),
        "critical_path_s": round(path, 3),
        "overhead_pct": round(100 * (wall / path - 1), 1),
        "requests": result.total_usage.requests,
        "winner": result.winner,
    }
    if durations is not None:
        provider_path = critical_path(events, LATENCY, durations)
        row["provider_path_s"] = round(provider_path, 3)
        row["provider_late_pct"] = round(100 * (provider_path / path - 1), 1)
        row["ours_pct"] = round(100 * (wall / provider_path - 1), 1)
    return row


def scripted_parallel_run(n: int) -> dict[str, Any]:
    """The same coordination on in-process scripted backends that wait LATENCY per reply (no SDK)."""
    from massgen_core.runtime.coordination import CoordinationSettings, Orchestrator
    from massgen_core.runtime.usage import UsageLedger
    from massgen_core.testing.scripted import coordination_reply, scripted_agent

    def responder(index: int) -> Any:
        answer = answer_for(f"bench-{index}")
        return lambda r: {
            **coordination_reply(r.messages[-1].text, {t.name for t in r.tools}, answer=answer),
            "delay": LATENCY,
        }

    ledger = UsageLedger()
    agents = [scripted_agent(f"agent_{i}", responder=responder(i), ledger=ledger) for i in range(n)]
    events, setup, wall, teardown = asyncio.run(
        timed(Orchestrator(agents, CoordinationSettings()).run("What is the capital of France?"))
    )
    return summarize(n, "scripted, in process", events, setup, wall, teardown)


@contextmanager
def fake_provider(latency: float, delivery: str = "at once") -> Iterator[tuple[str, dict[str, Any]]]:
    """The fake provider in its own process: yields its URL and a dict that, once the block is
    left, holds what it served (``requests``, ``prompt_bytes``)."""
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(latency), delivery],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None and server.stdin is not None
    stats: dict[str, Any] = {}
    try:
        yield server.stdout.readline().strip(), stats
    finally:
        server.stdin.close()
        stats.update(json.loads(server.stdout.readline() or "{}"))
        server.wait(timeout=10)


def fake_provider_run(n: int, delivery: str) -> dict[str, Any]:
    from massgen_core.runtime.api import coordinate

    runs: list[tuple[list[Any], float, float, float]] = []

    def config(url: str, run: int) -> dict[str, Any]:
        agents = [
            {
                "id": f"agent_{i}",
                "backend": {
                    "type": "openai" if i % 2 == 0 else "chatcompletion",
                    "model": f"bench-r{run}-{i}",  # a run's requests are told apart by their models
                    "base_url": f"{url}/v1",
                    "api_key": "bench",
                },
            }
            for i in range(n)
        ]
        return {"agents": agents, "ui": {"display_type": "silent", "logging_enabled": False}}

    with fake_provider(LATENCY, delivery) as (url, stats):
        asyncio.run(timed(coordinate(config(url, 0), "What is the capital of France?")))  # warm-up
        for run in range(1, RUNS + 1):
            runs.append(asyncio.run(timed(coordinate(config(url, run), "What is the capital of France?"))))
    rows = []
    for run, (events, setup, wall, teardown) in enumerate(runs, start=1):
        durations: dict[str, list[float]] = {}
        for model, arrived, finished in stats["timings"]:
            prefix, _, index = model.rpartition("-")
            if prefix == f"bench-r{run}":
                durations.setdefault(f"agent_{index}", []).append(finished - arrived)
        rows.append(
            summarize(n, f"fake provider, openai SDKs, {delivery}", events, setup, wall, teardown, durations)
        )
    row = sorted(rows, key=lambda r: r["overhead_pct"])[len(rows) // 2]  # the median run
    row["overhead_range"] = f"{min(r['overhead_pct'] for r in rows)}..{max(r['overhead_pct'] for r in rows)}"
    served = RUNS + 1  # the warm-up too
    row["prompt_kbytes"] = round(stats["prompt_bytes"] / served / 1024, 1)
    # the bench process's peak so far (the fake provider runs apart): an upper bound for this run's
    row["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    assert stats["requests"] == served * row["requests"]
    return row


def backend_request_cpu(backend_type: str, requests: int = 50) -> float:
    """Milliseconds of this process's CPU per streamed request of one backend alone (SDK included,
    no coordination), on the fake provider without latency: the client's floor per request, and
    a gauge of how fast this machine is right now."""
    from massgen_core.config import load_config
    from massgen_core.plugin.backend import ChatRequest
    from massgen_core.plugin.messages import Message
    from massgen_core.runtime.assemble import build_agents

    request = ChatRequest(messages=(Message.user(f"{answer_for('bench-3')} What is the capital of France?"),))

    async def measure(url: str) -> float:
        backend = {"type": backend_type, "model": "bench-3", "base_url": f"{url}/v1", "api_key": "bench"}
        (agent,) = build_agents(load_config({"agent": {"backend": backend}}))

        async def one() -> None:
            async for _ in agent.backend.stream(request):
                pass

        for _ in range(3):
            await one()  # warm-up: imports, connection
        started = time.process_time()
        for _ in range(requests):
            await one()
        used = time.process_time() - started
        await agent.aclose()
        return used

    with fake_provider(0.0) as (url, _):
        used = asyncio.run(measure(url))
    return round(used / requests * 1e3, 2)


def send_floor(n: int) -> float:
    """Seconds the SDKs alone take to put a run's two request bursts on the wire from one core,
    as a run of ``n`` agents does (alternating backend types, no coordination): ``n`` backends
    just built send the first round's short prompt at once (new connections, as in a run), then
    the voting round's prompt showing every answer. Each burst is timed from its start to the
    last arrival at the fake provider. Delivered streamed, this is the part of the client's
    floor that lies on the critical path (the replies' processing overlaps the generation)."""
    from massgen_core.config import load_config
    from massgen_core.plugin.backend import ChatRequest
    from massgen_core.plugin.messages import Message
    from massgen_core.runtime.assemble import build_agents

    shown = "\n".join(f"<agent{i + 1}>\n{answer_for(f'bench-{i}')}\n<end of agent{i + 1}>" for i in range(n))
    prompts = ["What is the capital of France?", f"{shown}\nWhat is the capital of France?"]

    def team(url: str, name: str) -> list[Any]:
        return [
            build_agents(
                load_config(
                    {
                        "agent": {
                            "backend": {
                                "type": "openai" if i % 2 == 0 else "chatcompletion",
                                "model": f"{name}-{i}",
                                "base_url": f"{url}/v1",
                                "api_key": "x",
                            }
                        }
                    }
                )
            )[0]
            for i in range(n)
        ]

    async def burst(agents: list[Any], text: str) -> float:
        async def one(agent: Any) -> None:
            async for _ in agent.backend.stream(ChatRequest(messages=(Message.user(text),))):
                pass

        started = time.monotonic()
        await asyncio.gather(*(one(a) for a in agents))
        return started

    async def measure(url: str) -> list[float]:
        warm_up = team(url, "warm-up")  # the SDKs' lazy imports, not counted
        await burst(warm_up, prompts[0])
        agents = team(url, "floor")
        starts = [await burst(agents, text) for text in prompts]
        for agent in [*warm_up, *agents]:
            await agent.aclose()
        return starts

    with fake_provider(LATENCY, "streamed") as (url, stats):
        starts = asyncio.run(measure(url))
    arrivals = sorted(arrived for model, arrived, _ in stats["timings"] if model.startswith("floor-"))
    return sum(max(arrivals[k * n : (k + 1) * n]) - started for k, started in enumerate(starts))


# -- CPU per streamed chunk ----------------------------------------------------------------------
STAGES = ("backend alone", "core agent loop", "coordination", "coordination + run log + live display")


def cpu_run(n: int, words: int, stage: str) -> tuple[float, int]:
    """CPU seconds and streamed chunks of one scripted coordination of ``n`` agents, up to ``stage``."""
    from massgen_core.plugin.backend import ChatRequest
    from massgen_core.plugin.stream import TextDelta
    from massgen_core.runtime.coordination import AgentOutput, CoordinationSettings, Orchestrator
    from massgen_core.runtime.usage import UsageLedger
    from massgen_core.testing.scripted import coordination_reply, scripted_agent

    filler = " ".join(["word"] * words)

    def responder(index: int) -> Any:
        answer = answer_for(f"bench-{index}")

        def reply(request: ChatRequest) -> Any:
            spec = coordination_reply(
                request.messages[-1].text, {t.name for t in request.tools}, answer=answer
            )
            return {**spec, "text": f"{filler} {spec['text']}"}

        return reply

    ledger = UsageLedger()
    agents = [scripted_agent(f"a{i}", responder=responder(i), ledger=ledger, chunk_words=1) for i in range(n)]
    sinks: list[Any] = []
    if stage == STAGES[3]:
        from rich.console import Console

        from massgen_core.display.rich_display import RichDisplay
        from massgen_core.records.runlog import RunLog

        log = RunLog(Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-coordination-{os.getpid()}")
        console = Console(file=io.StringIO(), width=160, height=50, force_terminal=True)
        sinks = [log.write, RichDisplay(console, refresh_interval=3600).handle]  # frames: see render_cost

    async def coordination() -> int:
        chunks = 0
        async for event in Orchestrator(agents, CoordinationSettings()).run("What is the capital of France?"):
            for sink in sinks:
                sink(event)
            if isinstance(event, AgentOutput) and isinstance(event.event, TextDelta):
                chunks += 1
        return chunks

    # the earlier stages replay the requests the coordination made, without coordinating
    replay = [(a, list(a.backend.requests)) for a in agents]  # type: ignore[attr-defined]

    async def agent_loop() -> int:
        chunks = 0
        for agent, requests in replay:
            for request in requests:
                async for event in agent.run(request.messages, external_tools=request.tools, max_steps=1):
                    chunks += isinstance(event, TextDelta)
        return chunks

    async def backend_alone() -> int:
        chunks = 0
        for agent, requests in replay:
            for request in requests:
                async for event in agent.backend.stream(request):
                    chunks += isinstance(event, TextDelta)
        return chunks

    if stage in STAGES[:2]:
        asyncio.run(coordination())  # records the requests to replay
        replay = [(a, list(a.backend.requests)) for a in agents]  # type: ignore[attr-defined]
    work = {STAGES[0]: backend_alone, STAGES[1]: agent_loop}.get(stage, coordination)
    gc.collect()
    cpu = time.process_time()
    chunks = asyncio.run(work())
    return time.process_time() - cpu, chunks


def cpu_per_chunk(n: int) -> dict[str, Any]:
    """Marginal CPU per chunk of each stage: the slope between a short and a long reply length."""
    row: dict[str, Any] = {"agents": n}
    for stage in STAGES:
        slopes = []
        for _ in range(3):
            short_cpu, short_chunks = cpu_run(n, 100, stage)
            long_cpu, long_chunks = cpu_run(n, 1000, stage)
            slopes.append((long_cpu - short_cpu) / (long_chunks - short_chunks))
        row[f"{stage} µs"] = round(1e6 * min(slopes), 2)  # the least disturbed of the runs
        row.setdefault("chunks", long_chunks)
    row["framework µs/chunk"] = round(row[f"{STAGES[3]} µs"] - row[f"{STAGES[0]} µs"], 2)
    return row


def render_cost(n: int) -> float:
    """Milliseconds to draw one frame of the live display with ``n`` busy agents."""
    from rich.console import Console

    from massgen_core.display.rich_display import RichDisplay
    from massgen_core.plugin.stream import TextDelta
    from massgen_core.runtime.coordination.events import AgentInfo, AgentOutput, RunStarted

    console = Console(file=io.StringIO(), width=160, height=50, force_terminal=True)
    display = RichDisplay(console, refresh_interval=3600)
    agents = tuple(AgentInfo(agent_id=f"a{i}", label=f"agent{i + 1}", backend="openai") for i in range(n))
    display.handle(RunStarted(question="What is the capital of France?", agents=agents, mode="coordination"))
    for info in agents:
        display.handle(AgentOutput(agent_id=info.agent_id, event=TextDelta("Paris is the capital. " * 200)))
    started = time.perf_counter()
    for _ in range(20):
        display._live.update(display.render(), refresh=True)  # type: ignore[union-attr]
    display.close()
    return round((time.perf_counter() - started) / 20 * 1e3, 2)


def table(rows: list[dict[str, Any]]) -> str:
    keys = list(dict.fromkeys(k for r in rows for k in r))
    widths = [max(len(k), *(len(str(r.get(k, ""))) for r in rows)) for k in keys]
    lines = ["  ".join(k.ljust(w) for k, w in zip(keys, widths, strict=True))]
    lines += ["  ".join(str(r.get(k, "")).ljust(w) for k, w in zip(keys, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def main() -> None:
    cpu = [cpu_per_chunk(n) for n in AGENT_COUNTS]  # first: before the SDKs are imported
    frames = {n: render_cost(n) for n in AGENT_COUNTS}
    print("Framework CPU per streamed chunk (scripted backend; marginal cost, best of 3)")
    print(table(cpu))
    print("live display: " + ", ".join(f"{ms} ms per frame with {n} agents" for n, ms in frames.items()))
    print("  (drawn at most 4 times a second and within ~5 % of a core, whatever the chunk rate)\n")

    from massgen_core.host.registry import get_registry

    backends = get_registry().backends
    parallel = [scripted_parallel_run(n) for n in AGENT_COUNTS]
    per_request: dict[str, float] = {}
    if "openai" in backends and "chatcompletion" in backends:
        parallel += [fake_provider_run(n, delivery) for delivery in DELIVERIES for n in AGENT_COUNTS]
        per_request = {t: backend_request_cpu(t) for t in ("openai", "chatcompletion")}
        floors = {n: send_floor(n) for n in AGENT_COUNTS}
        for row in parallel:
            if row["transport"].endswith("streamed"):  # the SDKs' sending, twice per run, on the path
                row["sdk_send_floor_pct"] = round(100 * floors[row["agents"]] / row["critical_path_s"], 1)
    else:
        print("massgen-openai is not installed: the fake-provider runs are skipped")
    print(f"Coordination wall time vs the providers' critical path ({LATENCY:g} s per reply)")
    print(table(parallel))
    if per_request:
        floor_ms = sum(per_request.values()) / len(per_request)
        print(
            "one backend alone, per streamed request (the client's CPU floor, SDK included): "
            + ", ".join(f"{t} {ms} ms" for t, ms in per_request.items())
        )
        for row in parallel:
            if row["transport"].endswith("at once"):  # every request's floor lies on the critical path
                row["sdk_floor_pct"] = round(
                    100 * row["requests"] * floor_ms / 1e3 / row["critical_path_s"], 1
                )
                print(
                    f"  at once, {row['agents']} agents: {row['requests']} requests x {floor_ms:.2f} ms"
                    f" = {row['sdk_floor_pct']} % of the critical path before any coordination"
                )
            if "sdk_send_floor_pct" in row:
                print(
                    f"  streamed, {row['agents']} agents: the SDKs alone put both rounds' requests on the"
                    f" wire in {row['sdk_send_floor_pct']} % of the critical path (send_floor)"
                )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "coordination.json"
    out.write_text(
        json.dumps(
            {"cpu_per_chunk": cpu, "frame_ms": frames, "parallel": parallel, "request_cpu_ms": per_request},
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        serve(float(sys.argv[2]), sys.argv[3])
    else:
        main()
