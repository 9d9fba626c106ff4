"""A backend with file tools of its own (``filesystem_native``, e.g. Claude Code) does not also get
MassGen's built-in file tools: they would only duplicate its own, which work in the same workspace
under the same rules. Any other backend keeps them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from massgen_core.config import AgentConfig, BackendConfig
from massgen_core.host.plugin_host import PluginHost
from massgen_core.host.registry import Registry
from massgen_core.plugin.hookspecs import hookimpl
from massgen_core.plugin.options import BackendOptions, ToolOptions
from massgen_core.plugin.specs import BackendSpec
from massgen_core.tools.toolbox import agent_toolbox
from massgen_core.tools.workspace import AgentAccess

pytestmark = pytest.mark.anyio

FILE_TOOLS = {"read_file", "write_file"}


def _spec(backend_type: str, *capabilities: str) -> BackendSpec:
    return BackendSpec(
        type=backend_type,
        display_name=backend_type,
        provider="Test",
        factory="nowhere:Backend",
        options=BackendOptions,
        capabilities={"streaming", "tool_calling", *capabilities},
        api_key_required=False,
        default_model="m1",
    )


class Backends:
    @hookimpl
    def massgen_backend_types(self) -> Sequence[BackendSpec]:
        return [_spec("own_files", "filesystem_native"), _spec("no_files")]


@pytest.fixture
def registry() -> Registry:
    host = PluginHost(entry_points=False)
    host.register(Backends(), name="backends")
    return Registry(host)


def _agent(backend_type: str, **tools: object) -> AgentConfig:
    return AgentConfig(
        id="a1",
        backend=BackendConfig(type=backend_type, options=BackendOptions(), tools=ToolOptions(**tools)),  # type: ignore[arg-type]
    )


async def _tool_names(agent: AgentConfig, registry: Registry, workspace: Path) -> set[str]:
    access = AgentAccess("a1", workspace=workspace)
    async with agent_toolbox(agent, host=registry.host, access=access, registry=registry) as box:
        return set(box.tools.names())


async def test_a_backend_with_its_own_file_tools_gets_none_of_massgens(
    registry: Registry, tmp_path: Path
) -> None:
    assert not FILE_TOOLS & await _tool_names(_agent("own_files"), registry, tmp_path)


async def test_any_other_backend_keeps_massgens_file_tools(registry: Registry, tmp_path: Path) -> None:
    assert await _tool_names(_agent("no_files"), registry, tmp_path) >= FILE_TOOLS
    assert not FILE_TOOLS & await _tool_names(_agent("no_files", filesystem_tools="off"), registry, tmp_path)
