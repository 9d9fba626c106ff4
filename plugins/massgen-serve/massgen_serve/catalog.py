"""The teams a server serves: each config is a model, named by its ``name:`` key, else its file stem.

``massgen serve --config FILE_OR_FOLDER`` (repeatable): a folder stands for every ``*.yaml``
and ``*.yml`` file in it. Every config is loaded and validated before the server starts, with
the CLI's file:line:column errors; two configs with the same name are refused (rename one, or
give it a ``name:``). Their backends (and provider SDKs) are imported then too, so a broken
install is refused before the port opens, and no first request waits for imports.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import attrs
import massgen_core

__all__ = ["Catalog", "ServedModel", "load_catalog"]


@attrs.frozen(kw_only=True)
class ServedModel:
    """A team served as one model."""

    name: str
    config: massgen_core.RunConfig
    source: Path

    @property
    def agents(self) -> tuple[str, ...]:
        return self.config.agent_ids


@attrs.frozen(kw_only=True)
class Catalog:
    """The served models by name, and when they were loaded (the models' ``created``)."""

    models: dict[str, ServedModel]
    created: int = attrs.field(factory=lambda: int(time.time()))

    @property
    def names(self) -> list[str]:
        return sorted(self.models)


def config_files(paths: Sequence[str | Path]) -> list[Path]:
    """The config files ``paths`` name: files as given, folders as their YAML files (sorted)."""
    files: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
            if not found:
                raise massgen_core.MassgenError(f"--config {given}: the folder holds no *.yaml or *.yml file")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise massgen_core.MassgenError(f"--config {given}: no such file or folder")
    return files


def load_catalog(paths: Sequence[str | Path]) -> Catalog:
    """Load every config ``paths`` name (see the module docstring).

    :raises ConfigError: a config is invalid (file:line:column).
    :raises MassgenError: a path does not exist, two configs have the same name, or a backend
        is installed but cannot be imported.
    """
    models: dict[str, ServedModel] = {}
    for file in config_files(paths):
        config = massgen_core.load_config(file)
        name = config.name or file.stem
        if name in models:
            raise massgen_core.MassgenError(
                f"two configs are served as the model {name!r}: {models[name].source} and {file}; "
                f"rename one, or give one a `name:` key"
            )
        massgen_core.Team(config).load_backends()
        models[name] = ServedModel(name=name, config=config, source=file)
    if not models:
        raise massgen_core.MassgenError("no team to serve: give --config FILE (or a folder of configs)")
    return Catalog(models=models)
