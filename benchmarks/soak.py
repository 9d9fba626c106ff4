"""Soak: many coordinations back to back in one process, with faults, and no leaks.

``python benchmarks/soak.py [--runs 200] [--fault-rate 0.1] [--seed 18]`` runs ``--runs``
coordinations of 3 agents (``chatcompletion``, ``openai``, ``chatcompletion`` from
massgen-openai) through one :class:`massgen_core.Team` against the fake provider, where a
share of the model requests fails: a 429 (with ``Retry-After``), a 500, a 503, or a stream
dropped part-way. Every coordination must complete with a non-empty answer; the resident
memory (RSS) and the open file descriptors are reported at the start, after the warm-up
and at the end, and written to ``benchmarks/results/soak.json``. Exits non-zero when a
coordination failed or file descriptors grew after the warm-up.

``tests/test_soak.py`` runs a shorter soak with the same code.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from massgen_core import Team
from massgen_core.testing.fake_provider import (
    Disconnect,
    FakeProviderServer,
    HttpError,
    RecordedRequest,
    Reply,
    Scripted,
    ToolCall,
)
from massgen_core.testing.scripted import coordination_reply

RESULTS = Path(__file__).parent / "results" / "soak.json"
AGENTS = {
    "soak-0": ("chatcompletion", "Paris."),
    "soak-1": ("openai", "Paris, on the Seine."),
    "soak-2": ("chatcompletion", "Paris is the capital of France."),
}
FAULTS = ("429", "500", "503", "drop")


def rss_mb() -> float:
    """This process's resident memory, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def sample() -> dict[str, float]:
    gc.collect()
    return {"rss_mb": round(rss_mb(), 1), "open_fds": open_fds()}


class FaultyProvider:
    """Coordinating replies per model; ``rate`` of the requests fail in one of :data:`FAULTS`."""

    def __init__(self, rate: float, seed: int) -> None:
        self.rate = rate
        self.random = random.Random(seed)
        self.lock = threading.Lock()  # the server answers from several threads
        self.injected: Counter[str] = Counter()
        self.requests = 0

    def __call__(self, request: RecordedRequest) -> Scripted:
        model = request.model or ""
        spec = coordination_reply(request.last_user_text or "", request.tool_names, answer=AGENTS[model][1])
        calls = tuple(ToolCall(c["name"], c["arguments"]) for c in spec.get("tool_calls", ()))
        reply = Reply(spec.get("text", ""), tool_calls=calls)
        with self.lock:
            self.requests += 1
            fault = self.random.choice(FAULTS) if self.random.random() < self.rate else None
            if fault:
                self.injected[fault] += 1
        if fault == "429":
            return HttpError.rate_limited(retry_after=0.1)
        if fault in ("500", "503"):
            return HttpError(int(fault))
        if fault == "drop":
            return reply.evolve(fault=Disconnect(after=1))
        return reply


def team_config(server: FakeProviderServer) -> dict[str, Any]:
    agents = [
        {
            "id": model,
            "backend": {"type": t, "model": model, "base_url": server.openai_base_url, "api_key": "soak"},
        }
        for model, (t, _) in AGENTS.items()
    ]
    return {"agents": agents, "ui": {"display_type": "silent", "logging_enabled": False}}


async def soak(runs: int, *, fault_rate: float = 0.1, seed: int = 18, warmup: int = 10) -> dict[str, Any]:
    """Run the soak; returns the figures (``completed``, ``agent_failures``, samples...).

    An agent fails only when a request fails on every attempt (about 0.1% of the requests at
    a 10% fault rate); its coordination still completes with the other agents."""
    provider = FaultyProvider(fault_rate, seed)
    completed = 0
    agent_failures: list[str] = []  # "run N: agent: reason" (the run still completed)
    started = time.monotonic()
    with FakeProviderServer(responder=provider, models=list(AGENTS)) as server:
        at_start = sample()
        after_warmup = at_start
        async with Team(team_config(server)) as team:
            for i in range(runs):
                result = await team.run(f"Question {i}: what is the capital of France?")
                if result.final_answer.strip():
                    completed += 1
                agent_failures += [f"run {i}: {agent}: {why}" for agent, why in result.failures.items()]
                server.clear()  # the fake server's own request log is not massgen's memory
                if i + 1 == min(warmup, runs):
                    after_warmup = sample()
            at_end = sample()
        server.wait_idle()  # the server's side of the connections the team closed: not ours
        closed = sample()
    return {
        "runs": runs,
        "completed": completed,
        "agent_failures": agent_failures,
        "requests": provider.requests,
        "faults_injected": dict(provider.injected),
        "fault_rate": fault_rate,
        "seconds": round(time.monotonic() - started, 1),
        "start": at_start,
        "after_warmup": after_warmup,
        "end": at_end,
        "after_close": closed,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--fault-rate", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args(argv)
    figures = asyncio.run(soak(args.runs, fault_rate=args.fault_rate, seed=args.seed))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    ok = (
        figures["completed"] == args.runs
        and figures["end"]["open_fds"] <= figures["after_warmup"]["open_fds"]
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
