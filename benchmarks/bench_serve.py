"""``massgen serve`` benchmark: overhead per request, a burst of concurrent requests, a soak.

Every server is a real ``massgen serve`` child process (``python -m massgen_core serve --port 0``)
with its own temporary working directory (every request's run writes a session and a log
folder there), spoken to from this process over loopback HTTP.

1. **Server overhead per request** (goal: at most 5 ms, median). The 3 agents of
   ``examples/scripted_three_agents.yaml`` on the core's ``scripted`` backend (no network;
   ``chunk_delay: 0``, ``ui.display_type: silent``, logging on, as a served run logs) answer
   ``BENCH_SERVE_REQUESTS`` (100) questions one after another, after 10 warm-ups, three ways,
   interleaved so a slow phase of the machine hits all three alike: **direct**, in this
   process through ``massgen_core.coordinate`` with a session and a log folder made as the
   server makes them (``SessionStore.of(config).create(run_id)``, ``run_log_dir(config,
   run_id)``, ``run_id = new_run_id()``, all inside the timing); **served**, a non-streamed chat
   completion from a plain ``httpx2`` client on one keep-alive connection; **served,
   streamed**, the same with ``stream: true``, the SSE read to ``[DONE]``. A served median
   minus the direct one is what the server adds: HTTP round trip, parsing, admission, the
   reply's encoding, its per-run log line. ``first_event_ms``: when a stream's first event
   (the role chunk, sent before the run starts) reached the client.
2. **A burst of 50 concurrent requests** (goal: p50 at most 1.2x the providers' critical
   path). A team of 3 massgen-openai agents (``chatcompletion`` and ``openai`` alternating) on
   the core's fake provider, in a process of its own (it would otherwise share this process's
   GIL), whose every reply takes ``LATENCY`` (0.5 s) from its request's arrival. One request's
   critical path is 3 replies in a row (answer round, vote round, presentation): 1.5 s. A
   ``--max-concurrent 50 --workers 2`` server (``BENCH_SERVE_WORKERS``: this machine has 2
   cores) gets 50 non-streamed requests at once, each with a question of its own, from a load
   generator that takes next to no CPU from the 2 cores the server shares with it (see
   :func:`burst`): a request's latency runs from its connect to the last byte of its reply.
   Reported: p50, p95 and max latency, p50 / critical path, how many answered with the
   winner's answer, the CPU the server and this process spent on the burst, and
   ``provider_late_ms``, the fake provider's own lateness per reply (median and max: it shares
   the 2 cores with the server and this client). Each run's ``massgen.log.jsonl`` is read back:
   ``logs_with_other_runs`` counts the runs whose log holds another request's records (its
   ``run_started`` with another question), ``most_runs_in_one_log`` the most runs one log holds
   (1 when each run logs only itself). After a warm-up request, a first burst (``burst 0``) finds the server as it
   started: each agent has one connection to the provider at most, so most of the burst's
   requests open new ones; it is shown, not counted. ``BENCH_SERVE_BURSTS`` (3) more follow, as
   a server that has been serving meets them (the agents keep their connections from one
   request to the next); the one with the median p50 is reported. As diagnostics: the same
   bursts from the official ``AsyncOpenAI`` client (``max_retries=0``) in this process, taking
   turns with the generator's on the same server, show what a Python client on the same 2
   cores adds (building 50 requests and reading 50 replies takes it 0.15-0.25 s of CPU, and
   the first request reached the server 55-140 ms after its clock started, measured); with one
   worker, what the workers bring; with ``ui.logging_enabled: false``, what the run logs cost.
3. **Memory and open files flat over a soak** (goal: RSS growth under 10 % and open file
   descriptors equal +- 2 from the 100th request to the last). The scripted team served;
   ``BENCH_SERVE_SOAK`` (1000) requests, 4 at a time, streamed and non-streamed alternating;
   the server's ``VmRSS`` (``/proc/PID/status``) and open file descriptors
   (``/proc/PID/fd``) are sampled with no request in flight after 100, 250, 500, 750 and 1000
   requests. Also checked: every answer is the winner's, and every run left a session and a
   log folder.

Every server is stopped with SIGINT (as Ctrl-C) and waited for, also when the benchmark
fails; its exit status and whether its log holds an error or a traceback are reported.

Run: ``python benchmarks/bench_serve.py``. Prints a table, writes ``benchmarks/results/serve.json``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import selectors
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from massgen_core.testing.cli import stop_process

REQUESTS = int(os.environ.get("BENCH_SERVE_REQUESTS", "100"))
WARM_UPS = 10
BURSTS = int(os.environ.get("BENCH_SERVE_BURSTS", "3"))
BURST_SIZE = 50
BURST_WORKERS = int(os.environ.get("BENCH_SERVE_WORKERS", "2"))  # this machine's cores
LATENCY = 0.5  # seconds per fake-provider reply
CRITICAL_PATH_S = 3 * LATENCY  # answer round, vote round, presentation
SOAK = int(os.environ.get("BENCH_SERVE_SOAK", "1000"))
SOAK_CONCURRENCY = 4
SOAK_SAMPLES = sorted({n for n in (100, 250, 500, 750, SOAK) if n <= SOAK})
OVERHEAD_GOAL_MS = 5.0
BURST_GOAL_RATIO = 1.2
RSS_GROWTH_GOAL_PCT, FD_GROWTH_GOAL = 10.0, 2

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "scripted_three_agents.yaml"
RESULTS = Path(__file__).parent / "results" / "serve.json"
QUESTION = "What is the capital of France?"
#: the fake provider's agents (told apart by their models): each answers this, then votes for
#: the longest answer, which wins and is presented
PROVIDER_ANSWERS = {
    "bench-short": "Paris.",
    "bench-long": "The capital of France is Paris, on the Seine.",
    "bench-mid": "Paris is the capital.",
}
PROVIDER_WINNER = max(PROVIDER_ANSWERS.values(), key=len)
_LISTENING = re.compile(r"on (http://\S+)/v1 ")


# -- the fake provider, in its own process ------------------------------------------------------
def provider(latency: float) -> None:
    """Serve coordinating replies, each ``latency`` after its request arrived, until stdin closes;
    then print the replies' timings (JSON) to stdout."""
    from massgen_core.testing.fake_provider import FakeProviderServer, RecordedRequest, Reply, ToolCall
    from massgen_core.testing.scripted import coordination_reply

    def reply(request: RecordedRequest) -> Reply:
        answer = PROVIDER_ANSWERS[request.model or ""]
        spec = coordination_reply(request.last_user_text or "", request.tool_names, answer=answer)
        calls = tuple(ToolCall(c["name"], c["arguments"]) for c in spec.get("tool_calls", ()))
        return Reply(spec.get("text", ""), tool_calls=calls, delay=latency)

    with FakeProviderServer(responder=reply, models=tuple(PROVIDER_ANSWERS)) as server:
        print(server.url, flush=True)
        sys.stdin.read()  # until the parent closes our stdin
        timings = [[t.arrived, t.due, t.finished] for t in server.reply_timings]
        print(json.dumps({"timings": timings}), flush=True)


