"""Startup benchmark: wall time and peak memory of `massgen --help` and `massgen backends --json`.

Targets (issue 2): median under 0.15 s wall and under 40 MB peak RSS, with the core and every
plugin installed. Each command runs in a fresh process, after warm-up runs (so bytecode is
cached, as it is after a normal install). Prints a table and writes benchmarks/results/startup.json.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = {
    "massgen --help": ["--help"],
    "massgen backends --json": ["backends", "--json"],
    "massgen plugins --json": ["plugins", "--json"],
}
RUNS = int(os.environ.get("BENCH_RUNS", "20"))
WALL_TARGET, RSS_TARGET_MB = 0.15, 40.0


def measure(args: list[str]) -> tuple[float, float]:
    """One run: (wall seconds, peak RSS in MB) of the child process alone."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "massgen_core", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, rusage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"massgen {' '.join(args)} failed with status {status}")
    return wall, rusage.ru_maxrss / 1024


def main() -> None:
    results = {}
    for name, args in COMMANDS.items():
        for _ in range(3):
            measure(args)  # warm-up: bytecode cache, page cache
        runs = [measure(args) for _ in range(RUNS)]
        walls = [w for w, _ in runs]
        rss = [r for _, r in runs]
        results[name] = {
            "median_s": round(statistics.median(walls), 4),
            "p90_s": round(sorted(walls)[int(0.9 * (len(walls) - 1))], 4),
            "peak_rss_mb": round(max(rss), 1),
            "runs": RUNS,
        }
    print(
        f"{'command':28} {'median':>8} {'p90':>8} {'peak RSS':>9}  target: <{WALL_TARGET}s, <{RSS_TARGET_MB:g} MB"
    )
    for name, r in results.items():
        ok = r["median_s"] < WALL_TARGET and r["peak_rss_mb"] < RSS_TARGET_MB
        print(
            f"{name:28} {r['median_s']:>7.3f}s {r['p90_s']:>7.3f}s {r['peak_rss_mb']:>7.1f}MB  {'ok' if ok else 'OVER'}"
        )
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "startup.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
