"""The secrets of a config, remembered so that massgen masks them wherever it prints or writes
(see :mod:`massgen_core.records.redaction`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ..plugin.options import is_secret
from ..records.redaction import remember_data, remember_environment, remember_secret

if TYPE_CHECKING:
    from ..host.registry import Registry
    from .model import RunConfig

__all__ = ["remember_config"]


def remember_config(
    data: Any = None,
    *,
    config: RunConfig | None = None,
    registry: Registry | None = None,
    environ: Mapping[str, str] | None = None,
    secrets: Iterable[str] = (),
) -> None:
    """Remember a config's secrets.

    :param data: the config as plain data (after ``${VAR}`` interpolation): values under
        credential-named keys, URL passwords and credential query values.
    :param config: a loaded config: its backends' secret options (``api_key``, plugin options
        marked ``secret``), URLs in any option, and its MCP servers' credentials.
    :param registry: with ``environ``: every installed backend's API-key variables.
    :param secrets: values known to be secret (e.g. what the loader collected).
    """
    for value in secrets:
        remember_secret(value)
    if data is not None:
        remember_data(data)
    if config is not None:
        for agent in config.agents:
            options = agent.backend.options
            for field in attrs.fields(type(options)):
                option_value = getattr(options, field.name, None)
                if is_secret(field):
                    remember_secret(option_value)
                else:
                    remember_data(option_value, field.name)
            remember_data(agent.backend.tools.mcp_servers)
    if environ is not None:
        names: set[str] = set()
        if registry is not None:
            names = {n for entry in registry.backends.values() for n in entry.spec.api_key_env}
        remember_environment(environ, names)