@contextmanager
def fake_provider(latency: float) -> Iterator[tuple[str, dict[str, Any]]]:
    """The fake provider in a child process: yields its URL and a dict that, once the block is
    left, holds its replies' ``timings`` ([arrived, due, finished] on the machine's monotonic clock)."""
    child = subprocess.Popen(
        [sys.executable, __file__, "--provider", str(latency)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    stats: dict[str, Any] = {}
    try:
        url = child.stdout.readline().strip()
        if not url:
            raise SystemExit("the fake provider did not start")
        yield url, stats
    finally:
        child.stdin.close()  # it prints its timings and exits
        try:
            stats.update(json.loads(child.stdout.readline() or "{}"))
            child.wait(timeout=15)
        except (subprocess.TimeoutExpired, ValueError):
            stop_process(child, 30)


# -- massgen serve, in its own process ----------------------------------------------------------
class Server:
    """A running ``massgen serve``: its URL, its process, its log (stderr) file."""

    def __init__(self, url: str, process: subprocess.Popen[str], log: Path, cwd: Path) -> None:
        self.url = url
        self.process = process
        self.log = log
        self.cwd = cwd
        self.report: dict[str, Any] = {}

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError(f"no VmRSS in /proc/{self.pid}/status")

    def open_fds(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))


@contextmanager
def massgen_serve(name: str, config: dict[str, Any], *args: str) -> Iterator[Server]:
    """``massgen serve --config <name>.yaml --port 0 ARGS`` in a child process, in a temporary
    working directory of its own; yields it once it listens. On leaving: SIGINT and wait, and
    ``server.report`` says how it exited and whether its log holds errors."""
    with tempfile.TemporaryDirectory(prefix=f"bench-serve-{name}-") as tmp:
        cwd = Path(tmp)
        (cwd / f"{name}.yaml").write_text(json.dumps(config, indent=2))  # JSON is YAML
        log = cwd / "server.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("MASSGEN_")}
        with log.open("w") as stderr:
            child = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "massgen_core",
                    "serve",
                    "--config",
                    f"{name}.yaml",
                    "--port",
                    "0",
                    *args,
                ],
                cwd=cwd,
                env=env,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            )
        server: Server | None = None
        try:
            assert child.stdout is not None
            line = child.stdout.readline()
            match = _LISTENING.search(line)
            if not match:
                stop_process(child, 30)
                raise SystemExit(f"massgen serve did not start: {line!r}\n{log.read_text()[-3000:]}")
            # nothing more is expected on stdout; drain it anyway so a full pipe never blocks it
            threading.Thread(target=child.stdout.read, daemon=True).start()
            server = Server(match.group(1), child, log, cwd)
            yield server
        finally:
            started = time.perf_counter()
            code = stop_process(child, 30)
            text = log.read_text(errors="replace")
            report: dict[str, Any] = {
                "exit_code": code,
                "stop_s": round(time.perf_counter() - started, 2),
                "error_lines": sum(1 for ln in text.splitlines() if ln.startswith(("ERROR", "CRITICAL"))),
                "tracebacks": text.count("Traceback"),
            }
            if report["error_lines"] or report["tracebacks"]:
                report["log_tail"] = text[-2000:]
            if server is not None:
                server.report = report


