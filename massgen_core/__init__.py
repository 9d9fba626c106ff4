"""MassGen core: many LLM agents, many providers, one question.

The Python API::

    import massgen_core
    result = massgen_core.run_sync("team.yaml", "Why is the sky blue?")
    print(result.final_answer, result.winner)

``run`` (async), ``run_sync``, ``coordinate`` (an async iterator of coordination events),
``load_config`` and the result types are loaded on first use, so that ``massgen --help`` and
plugin loading stay fast. Plugin authors import from :mod:`massgen_core.plugin`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .api import coordinate, run, run_sync
    from .config import RunConfig, load_config
    from .coordination.result import CoordinationError, RunResult
    from .errors import ConfigError, MassgenError

_LOCATIONS = {
    "run": ".api",
    "run_sync": ".api",
    "coordinate": ".api",
    "load_config": ".config",
    "RunConfig": ".config",
    "RunResult": ".coordination.result",
    "CoordinationError": ".coordination.result",
    "ConfigError": ".errors",
    "MassgenError": ".errors",
}

__all__ = [
    "ConfigError",
    "CoordinationError",
    "MassgenError",
    "RunConfig",
    "RunResult",
    "__version__",
    "coordinate",
    "load_config",
    "run",
    "run_sync",
]


def __getattr__(name: str) -> Any:
    module = _LOCATIONS.get(name)
    if module is None:
        raise AttributeError(f"module 'massgen_core' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
