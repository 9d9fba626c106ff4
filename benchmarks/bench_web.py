"""The web view's benchmark, in Debian's chromium under Playwright (no browser download).

Every server is a real ``massgen serve`` child process (see ``bench_serve.massgen_serve``) whose
teams are ``scripted`` agents streaming their answers (``chunk_delay``), so a run takes seconds
and writes a record per chunk; the page is the one a user opens.

1. **Time to first paint** of the runs page (``/``, 50 past runs listed) and of a past run's
   page (``/runs/<id>``: 3 agents, replayed from its log folder): ``first-contentful-paint``
   from ``performance.getEntriesByType("paint")``, in a fresh browser context each time
   (nothing cached), ``BENCH_WEB_LOADS`` (10) times each; also when the run page shows the
   whole run (``data-ended``). Median and max.
2. **Event latency, a coordination event to the DOM**: a 3-agent team, each agent streaming
   its text in 40 chunks 25 ms apart before it answers. A thread of this process reads the run's ``events.jsonl`` every
   millisecond and notes when each record's line appeared (the log line is written as the
   event happens); the page notes (``Date.now()``, a MutationObserver) when it has applied
   each batch (``document.body.dataset.records``: how many records it has). A record's
   latency is the first DOM note covering it minus its line's appearance; only records
   written after the page's first batch count (those before come as its backlog). Two ways:
   **served** (a run the server itself runs, requested over the API: its events wake the
   page's stream at once) and **CLI run + massgen view** (``massgen --config ... --web``:
   another process writes the log, which the viewer polls every 0.2 s). p50, p95, max.
3. **A 100-agent run stays responsive**: 100 scripted agents, each streaming 40 chunks 25 ms
   apart before it answers (about 4,000 records a second at the peak), served, its page open from the start.
   While it runs the page records its main thread's long tasks (``PerformanceObserver``,
   ``longtask``: tasks over 50 ms), the gaps between animation frames, and how late a 0 ms
   timer set every 100 ms fires (what a click or a key waits for). Goal (RAIL's "response
   within 100 ms"): timer lag and frame gaps p95 under 100 ms, and the page caught up with
   the log within 1 s of the run's end. Also the event latency under that load.

Run: ``python benchmarks/bench_web.py``. Prints a table, writes ``benchmarks/results/web.json``.
Needs chromium on PATH (``scripts/browser/ensure_chromium.sh``) or ``MASSGEN_CHROMIUM``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench_serve import (  # this folder's: the script's sys.path[0]
    massgen_serve,
    quantile,
    stop,
    table,
    verdict,
)

LOADS = int(os.environ.get("BENCH_WEB_LOADS", "10"))
PAST_RUNS = 50
CHUNKS, CHUNK_DELAY = 40, 0.025  # each answer: 40 chunks of 3 words, 25 ms apart (1 s)
MANY = 100
RESPONSIVE_MS = 100.0
CAUGHT_UP_S = 1.0
RESULTS = Path(__file__).parent / "results" / "web.json"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
_WATCH = re.compile(r"watch it live: (http://\S+/runs/(\S+))")

#: the page's own notes: when each batch was applied, long tasks, frame gaps, timer lag
PROBE = """
window.__bench = {dom: [], longtasks: [], frames: [], lags: []};
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) window.__bench.longtasks.push(entry.duration);
}).observe({type: "longtask", buffered: true});
document.addEventListener("DOMContentLoaded", () => {
  new MutationObserver(() => {
    window.__bench.dom.push([Date.now(), Number(document.body.dataset.records || 0)]);
  }).observe(document.body, {attributes: true, attributeFilter: ["data-records"]});
});
let last = performance.now();
function frame(now) { window.__bench.frames.push(now - last); last = now; requestAnimationFrame(frame); }
requestAnimationFrame(frame);
setInterval(() => {
  const set = performance.now();
  setTimeout(() => window.__bench.lags.push(performance.now() - set), 0);
}, 100);
"""


def scripted_agent(index: int, chunk_delay: float) -> dict[str, Any]:
    """An agent that streams its reasoning (``CHUNKS`` chunks of 3 words) before it answers, then
    votes for the longest answer and, if it wins, presents it."""
    from massgen_core.testing.scripted import new_answer_reply

    answer = f"Agent {index} says Paris."
    thinking = " ".join(f"step{index}-{n}" for n in range(3 * CHUNKS))
    return {
        "id": f"agent_{index:03d}",
        "backend": {
            "type": "scripted",
            "replies": [new_answer_reply(answer, text=thinking)],
            "then": "coordinate",
            "chunk_delay": chunk_delay,
            "chunk_words": 3,
            "answer": answer,
        },
    }


def team(agents: int, *, display: str = "silent", chunk_delay: float = CHUNK_DELAY) -> dict[str, Any]:
    return {
        "agents": [scripted_agent(i, chunk_delay) for i in range(agents)],
        "ui": {"display_type": display, "logging_enabled": True},
    }


class LogWatch:
    """Notes, every millisecond, when each line of a run's ``events.jsonl`` appeared."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen: list[float] = []  # wall time each record's line was first seen
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self.path.exists() and not self._stop.is_set():
            time.sleep(0.001)
        with self.path.open("rb") as file:
            partial = b""
            while not self._stop.is_set():
                chunk = file.read()
                if chunk:
                    now = time.time()
                    lines = (partial + chunk).split(b"\n")
                    partial = lines.pop()
                    self.seen.extend(now for _ in lines)
                else:
                    time.sleep(0.001)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