# -- the teams ------------------------------------------------------------------------------------
def scripted_team() -> dict[str, Any]:
    """The agents of examples/scripted_three_agents.yaml, at full speed, silent, logging on."""
    import yaml  # type: ignore[import-untyped]

    example = yaml.safe_load(EXAMPLE.read_text())
    agents = [{**a, "backend": {**a["backend"], "chunk_delay": 0}} for a in example["agents"]]
    return {"agents": agents, "ui": {"display_type": "silent", "logging_enabled": True}}


def scripted_winner(config: dict[str, Any]) -> str:
    """The final answer of the scripted team: the longest answer wins and is presented."""
    answers: list[str] = [a["backend"]["answer"] for a in config["agents"]]
    return max(answers, key=len)


def provider_team(url: str) -> dict[str, Any]:
    types = ("chatcompletion", "openai")
    agents = [
        {
            "id": model.removeprefix("bench-"),
            "backend": {"type": types[i % 2], "model": model, "base_url": f"{url}/v1", "api_key": "bench"},
        }
        for i, model in enumerate(PROVIDER_ANSWERS)
    ]
    return {"agents": agents, "ui": {"display_type": "silent"}}


# -- figures ------------------------------------------------------------------------------------------
def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[round(q * (len(ordered) - 1))]


def ms(seconds: float) -> float:
    return round(seconds * 1e3, 2)


def chat_body(model: str, *, stream: bool = False) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": QUESTION}], "stream": stream}


def streamed_content(lines: Iterator[str]) -> str:
    """The content of a chat-completion stream, read to ``data: [DONE]``."""
    text: list[str] = []
    for line in lines:
        if not line.startswith("data: "):
            continue
        data = line.removeprefix("data: ")
        if data == "[DONE]":
            return "".join(text)
        chunk = json.loads(data)
        if "error" in chunk:
            raise RuntimeError(f"the stream failed: {chunk['error']}")
        for choice in chunk.get("choices", ()):
            text.append(choice["delta"].get("content") or "")
    raise RuntimeError("the stream ended without [DONE]")


