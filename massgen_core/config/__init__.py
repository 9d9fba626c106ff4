"""MassGen configs: load a YAML file (or a mapping), validate it, get a :class:`RunConfig`.

A config has ``agents:`` (a list) or one ``agent:`` — each with ``id``, ``backend`` (``type``,
``model`` and the options the backend's plugin declares) and ``system_message`` — and the
optional sections ``orchestrator:``, ``ui:`` and ``timeout_settings:``. Every problem is a
:class:`~massgen_core.plugin.errors.ConfigError` whose issues carry ``file:line:column``.

Public API::

    load_config(source, *, registry=None, environ=None, base_dir=None) -> RunConfig
    load_config_text(text, *, filename="<string>", ...) -> RunConfig
    single_agent_config(backend_type, model, base_url=None, **options) -> RunConfig
    dump_config(config) -> dict            # secrets masked
    load_dotenv_file(cwd=None) -> list[str]

The heavy parts (ruamel.yaml, cattrs) are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .dump import dump_config
    from .interpolate import load_dotenv_file
    from .loader import ConfigSource, load_config, load_config_text, single_agent_config
    from .model import (
        AgentConfig,
        BackendConfig,
        ContextPathConfig,
        CoordinationConfig,
        OrchestratorConfig,
        RunConfig,
        TimeoutSettings,
        UiConfig,
    )

__all__ = [
    "AgentConfig",
    "BackendConfig",
    "ConfigSource",
    "ContextPathConfig",
    "CoordinationConfig",
    "OrchestratorConfig",
    "RunConfig",
    "TimeoutSettings",
    "UiConfig",
    "dump_config",
    "load_config",
    "load_config_text",
    "load_dotenv_file",
    "single_agent_config",
]

_WHERE = {
    "AgentConfig": "model",
    "BackendConfig": "model",
    "ContextPathConfig": "model",
    "CoordinationConfig": "model",
    "OrchestratorConfig": "model",
    "RunConfig": "model",
    "TimeoutSettings": "model",
    "UiConfig": "model",
    "ConfigSource": "loader",
    "load_config": "loader",
    "load_config_text": "loader",
    "single_agent_config": "loader",
    "dump_config": "dump",
    "load_dotenv_file": "interpolate",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
