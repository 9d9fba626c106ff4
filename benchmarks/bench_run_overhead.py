"""What one run costs before its first request and after its last reply (issue 16).

A chatcompletion team (1 and 3 agents) against the fake provider with no latency, each run the
installed ``massgen`` console script in a fresh process, as users run it:

* **startup**: launch to the first request reaching the provider;
* **shutdown**: the last reply sent to the process's exit (the answer printed, the session and
  logs written, the backends closed, the interpreter gone);
* **own**: startup + shutdown - a bare ``python -c "import openai"`` (what the SDK costs anyway).
  Goal: at most 0.30 s.

``normal exit`` runs the same command through ``sys.exit(main())``, i.e. with the interpreter's
full teardown, to show what :func:`massgen_core.cli.console_main`'s exit saves. Prints a table
and writes benchmarks/results/run_overhead.json.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from massgen_core.testing.fake_provider import FakeProviderServer, RecordedRequest, Reply, ToolCall
from massgen_core.testing.scripted import coordination_reply

MASSGEN = str(Path(sys.executable).with_name("massgen"))
NORMAL_EXIT = [sys.executable, "-c", "import sys; from massgen_core.cli import main; sys.exit(main())"]
RUNS = int(os.environ.get("BENCH_RUNS", "7"))
GOAL_S = 0.30
RESULTS = Path(__file__).parent / "results" / "run_overhead.json"


class Clock:
    """When requests arrived and replies were made (this process's monotonic clock, which is
    the machine's: the same for the child process)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.first: float | None = None
        self.last: float = 0.0

    def responder(self, request: RecordedRequest) -> Reply:
        now = time.monotonic()
        with self.lock:
            self.first = now if self.first is None else self.first
        spec = coordination_reply(
            request.last_user_text or "", request.tool_names, answer=f"{request.model} says Paris."
        )
        calls = tuple(ToolCall(c["name"], c["arguments"]) for c in spec.get("tool_calls", ()))
        reply = Reply(spec.get("text", ""), tool_calls=calls)
        with self.lock:
            self.last = time.monotonic()
        return reply


def config(url: str, agents: int, folder: Path) -> Path:
    path = folder / f"team{agents}.json"
    team = [
        {
            "id": f"a{i}",
            "backend": {"type": "chatcompletion", "model": f"m-{i}", "base_url": url, "api_key": "k"},
        }
        for i in range(agents)
    ]
    path.write_text(json.dumps({"agents": team, "ui": {"display_type": "silent"}}))
    return path


def one_run(command: list[str], server: FakeProviderServer, clock: Clock, cwd: Path) -> tuple[float, float]:
    clock.first, clock.last = None, 0.0
    start = time.monotonic()
    proc = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    end = time.monotonic()
    if proc.returncode != 0 or clock.first is None:
        raise SystemExit(f"run failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return clock.first - start, end - clock.last


def sdk_import() -> float:
    walls = []
    for _ in range(RUNS):
        start = time.monotonic()
        subprocess.run([sys.executable, "-c", "import openai"], check=True)
        walls.append(time.monotonic() - start)
    return statistics.median(walls)


def main() -> None:
    clock = Clock()
    rows: list[dict[str, Any]] = []
    models = [f"m-{i}" for i in range(3)]
    with (
        FakeProviderServer(responder=clock.responder, models=models) as server,
        tempfile.TemporaryDirectory() as tmp,
    ):
        folder = Path(tmp)
        floor = sdk_import()
        for agents in (1, 3):
            path = config(server.openai_base_url, agents, folder)
            args = ["--config", str(path), "--no-display", "What is the capital of France?"]
            for exit_kind, prefix in (("fast exit", [MASSGEN]), ("normal exit", NORMAL_EXIT)):
                command = [*prefix, *args]
                one_run(command, server, clock, folder)  # warm-up
                runs = [one_run(command, server, clock, folder) for _ in range(RUNS)]
                startup = statistics.median(r[0] for r in runs)
                shutdown = statistics.median(r[1] for r in runs)
                rows.append(
                    {
                        "agents": agents,
                        "exit": exit_kind,
                        "startup_s": round(startup, 3),
                        "shutdown_s": round(shutdown, 3),
                        "import_openai_s": round(floor, 3),
                        "own_s": round(startup + shutdown - floor, 3),
                        "goal_s": GOAL_S,
                    }
                )
    print(f"{'agents':>6} {'exit':<12} {'startup':>8} {'shutdown':>9} {'import openai':>14} {'own':>7}  goal")
    for r in rows:
        mark = "ok" if r["own_s"] <= GOAL_S else "MISSED"
        print(
            f"{r['agents']:>6} {r['exit']:<12} {r['startup_s']:>8.3f} {r['shutdown_s']:>9.3f} "
            f"{r['import_openai_s']:>14.3f} {r['own_s']:>7.3f}  <= {GOAL_S} {mark if r['exit'] == 'fast exit' else ''}"
        )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"runs_per_row": RUNS, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