# -- 1. overhead per request ----------------------------------------------------------------------
def overhead(servers: list[Server]) -> dict[str, Any]:
    import httpx2

    import massgen_core

    config_dict = scripted_team()
    winner = scripted_winner(config_dict)
    with ExitStack() as stack:
        server = stack.enter_context(massgen_serve("trio", config_dict, "--max-concurrent", "4"))
        servers.append(server)
        home = os.getcwd()
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-serve-direct-")))
        os.chdir(work)  # the direct runs' sessions and logs go under the working directory, too
        stack.callback(os.chdir, home)
        massgen_core.prepare_command()  # the environment and logging the server sets up
        config = massgen_core.load_config(server.cwd / "trio.yaml")
        store = massgen_core.SessionStore.of(config)
        runner = stack.enter_context(asyncio.Runner())
        client = stack.enter_context(httpx2.Client(base_url=server.url, timeout=60))

        async def direct_run() -> str:
            run_id = massgen_core.new_run_id()
            session = store.create(run_id)
            log_dir = massgen_core.run_log_dir(config, run_id)
            answer = ""
            async for event in massgen_core.coordinate(config, QUESTION, session=session, log_dir=log_dir):
                if event.kind == "run_finished":
                    answer = event.result.final_answer
            return answer

        def direct() -> str:
            return runner.run(direct_run())

        def served() -> str:
            response = client.post("/v1/chat/completions", json=chat_body("trio"))
            response.raise_for_status()
            content: str = response.json()["choices"][0]["message"]["content"]
            return content

        first_chunks: list[float] = []  # the streamed replies' first event (sent before the run starts)

        def streamed() -> str:
            started = time.perf_counter()
            with client.stream(
                "POST", "/v1/chat/completions", json=chat_body("trio", stream=True)
            ) as response:
                response.raise_for_status()
                lines = response.iter_lines()
                first = next(lines)
                first_chunks.append(time.perf_counter() - started)
                return streamed_content(itertools.chain([first], lines))

        ways: dict[str, Callable[[], str]] = {
            "direct": direct,
            "served": served,
            "served, streamed": streamed,
        }
        times: dict[str, list[float]] = {name: [] for name in ways}
        wrong: dict[str, int] = dict.fromkeys(ways, 0)
        for i in range(WARM_UPS + REQUESTS):
            for name, way in ways.items():  # interleaved
                started = time.perf_counter()
                answer = way()
                elapsed = time.perf_counter() - started
                if i >= WARM_UPS:
                    times[name].append(elapsed)
                    wrong[name] += answer != winner
    base = statistics.median(times["direct"])
    base_p95 = quantile(times["direct"], 0.95)
    rows = []
    for name, values in times.items():
        median = statistics.median(values)
        row: dict[str, Any] = {
            "way": name,
            "median_ms": ms(median),
            "p95_ms": ms(quantile(values, 0.95)),
            "min_ms": ms(min(values)),
            "wrong_answers": wrong[name],
        }
        if name != "direct":
            row["overhead_median_ms"] = ms(median - base)
            row["overhead_p95_ms"] = ms(quantile(values, 0.95) - base_p95)
        rows.append(row)
    rows[-1]["first_event_ms"] = ms(statistics.median(first_chunks[WARM_UPS:]))
    return {"requests": REQUESTS, "warm_ups": WARM_UPS, "goal_ms": OVERHEAD_GOAL_MS, "rows": rows}


# -- 2. a burst of concurrent requests -----------------------------------------------------------
def question_of(tag: str, i: int) -> str:
    return f"{QUESTION} (request {tag}-{i})"


def burst(base_url: str, size: int, tag: str) -> tuple[list[dict[str, Any]], float, float]:
    """``size`` requests at once, each with a question of its own (``... (request TAG-i)``) and a
    connection of its own, from a load generator that takes next to no CPU from the cores the
    server has: every request's bytes are made (with h11) before the burst, then each request
    connects and is sent, one after another in a tight loop (50 in about 5 ms), and the replies
    are read as they come. A request's latency runs from just before it connects to the last
    byte of its reply. Each one's ``latency``, ``answer``, ``log_dir`` and ``error``; and when
    the burst began and ended (monotonic)."""
    import h11

    url = urlsplit(base_url)
    address = (url.hostname or "127.0.0.1", url.port or 80)
    requests = []
    for i in range(size):
        body = json.dumps(
            {"model": "team", "messages": [{"role": "user", "content": question_of(tag, i)}]}
        ).encode()
        connection = h11.Connection(h11.CLIENT)
        headers = [
            ("Host", url.netloc),
            ("Content-Type", "application/json"),
            ("Authorization", "Bearer bench"),
            ("Content-Length", str(len(body))),
        ]
        wire = connection.send(
            h11.Request(method="POST", target=f"{url.path}/chat/completions", headers=headers)
        )
        wire += connection.send(h11.Data(data=body)) + connection.send(h11.EndOfMessage())
        requests.append({"i": i, "h11": connection, "bytes": wire, "body": bytearray()})
    with selectors.DefaultSelector() as selector:
        began = time.monotonic()
        for request in requests:
            request["started"] = time.perf_counter()
            sock = socket.create_connection(address)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.sendall(request["bytes"])
            request["sock"] = sock
            selector.register(sock, selectors.EVENT_READ, request)
        waiting, deadline = size, time.monotonic() + 120
        while waiting and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=1.0):
                request = key.data
                if _read(request):
                    request["latency"] = time.perf_counter() - request["started"]
                    selector.unregister(request["sock"])
                    request["sock"].close()
                    waiting -= 1
        for key in list(selector.get_map().values()):  # no reply in 120 s
            key.fileobj.close()  # type: ignore[union-attr]
        ended = time.monotonic()
    return [_outcome(request, tag) for request in requests], began, ended


