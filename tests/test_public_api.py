"""The public surfaces stay what they claim: everything exported resolves (what plugins may
import is checked by test_plugin_boundaries)."""

from __future__ import annotations

import pytest

import massgen_core
import massgen_core.events
import massgen_core.plugin


@pytest.mark.parametrize(
    "module", [massgen_core, massgen_core.plugin, massgen_core.events], ids=lambda m: m.__name__
)
def test_every_exported_name_resolves(module: object) -> None:
    for name in module.__all__:  # type: ignore[attr-defined]
        assert getattr(module, name) is not None, name
