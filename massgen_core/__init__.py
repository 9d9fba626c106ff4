"""MassGen core: many LLM agents, many providers, one question.

The Python API::

    import massgen_core
    result = massgen_core.run_sync("team.yaml", "Why is the sky blue?")
    print(result.final_answer, result.winner)

``run`` (async), ``run_sync``, ``coordinate`` (an async iterator of coordination events),
``Team`` (the same agents for several questions), ``run_batch`` (many questions, an async
iterator of result lines), ``load_config`` and the result types are loaded on first use, so that ``massgen --help`` and
plugin loading stay fast. The events ``coordinate`` yields are in :mod:`massgen_core.events`.
A run's records go where the CLI puts them with ``new_run_id``, ``run_log_dir(config,
run_id)`` (the ``log_dir`` to pass; ``DEFAULT_LOG_ROOT`` is their folder) and ``SessionStore.of(config)`` (its ``create()`` gives the
``session``); ``prepare_command(debug=...)`` sets up the
environment and logging as the built-in commands do; ``async with keep_clients():`` around many
runs on one event loop keeps each agent's provider client, and its connections, from one run to
the next (see :mod:`massgen_core.plugin.clients`); ``remember_secret(value)`` masks a value in everything MassGen prints or writes.
Plugin authors import from :mod:`massgen_core.plugin`; a plugin that runs teams
(a command) also uses this API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .lazy import lazy_attributes
from .version import PLUGIN_API, __version__

if TYPE_CHECKING:
    from .batch.run import run_batch
    from .cli.setup import prepare_command
    from .config import RunConfig, load_config
    from .config.uploads import AttachmentError
    from .plugin.clients import keep_clients
    from .plugin.errors import ConfigError, MassgenError
    from .records.redaction import remember_secret
    from .records.runlog import DEFAULT_LOG_ROOT, new_run_id, run_log_dir
    from .records.sessions import Session, SessionStore
    from .runtime.api import coordinate, run, run_sync
    from .runtime.coordination.result import CoordinationError, RunResult
    from .runtime.team import Team

_LOCATIONS = {
    "AttachmentError": ".config.uploads",
    "prepare_command": ".cli.setup",
    "keep_clients": ".plugin.clients",
    "remember_secret": ".records.redaction",
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
    "Session": ".records.sessions",
    "SessionStore": ".records.sessions",
    "DEFAULT_LOG_ROOT": ".records.runlog",
    "new_run_id": ".records.runlog",
    "run_log_dir": ".records.runlog",
}

__all__ = [
    "DEFAULT_LOG_ROOT",
    "PLUGIN_API",
    "AttachmentError",
    "ConfigError",
    "CoordinationError",
    "MassgenError",
    "RunConfig",
    "RunResult",
    "Session",
    "SessionStore",
    "Team",
    "__version__",
    "coordinate",
    "keep_clients",
    "load_config",
    "new_run_id",
    "prepare_command",
    "remember_secret",
    "run",
    "run_batch",
    "run_log_dir",
    "run_sync",
]


__getattr__, __dir__ = lazy_attributes(__name__, _LOCATIONS, __all__)