def _read(request: dict[str, Any]) -> bool:
    """Read what came for ``request``; whether its reply is whole (or will never be)."""
    import h11

    try:
        request["h11"].receive_data(request["sock"].recv(65536))
        while (event := request["h11"].next_event()) is not h11.NEED_DATA:
            if isinstance(event, h11.Response):
                request["status"] = event.status_code
            elif isinstance(event, h11.Data):
                request["body"] += event.data
            elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)):
                return True
    except (OSError, h11.ProtocolError) as exc:
        request["failed"] = f"{type(exc).__name__}: {exc}"
        return True
    return False


def _outcome(request: dict[str, Any], tag: str) -> dict[str, Any]:
    if "latency" not in request:
        return {"latency": float("nan"), "error": "no reply in 120 s"}
    latency = request["latency"]
    if "failed" in request:
        return {"latency": latency, "error": request["failed"]}
    try:
        reply = json.loads(request["body"])
    except ValueError:
        return {
            "latency": latency,
            "error": f"HTTP {request.get('status')}: {bytes(request['body'][:200])!r}",
        }
    if request.get("status") != 200:
        return {"latency": latency, "error": f"HTTP {request.get('status')}: {reply}"}
    return {
        "latency": latency,
        "question": question_of(tag, request["i"]),
        "answer": reply["choices"][0]["message"]["content"],
        "log_dir": (reply.get("massgen") or {}).get("log_dir"),
    }


async def sdk_burst(base_url: str, size: int, tag: str) -> tuple[list[dict[str, Any]], float, float]:
    """:func:`burst`, from the official ``AsyncOpenAI`` client in this process
    (``max_retries=0``): its CPU for 50 requests (building them, reading the replies) is spent
    on the cores the server has, and while it makes the later requests the earlier ones wait to
    be sent, which their latencies count."""
    import openai

    async with openai.AsyncOpenAI(base_url=base_url, api_key="bench", max_retries=0, timeout=120) as client:

        async def one(i: int) -> dict[str, Any]:
            question = question_of(tag, i)
            started = time.perf_counter()
            try:
                reply = await client.chat.completions.create(
                    model="team", messages=[{"role": "user", "content": question}]
                )
            except Exception as exc:
                return {"latency": time.perf_counter() - started, "error": f"{type(exc).__name__}: {exc}"}
            extra = (reply.model_extra or {}).get("massgen") or {}
            return {
                "latency": time.perf_counter() - started,
                "question": question,
                "answer": reply.choices[0].message.content,
                "log_dir": extra.get("log_dir"),
            }

        began = time.monotonic()
        outcomes = await asyncio.gather(*(one(i) for i in range(size)))
        ended = time.monotonic()
    return list(outcomes), began, ended


def foreign_log_records(server: Server, outcomes: list[dict[str, Any]]) -> tuple[int, int]:
    """How many runs' ``massgen.log.jsonl`` hold another request's records (a ``run_started``
    with another question), and the most ``run_started`` records one run's log holds (1 when
    every run logs only itself)."""
    mixed, most = 0, 0
    for outcome in outcomes:
        if not outcome.get("log_dir"):
            continue
        path = server.cwd / outcome["log_dir"] / "massgen.log.jsonl"
        if not path.is_file():
            continue
        questions = [
            record.get("question")
            for record in map(json.loads, path.read_text().splitlines())
            if record.get("event") == "run_started"
        ]
        mixed += any(q != outcome["question"] for q in questions)
        most = max(most, len(questions))
    return mixed, most