def latencies(seen: list[float], dom: list[list[float]]) -> list[float]:
    """Each record's latency (ms) from its log line to the first DOM note covering it, for the
    records written after the page's first note."""
    if not dom:
        return []
    first_note = dom[0][0] / 1e3
    out = []
    notes = iter(dom)
    at, count = next(notes)
    for index, written in enumerate(seen):
        if written <= first_note:
            continue
        while count < index + 1:
            try:
                at, count = next(notes)
            except StopIteration:
                return out
        out.append(at - written * 1e3)
    return out


def spread(values: list[float]) -> dict[str, float | int]:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50": round(statistics.median(values), 1),
        "p95": round(quantile(values, 0.95), 1),
        "max": round(max(values), 1),
    }


def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.01)


# -- the browser --------------------------------------------------------------------------------------
@contextmanager
def chromium() -> Iterator[Any]:
    executable = os.environ.get("MASSGEN_CHROMIUM") or shutil.which("chromium")
    if executable is None:
        raise SystemExit("bench_web needs chromium: bash scripts/browser/ensure_chromium.sh")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_page(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.add_init_script(PROBE)
    return page


def wait_js(page: Any, expression: str, timeout: float = 60) -> None:
    """Poll ``expression`` in the page (Playwright's wait_for_function evaluates a string, which
    the page's CSP forbids)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout:g} s waiting for {expression}")
        time.sleep(0.02)


def notes(page: Any) -> dict[str, list[Any]]:
    result: dict[str, list[Any]] = page.evaluate("window.__bench")
    return result


def first_paint_ms(page: Any) -> float:
    wait_js(page, "performance.getEntriesByType('paint').some(e => e.name === 'first-contentful-paint')")
    entries = page.evaluate("performance.getEntriesByType('paint').map(e => [e.name, e.startTime])")
    return float(dict(entries)["first-contentful-paint"])


# -- runs ---------------------------------------------------------------------------------------------
def served_run(url: str, model: str) -> tuple[str, threading.Thread]:
    """A streamed chat completion in a thread, read to its end; the run's id from its first chunk."""
    import httpx2

    known = threading.Event()
    found: list[str] = []

    def request() -> None:
        body = {
            "model": model,
            "messages": [{"role": "user", "content": "Capital of France?"}],
            "stream": True,
        }
        with httpx2.stream("POST", f"{url}/v1/chat/completions", json=body, timeout=600) as response:
            for line in response.iter_lines():
                if line.startswith("data: {") and not found:
                    found.append(json.loads(line[6:])["id"].removeprefix("chatcmpl-"))
                    known.set()

    thread = threading.Thread(target=request, daemon=True)
    thread.start()
    if not known.wait(60):
        raise SystemExit("the served run's stream sent nothing")
    return found[0], thread


def watch_run(browser: Any, page_url: str, log: Path, *, wait_s: float) -> dict[str, Any]:
    """Open a live run's page, follow it to its end; the page's notes and the log's timings."""
    watch = LogWatch(log)
    page = open_page(browser)
    try:
        page.goto(page_url)
        wait_js(page, "document.body.dataset.ended === 'true'", wait_s)
        ended_at = time.time()
        watch.close()
        probe = notes(page)
    finally:
        watch.close()
        page.context.close()
    dom = probe["dom"]
    return {
        "records": len(watch.seen),
        "latency_ms": spread(latencies(watch.seen, dom)),
        "caught_up_s": round(dom[-1][0] / 1e3 - watch.seen[-1], 3) if dom and watch.seen else None,
        "ended_after_last_record_s": round(ended_at - watch.seen[-1], 3) if watch.seen else None,
        "long_tasks": len(probe["longtasks"]),
        "long_task_ms": spread(probe["longtasks"]),
        "frame_gap_ms": spread(probe["frames"][1:]),
        "timer_lag_ms": spread(probe["lags"]),
    }


def past_runs(url: str, model: str, count: int) -> list[str]:
    import httpx2

    ids = []
    body = {"model": model, "messages": [{"role": "user", "content": "Capital of France?"}]}
    for _ in range(count):
        reply = httpx2.post(f"{url}/v1/chat/completions", json=body, timeout=120).json()
        ids.append(reply["massgen"]["run_id"])
    return ids


# -- 1. first paint -----------------------------------------------------------------------------------
def first_paint(browser: Any) -> dict[str, Any]:
    with massgen_serve("fast", team(3, chunk_delay=0)) as server:
        run_ids = past_runs(server.url, "fast", PAST_RUNS)
        rows = []
        for name, path, done in (
            ("runs page", "/", f"document.querySelectorAll('[data-run]').length >= {PAST_RUNS}"),
            ("run page (past run)", f"/runs/{run_ids[-1]}", "document.body.dataset.ended === 'true'"),
        ):
            paints, shown = [], []
            for _ in range(LOADS):
                page = open_page(browser)
                try:
                    page.goto(server.url + path)
                    paints.append(first_paint_ms(page))
                    wait_js(page, done)
                    shown.append(page.evaluate("performance.now()"))
                finally:
                    page.context.close()
            rows.append(
                {
                    "page": name,
                    "first_paint_ms_p50": round(statistics.median(paints), 1),
                    "first_paint_ms_max": round(max(paints), 1),
                    "all_shown_ms_p50": round(statistics.median(shown), 1),
                    "all_shown_ms_max": round(max(shown), 1),
                }
            )
    return {"rows": rows, "server": server.report}


# -- 2. event latency ---------------------------------------------------------------------------------
def served_latency(browser: Any) -> dict[str, Any]:
    with massgen_serve("trio", team(3)) as server:
        run_id, request = served_run(server.url, "trio")
        row = watch_run(
            browser,
            f"{server.url}/runs/{run_id}",
            server.cwd / ".massgen/logs" / run_id / "events.jsonl",
            wait_s=120,
        )
        request.join(60)
    return {"way": "served", **row, "server": server.report}


def cli_latency(browser: Any) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-web-cli-") as tmp:
        cwd = Path(tmp)
        (cwd / "trio.yaml").write_text(json.dumps(team(3, display="simple")))
        env = {k: v for k, v in os.environ.items() if not k.startswith("MASSGEN_")}
        child = subprocess.Popen(
            [sys.executable, "-m", "massgen_core", "--config", "trio.yaml", "--web", "Capital of France?"],
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert child.stderr is not None
            match = None
            for line in child.stderr:
                if match := _WATCH.search(line):
                    break
            if match is None:
                raise SystemExit(f"massgen --web printed no page (exit {child.wait()})")
            threading.Thread(target=child.stderr.read, daemon=True).start()
            page_url, run_id = match.groups()
            row = watch_run(browser, page_url, cwd / ".massgen/logs" / run_id / "events.jsonl", wait_s=120)
            code = child.wait(60)
        finally:
            stop(child)
    return {"way": "CLI run + massgen view", **row, "exit_code": code}


# -- 3. 100 agents ------------------------------------------------------------------------------------
def many_agents(browser: Any) -> dict[str, Any]:
    with massgen_serve("hundred", team(MANY), "--max-concurrent", "1") as server:
        run_id, request = served_run(server.url, "hundred")
        row = watch_run(
            browser,
            f"{server.url}/runs/{run_id}",
            server.cwd / ".massgen/logs" / run_id / "events.jsonl",
            wait_s=600,
        )
        request.join(120)
    return {"way": f"served, {MANY} agents", **row, "server": server.report}


def flat(row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in row.items():
        if isinstance(value, dict) and key != "server":
            out.update({f"{key.removesuffix('_ms')}_{k}": v for k, v in value.items() if k != "n"})
        elif key != "server":
            out[key] = value
    return out


def main() -> None:
    results: dict[str, Any] = {}
    with chromium() as browser:
        print(f"1. time to first paint, {LOADS} loads each in a fresh context ({PAST_RUNS} past runs listed)")
        results["first_paint"] = one = first_paint(browser)
        print(table(one["rows"]))
        print("\n2. event latency, a coordination event (its log line) to the page's DOM")
        results["latency"] = two = [served_latency(browser), cli_latency(browser)]
        print(table([flat(r) for r in two]))
        print(f"\n3. a {MANY}-agent run, served, its page open from the start")
        results["many_agents"] = three = many_agents(browser)
        print(table([flat(three)]))
    lag, gaps = three["timer_lag_ms"], three["frame_gap_ms"]
    responsive = lag.get("p95", 1e9) < RESPONSIVE_MS and gaps.get("p95", 1e9) < RESPONSIVE_MS
    caught_up = (three["caught_up_s"] or 1e9) <= CAUGHT_UP_S
    print(
        f"   timer lag p95 {lag.get('p95')} ms, frame gaps p95 {gaps.get('p95')} ms"
        f"  goal < {RESPONSIVE_MS:g} ms  {verdict(responsive)}\n"
        f"   caught up {three['caught_up_s']} s after the last record  goal <= {CAUGHT_UP_S:g} s  {verdict(caught_up)}"
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten to {RESULTS}")


if __name__ == "__main__":
    main()
