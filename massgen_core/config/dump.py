"""Turn a :class:`RunConfig` back into plain, YAML-able data, with secrets masked."""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping
from typing import Any

import attrs

from ..plugin.options import is_secret
from .model import RunConfig

__all__ = ["MASK", "dump_config"]

MASK = "***"


def dump_config(config: RunConfig, *, include_defaults: bool = False) -> dict[str, Any]:
    """``config`` as a plain dict (``name``, ``agents``, ``orchestrator``, ``ui``, ``timeout_settings``).

    Secret options (``api_key`` and any option a plugin marks ``secret``) are replaced by
    ``"***"``. By default only values that differ from their defaults are written (plus each
    agent's ``id`` and backend ``type``), so the result reads like a hand-written config and
    loads back to an equal config (secrets aside).
    """
    agents = []
    for agent in config.agents:
        backend = {
            "type": agent.backend.type,
            **_fields(agent.backend.options, include_defaults),
            **_fields(agent.backend.tools, include_defaults),
        }
        if agent.backend.uploads:  # as written in a config: one {kind}_path entry each, paths absolute
            backend["upload_files"] = [
                {f"{part.kind}_path": part.path or part.url} for part in agent.backend.uploads
            ]
        entry: dict[str, Any] = {"id": agent.id, "backend": backend}
        if agent.system_message is not None:
            entry["system_message"] = agent.system_message
        agents.append(entry)
    out: dict[str, Any] = {"name": config.name} if config.name is not None else {}
    out["agents"] = agents
    for name in ("orchestrator", "ui", "timeout_settings"):
        section = _fields(getattr(config, name), include_defaults)
        if section or include_defaults:
            out[name] = section
    return out


def _fields(instance: Any, include_defaults: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in attrs.fields(type(instance)):
        if not field.init:
            continue
        value = getattr(instance, field.name)
        if not include_defaults and _is_default(field, instance, value):
            continue
        if is_secret(field) and value:
            out[field.name] = MASK
        else:
            out[field.name] = _plain(value, include_defaults)
    return out


def _is_default(field: attrs.Attribute[Any], instance: Any, value: Any) -> bool:
    default = field.default
    if default is attrs.NOTHING:
        return False
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        factory: Any = default
        default = factory.factory(instance) if factory.takes_self else factory.factory()
    try:
        if field.converter is not None and not isinstance(field.converter, attrs.Converter):
            default = field.converter(default)
        return bool(value == default)
    except Exception:
        return False


def _plain(value: Any, include_defaults: bool) -> Any:
    if attrs.has(type(value)):
        return _fields(value, include_defaults)
    if isinstance(value, Mapping):
        return {str(k): _plain(v, include_defaults) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, include_defaults) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((_plain(v, include_defaults) for v in value), key=repr)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, enum.Enum):
        return _plain(value.value, include_defaults)
    return value
