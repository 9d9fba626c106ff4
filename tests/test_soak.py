"""A short soak (``benchmarks/soak.py``): 30 coordinations of 3 agents in one ``Team``, with 10%
of the model requests failing (429, 5xx, dropped streams). All complete (the core retries the
faults) and no file descriptor leaks."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from reliability_support import needs_openai

pytestmark = [
    needs_openai,
    pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc"),
    pytest.mark.timeout(300),
]


def soak_module() -> ModuleType:
    path = Path(__file__).parents[1] / "benchmarks" / "soak.py"
    spec = importlib.util.spec_from_file_location("massgen_soak", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_thirty_coordinations_with_faults_complete_without_leaking_file_descriptors() -> None:
    figures = asyncio.run(soak_module().soak(30, fault_rate=0.1, seed=18, warmup=10))
    assert figures["completed"] == 30
    assert sum(figures["faults_injected"].values()) >= 10  # the faults really happened
    assert figures["end"]["open_fds"] <= figures["after_warmup"]["open_fds"]
    assert figures["after_close"]["open_fds"] <= figures["start"]["open_fds"]
