"""MassGen core: many LLM agents, many providers, one question.

The Python API::

    import massgen_core
    result = massgen_core.run_sync("team.yaml", "Why is the sky blue?")
    print(result.final_answer, result.winner)

``run`` (async), ``run_sync``, ``coordinate`` (an async iterator of coordination events),
``Team`` (the same agents for several questions), ``run_batch`` (many questions, an async
iterator of result lines), ``load_config`` and the result types are loaded on first use, so that ``massgen --help`` and
plugin loading stay fast. Plugin authors import from :mod:`massgen_core.plugin`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .lazy import lazy_attributes
from .version import __version__

if TYPE_CHECKING:
    from .batch.run import run_batch
    from .config import RunConfig, load_config
    from .plugin.errors import ConfigError, MassgenError
    from .runtime.api import coordinate, run, run_sync
    from .runtime.coordination.result import CoordinationError, RunResult
    from .runtime.team import Team

_LOCATIONS = {
    "run": ".runtime.api",
    "run_sync": ".runtime.api",
    "Team": ".runtime.team",
    "coordinate": ".runtime.api",
    "run_batch": ".batch.run",
    "load_config": ".config",
    "RunConfig": ".config",
    "RunResult": ".runtime.coordination.result",
    "CoordinationError": ".runtime.coordination.result",
    "ConfigError": ".plugin.errors",
    "MassgenError": ".plugin.errors",
}

__all__ = [
    "ConfigError",
    "CoordinationError",
    "MassgenError",
    "RunConfig",
    "RunResult",
    "Team",
    "__version__",
    "coordinate",
    "load_config",
    "run",
    "run_batch",
    "run_sync",
]


__getattr__, __dir__ = lazy_attributes(__name__, _LOCATIONS, __all__)
