"""Startup benchmark: wall time and peak memory of `massgen --help`, `massgen backends --json`
and `massgen plugins --json`, against a bare `python -c pass` measured the same way.

Targets (issue 11): `massgen --help` at most 4x a bare interpreter start, `massgen backends
--json` at most 6x; and (issue 2) a median under 0.15 s and 40 MB peak RSS, with the core and
every plugin installed. Each command runs in a fresh process, after warm-up runs (so bytecode is
cached, as it is after a normal install). Prints a table and writes
benchmarks/results/startup.json.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

#: the ``massgen`` console script installed beside this interpreter: what users run
MASSGEN = str(Path(sys.executable).with_name("massgen"))
BASELINE = "python -c pass"
COMMANDS = {
    BASELINE: [sys.executable, "-c", "pass"],
    "massgen --help": [MASSGEN, "--help"],
    "massgen backends --json": [MASSGEN, "backends", "--json"],
    "massgen plugins --json": [MASSGEN, "plugins", "--json"],
}
#: the most each command may take, as a multiple of the baseline
RATIO_TARGETS = {"massgen --help": 4.0, "massgen backends --json": 6.0}
RUNS = int(os.environ.get("BENCH_RUNS", "20"))
WALL_TARGET, RSS_TARGET_MB = 0.15, 40.0


def measure(args: list[str]) -> tuple[float, float]:
    """One run: (wall seconds, peak RSS in MB) of the child process alone."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, rusage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{' '.join(args)} failed with status {status}")
    return wall, rusage.ru_maxrss / 1024


def main() -> None:
    for args in COMMANDS.values():
        for _ in range(3):
            measure(args)  # warm-up: bytecode cache, page cache
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in COMMANDS}
    for _ in range(RUNS):  # interleaved, so a slow phase of the machine hits every command alike
        for name, args in COMMANDS.items():
            samples[name].append(measure(args))
    results = {}
    for name, runs in samples.items():
        walls = sorted(w for w, _ in runs)
        results[name] = {
            "median_s": round(statistics.median(walls), 4),
            "p90_s": round(walls[int(0.9 * (len(walls) - 1))], 4),
            "peak_rss_mb": round(max(r for _, r in runs), 1),
            "runs": RUNS,
        }
    base = results[BASELINE]["median_s"]
    print(f"{'command':26} {'median':>8} {'p90':>8} {'peak RSS':>9} {'x bare':>7}  targets")
    for name, r in results.items():
        ratio = r["median_s"] / base
        r["x_baseline"] = round(ratio, 2)
        if name == BASELINE:
            verdict = ""
        else:
            limit = RATIO_TARGETS.get(name)
            ok = r["median_s"] < WALL_TARGET and r["peak_rss_mb"] < RSS_TARGET_MB
            ok = ok and (limit is None or ratio <= limit)
            verdict = ("ok" if ok else "OVER") + (f" (<= {limit:g}x)" if limit else "")
        print(
            f"{name:26} {r['median_s']:>7.3f}s {r['p90_s']:>7.3f}s {r['peak_rss_mb']:>7.1f}MB"
            f" {ratio:>6.1f}x  {verdict}"
        )
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "startup.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
