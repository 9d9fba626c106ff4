"""Helpers for testing plugins through the real ``massgen`` command and real entry points.

:func:`run_massgen` runs ``python -m massgen_core`` in a fresh process, so plugin discovery is
exactly what a user gets; :func:`interrupt_massgen` stops one with a signal once it has got
somewhere, as Ctrl-C does. :func:`write_distribution` writes a synthetic installed distribution
(a module plus a ``*.dist-info`` folder with an ``entry_points.txt``) into a folder that can be
put on ``PYTHONPATH``: ``importlib.metadata`` finds it like any installed package, so broken or
conflicting plugins can be tested without installing them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

__all__ = [
    "MakePlugin",
    "interrupt_massgen",
    "massgen_main",
    "run_massgen",
    "stop_process",
    "write_distribution",
]

#: ``make_plugin(dist, entry_name, source)``: the ``make_plugin`` fixture's type.
MakePlugin = Callable[..., Path]


def run_massgen(
    *args: str,
    env: Mapping[str, str] | None = None,
    pythonpath: Path | None = None,
    cwd: Path | None = None,
    input: str | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run ``massgen ARGS`` in a subprocess; ``MASSGEN_*`` variables of this process are dropped."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MASSGEN_")}
    full_env.update(env or {})
    if pythonpath is not None:
        full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(pythonpath), full_env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "massgen_core", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        input=input,
        timeout=timeout,
    )


def stop_process(process: subprocess.Popen[str], timeout: float = 15) -> int:
    """Stop ``process`` as Ctrl-C does (SIGINT), killing it if it is still there after ``timeout``
    seconds; returns its exit status."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def interrupt_massgen(
    *args: str,
    until: Callable[[], bool],
    sig: signal.Signals = signal.SIGINT,
    cwd: Path | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run ``massgen ARGS`` in a subprocess until ``until()`` holds (polled; the command must still
    be running then, within ``timeout`` seconds), send it ``sig`` and wait for it to exit."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASSGEN_")}
    command = [sys.executable, "-m", "massgen_core", *args]
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + timeout
        while not until():
            if process.poll() is not None:
                out, err = process.communicate()
                raise AssertionError(f"massgen exited with {process.returncode} first:\n{out}\n{err}")
            if time.monotonic() > deadline:
                raise AssertionError(f"not there after {timeout:g} s")
            time.sleep(0.05)
        process.send_signal(sig)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return subprocess.CompletedProcess(command, process.returncode, out, err)


def massgen_main(*args: str) -> int:
    """Run ``massgen ARGS`` in this process (faster; plugins as this process loaded them);
    returns the exit status. Output goes to this process's stdout and stderr."""
    from ..cli import main

    return main(list(args))


def write_distribution(
    site: Path,
    dist: str,
    entry_name: str,
    source: str,
    *,
    version: str = "1.0",
    module: str | None = None,
    requires: Sequence[str] = (),
) -> Path:
    """Write module ``source`` as distribution ``dist`` with a ``massgen`` entry point; returns ``site``.

    :param requires: its ``Requires-Dist`` lines, e.g. ``["massgen-core>=0.1,<0.2"]``.
    """
    module = module or dist.replace("-", "_")
    site.mkdir(parents=True, exist_ok=True)
    (site / f"{module}.py").write_text(textwrap.dedent(source))
    info = site / f"{module}-{version}.dist-info"
    info.mkdir()
    dependencies = "".join(f"Requires-Dist: {line}\n" for line in requires)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n{dependencies}")
    (info / "entry_points.txt").write_text(f"[massgen]\n{entry_name} = {module}\n")
    return site
