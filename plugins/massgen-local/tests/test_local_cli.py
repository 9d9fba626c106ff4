"""The embedded backend end to end: ``massgen`` in a subprocess, offline, with no API key."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from local_testkit import needs_llama_cpp

pytestmark = needs_llama_cpp

EXAMPLE = Path(__file__).parent.parent / "examples" / "embedded_three_agents.yaml"


def massgen(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    return subprocess.run(
        [sys.executable, "-m", "massgen_core", *args, "--no-display", "--no-logs"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_quick_mode_answers(tmp_path: Path) -> None:
    done = massgen(
        "--backend", "llamacpp", "What is the capital of France? Answer in one sentence.", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    assert "llamacpp/SmolLM2-135M-Instruct" in done.stderr


def small_copy(tmp_path: Path) -> Path:
    """The example, with short generations and fixed seeds (and without the test plugin's tool)."""
    from ruamel.yaml import YAML

    data: dict[str, Any] = YAML(typ="safe").load(EXAMPLE.read_text())
    for seed, agent in enumerate(data["agents"]):
        agent["backend"] |= {"max_tokens": 48, "seed": seed, "exclude_tools": ["reverse_text"]}
    copy = tmp_path / EXAMPLE.name
    copy.write_text(json.dumps(data))
    return copy


def test_three_agents_coordinate_to_a_real_answer(tmp_path: Path) -> None:
    config = small_copy(tmp_path)
    done = massgen("--config", str(config), "What is the capital of France?", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    progress = done.stderr
    for agent in ("smol_a", "smol_b", "smol_c"):
        assert f"[{agent}] answer 1 as agent" in progress
    assert "presenting the final answer" in progress
    assert progress.count("voted for") >= 2
