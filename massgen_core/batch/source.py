"""A batch's config, in a form that can be sent to other processes and loaded there.

The local engine uses the loaded :class:`RunConfig`; the Ray engine sends a
:class:`ConfigSource` to its workers, which load it themselves: the YAML text (or the mapping)
with its ``${VAR}`` references resolved from the worker's environment, so API keys travel as
environment variables (:func:`needed_env`), never inside the task's arguments.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from ..config.model import RunConfig
    from ..host.registry import Registry

__all__ = ["ConfigSource", "needed_env"]

_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)")


@attrs.frozen(kw_only=True)
class ConfigSource:
    """What a worker loads: YAML ``text`` (named ``filename`` in errors), or a ``mapping``, or a
    built ``config`` (sent as it is, with any ``api_key`` written in it: give a file or a mapping
    with ``${VAR}`` references to keep keys out of the tasks' arguments); relative paths resolve
    against ``base_dir``."""

    base_dir: str
    text: str | None = None
    filename: str = "<config>"
    mapping: Mapping[str, Any] | None = None
    config: RunConfig | None = None

    @classmethod
    def of(cls, config: RunConfig | Mapping[str, Any] | str | os.PathLike[str]) -> ConfigSource:
        """The source of a config given as a file path, a mapping or a :class:`RunConfig`."""
        from ..config.model import RunConfig

        base = str(Path.cwd())
        if isinstance(config, RunConfig):
            return cls(base_dir=base, config=config)
        if isinstance(config, Mapping):
            return cls(base_dir=base, mapping=dict(config))
        path = Path(config)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            return cls(base_dir=base, text=str(config))  # YAML text, or a missing file: load() says which
        return cls(base_dir=base, text=text, filename=str(path))

    def load(
        self, *, registry: Registry | None = None, environ: Mapping[str, str] | None = None
    ) -> RunConfig:
        """The validated config (raises ``ConfigError`` with ``file:line:column``)."""
        from ..config.loader import load_config, load_config_text
        from ..runtime.team import resolve_config

        if self.config is not None:
            return resolve_config(self.config, registry=registry, environ=environ)
        if self.mapping is not None:
            return load_config(self.mapping, registry=registry, environ=environ, base_dir=self.base_dir)
        assert self.text is not None
        return load_config_text(
            self.text, filename=self.filename, registry=registry, environ=environ, base_dir=self.base_dir
        )

    def referenced_env(self) -> set[str]:
        """The ``${VAR}`` names in the source."""
        if self.text is not None:
            return set(_REFERENCE.findall(self.text))
        if self.mapping is not None:
            return set(_REFERENCE.findall(repr(self.mapping)))
        return set()


def needed_env(
    source: ConfigSource, config: RunConfig, registry: Registry, environ: Mapping[str, str]
) -> dict[str, str]:
    """The variables of ``environ`` a worker needs to run ``config``: the ``${VAR}`` references,
    each agent's backend's API-key and base-URL variables, and ``MASSGEN_*`` settings."""
    names = source.referenced_env()
    for agent in config.agents:
        entry = registry.backends.get(agent.backend.type)
        if entry is not None:
            names |= set(entry.spec.api_key_env) | set(entry.spec.base_url_env)
    names |= {n for n in environ if n.startswith("MASSGEN_")}
    return {n: environ[n] for n in sorted(names) if n in environ}