def cpu_s(pid: int) -> float:
    """The CPU seconds (user + system) process ``pid`` has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def processes(pid: int) -> list[int]:
    """``pid`` and its child processes (a ``--workers`` server's workers)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid, *map(int, children)]


def server_cpu(pid: int) -> dict[int, float]:
    """The CPU seconds each process of the server at ``pid`` has used."""
    return {p: cpu_s(p) for p in processes(pid)}


#: how a burst's requests are sent: the low-CPU load generator, or the official openai SDK
SENDERS: dict[str, Callable[[str, int, str], tuple[list[dict[str, Any]], float, float]]] = {
    "generator": burst,
    "openai SDK": lambda base_url, size, tag: asyncio.run(sdk_burst(base_url, size, tag)),
}


def bursts(
    servers: list[Server], url: str, *, logging: bool, workers: int, senders: tuple[str, ...] = ("generator",)
) -> list[dict[str, Any]]:
    """``BURSTS`` bursts from each of ``senders`` (taking turns, first one then the other first)
    at a ``--max-concurrent 50 --workers N`` server of the provider team (run logs on or off)."""
    rows: list[dict[str, Any]] = []
    config = provider_team(url)
    config["ui"]["logging_enabled"] = logging
    limits = ("--max-concurrent", str(BURST_SIZE), "--request-timeout", "120", "--workers", str(workers))
    with massgen_serve("team", config, *limits) as server:
        servers.append(server)
        base_url = f"{server.url}/v1"
        for sender in senders:  # the SDK's imports, the first connections
            (warm,), _, _ = SENDERS[sender](base_url, 1, "warm-up")
            if warm.get("answer") != PROVIDER_WINNER:
                raise SystemExit(f"the warm-up request failed: {warm}")
        for k in range(BURSTS + 1):  # burst 0: the first, on new connections to the provider
            order = senders[:1] if k == 0 else senders if k % 2 == 0 else senders[::-1]
            for sender in order:
                time.sleep(0.5)  # the last burst's connections closed, the server idle
                cpu_before, bench_cpu = server_cpu(server.pid), time.process_time()
                outcomes, began, ended = SENDERS[sender](base_url, BURST_SIZE, str(k))
                cpu_after, bench_cpu = server_cpu(server.pid), time.process_time() - bench_cpu
                row = {
                    "workers": workers,
                    "run_logs": "on" if logging else "off",
                    "client": sender,
                    "burst": k,
                    **burst_row(outcomes, cpu_before, cpu_after),
                    "bench_cpu_s": round(bench_cpu, 2),
                    "window": (began, ended),
                }
                if logging:
                    row["logs_with_other_runs"], row["most_runs_in_one_log"] = foreign_log_records(
                        server, outcomes
                    )
                rows.append(row)
    return rows


def burst_row(
    outcomes: list[dict[str, Any]], cpu_before: dict[int, float], cpu_after: dict[int, float]
) -> dict[str, Any]:
    """A burst's figures (see the module docstring)."""
    cpu = [cpu_after[p] - cpu_before.get(p, 0.0) for p in cpu_after]
    latencies = [o["latency"] for o in outcomes if "error" not in o]
    errors = [o["error"] for o in outcomes if "error" in o]
    p50 = statistics.median(latencies) if latencies else float("nan")
    row: dict[str, Any] = {
        "p50_s": round(p50, 3),
        "p95_s": round(quantile(latencies, 0.95), 3) if latencies else None,
        "max_s": round(max(latencies), 3) if latencies else None,
        "p50_x_critical_path": round(p50 / CRITICAL_PATH_S, 2),
        "winner_answers": sum(o.get("answer") == PROVIDER_WINNER for o in outcomes),
        "errors": len(errors),
        "server_cpu_s": round(sum(cpu), 2),
        "worker_cpu_s": "/".join(f"{c:.2f}" for c in cpu[1:]) or None,
    }
    if errors:
        row["first_error"] = errors[0]
    return row


def concurrent(servers: list[Server]) -> dict[str, Any]:
    with fake_provider(LATENCY) as (url, stats):
        measured = bursts(servers, url, logging=True, workers=BURST_WORKERS, senders=tuple(SENDERS))
        # diagnostics: what one process does, what the run logs cost
        one_worker = bursts(servers, url, logging=True, workers=1)
        without_logs = bursts(servers, url, logging=False, workers=BURST_WORKERS)
    for row in [*measured, *one_worker, *without_logs]:
        began, ended = row.pop("window")
        late = [f - d for a, d, f in stats.get("timings", ()) if began <= a <= ended]
        row["provider_replies"] = len(late)
        if late:
            row["provider_late_ms_median"] = ms(statistics.median(late))
            row["provider_late_ms_max"] = ms(max(late))

    def median(rows: list[dict[str, Any]], sender: str = "generator") -> dict[str, Any]:
        """The burst with the median p50, of those after the first."""
        warm = [r for r in rows if r["burst"] > 0 and r["client"] == sender]
        return sorted(warm, key=lambda r: r["p50_s"])[len(warm) // 2]

    return {
        "requests": BURST_SIZE,
        "latency_s": LATENCY,
        "critical_path_s": CRITICAL_PATH_S,
        "goal_x": BURST_GOAL_RATIO,
        "workers": BURST_WORKERS,
        "bursts": measured,
        "median_burst": median(measured),
        "diagnostic_openai_sdk_client": {"median_burst": median(measured, "openai SDK")},
        "diagnostic_one_worker": {"bursts": one_worker, "median_burst": median(one_worker)},
        "diagnostic_without_run_logs": {"bursts": without_logs, "median_burst": median(without_logs)},
    }


# -- 3. soak ------------------------------------------------------------------------------------------
def soak(servers: list[Server]) -> dict[str, Any]:
    import httpx2

    config = scripted_team()
    winner = scripted_winner(config)
    samples: list[dict[str, Any]] = []
    wrong: list[str] = []
    with massgen_serve("trio", config, "--max-concurrent", str(SOAK_CONCURRENCY)) as server:
        servers.append(server)

        async def send(client: httpx2.AsyncClient, index: int) -> None:
            stream = index % 2 == 1
            try:
                if stream:
                    async with client.stream(
                        "POST", "/v1/chat/completions", json=chat_body("trio", stream=True)
                    ) as response:
                        response.raise_for_status()
                        lines = [line async for line in response.aiter_lines()]
                    answer = streamed_content(iter(lines))
                else:
                    response = await client.post("/v1/chat/completions", json=chat_body("trio"))
                    response.raise_for_status()
                    answer = response.json()["choices"][0]["message"]["content"]
            except Exception as exc:
                wrong.append(f"request {index}: {type(exc).__name__}: {exc}")
                return
            if answer != winner:
                wrong.append(f"request {index}: answered {answer[:80]!r}")

        async def run() -> float:
            async with httpx2.AsyncClient(base_url=server.url, timeout=60) as client:
                done = 0
                started = time.perf_counter()
                for target in SOAK_SAMPLES:
                    pending = iter(range(done, target))

                    async def worker(pending: Iterator[int] = pending) -> None:
                        for index in pending:
                            await send(client, index)

                    await asyncio.gather(*(worker() for _ in range(SOAK_CONCURRENCY)))
                    done = target
                    samples.append(
                        {
                            "after": done,
                            "rss_mb": round(server.rss_mb(), 1),
                            "open_fds": server.open_fds(),
                            "elapsed_s": round(time.perf_counter() - started, 1),
                        }
                    )
                return time.perf_counter() - started

        elapsed = asyncio.run(run())
        sessions = len(list((server.cwd / ".massgen" / "sessions").iterdir()))
        log_dirs = len(list((server.cwd / ".massgen" / "logs").iterdir()))
    first, last = samples[0], samples[-1]
    return {
        "requests": SOAK,
        "concurrency": SOAK_CONCURRENCY,
        "requests_per_s": round(SOAK / elapsed, 1),
        "samples": samples,
        "rss_growth_pct": round(100 * (last["rss_mb"] / first["rss_mb"] - 1), 1),
        "fd_growth": last["open_fds"] - first["open_fds"],
        "goal": {"rss_growth_pct_below": RSS_GROWTH_GOAL_PCT, "fd_growth_within": FD_GROWTH_GOAL},
        "failed_or_wrong": len(wrong),
        **({"first_failures": wrong[:5]} if wrong else {}),
        "sessions": sessions,
        "log_dirs": log_dirs,
    }


# -- the report ------------------------------------------------------------------------------------
def table(rows: list[dict[str, Any]]) -> str:
    keys = list(dict.fromkeys(k for r in rows for k in r))
    widths = [max(len(k), *(len(str(r.get(k, ""))) for r in rows)) for k in keys]
    lines = ["  ".join(k.ljust(w) for k, w in zip(keys, widths, strict=True))]
    lines += ["  ".join(str(r.get(k, "")).ljust(w) for k, w in zip(keys, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def verdict(ok: bool) -> str:
    return "ok" if ok else "OVER"


def main() -> None:
    servers: list[Server] = []
    results: dict[str, Any] = {}
    print(
        f"1. server overhead per request: scripted 3-agent team, {REQUESTS} requests after {WARM_UPS} warm-ups"
    )
    results["overhead"] = one = overhead(servers)
    print(table(one["rows"]))
    for row in one["rows"][1:]:
        print(
            f"   {row['way']}: overhead {row['overhead_median_ms']} ms median (p95 {row['overhead_p95_ms']} ms)"
            f"  goal <= {OVERHEAD_GOAL_MS:g} ms  {verdict(row['overhead_median_ms'] <= OVERHEAD_GOAL_MS)}"
        )
    print(
        f"\n2. {BURST_SIZE} concurrent requests, 3 massgen-openai agents, {LATENCY:g} s per provider reply"
        f" (critical path {CRITICAL_PATH_S:g} s), {BURSTS} bursts"
    )
    results["concurrent"] = two = concurrent(servers)
    diagnostic, single = two["diagnostic_without_run_logs"], two["diagnostic_one_worker"]
    sdk = two["diagnostic_openai_sdk_client"]["median_burst"]
    print(table([*two["bursts"], *single["bursts"], *diagnostic["bursts"]]))
    best = two["median_burst"]
    print(
        f"   median burst, --workers {BURST_WORKERS}: p50 {best['p50_s']} s = {best['p50_x_critical_path']}x the critical path"
        f"  goal <= {BURST_GOAL_RATIO:g}x  {verdict(best['p50_x_critical_path'] <= BURST_GOAL_RATIO)};"
        f" {best['winner_answers']}/{BURST_SIZE} answered with the winner's answer"
        f"  {verdict(best['winner_answers'] == BURST_SIZE)}"
    )
    print(
        f"   run logs: {best['logs_with_other_runs']}/{BURST_SIZE} runs' massgen.log.jsonl hold other"
        f" requests' records (up to {best['most_runs_in_one_log']} runs in one; goal 0: each run logs"
        f" itself)  {verdict(best['logs_with_other_runs'] == 0)}\n"
        f"   diagnostic, the official openai SDK as the client (in the bench's process, bursts taking"
        f" turns with the generator's): p50 {sdk['p50_s']} s = {sdk['p50_x_critical_path']}x\n"
        f"   diagnostic, one worker: p50 {single['median_burst']['p50_s']} s ="
        f" {single['median_burst']['p50_x_critical_path']}x the critical path\n"
        f"   diagnostic, run logs off: p50 {diagnostic['median_burst']['p50_s']} s ="
        f" {diagnostic['median_burst']['p50_x_critical_path']}x the critical path"
    )
    print(f"\n3. soak: {SOAK} requests, {SOAK_CONCURRENCY} at a time, streamed and not alternating")
    results["soak"] = three = soak(servers)
    print(table(three["samples"]))
    flat_rss = three["rss_growth_pct"] < RSS_GROWTH_GOAL_PCT
    flat_fds = abs(three["fd_growth"]) <= FD_GROWTH_GOAL
    print(
        f"   RSS {three['rss_growth_pct']:+} % from request {SOAK_SAMPLES[0]} to {SOAK}"
        f"  goal < {RSS_GROWTH_GOAL_PCT:g} %  {verdict(flat_rss)}\n"
        f"   open fds {three['fd_growth']:+}  goal +-{FD_GROWTH_GOAL}  {verdict(flat_fds)}\n"
        f"   {three['requests_per_s']} requests/s; failed or wrong answers: {three['failed_or_wrong']};"
        f" {three['sessions']} sessions and {three['log_dirs']} log folders for {SOAK} requests"
    )
    results["servers"] = [s.report for s in servers]
    print(
        "\nservers stopped: "
        + "; ".join(
            f"exit {r['exit_code']} in {r['stop_s']} s, {r['error_lines']} error lines, {r['tracebacks']} tracebacks"
            for r in results["servers"]
        )
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten to {RESULTS}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--provider":
        provider(float(sys.argv[2]))
    else:
        main()
