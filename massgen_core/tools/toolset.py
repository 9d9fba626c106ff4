"""Tools an agent can run: the common interface, and Python function tools.

Every tool (a plugin's Python function, an MCP server's tool, ``execute_command``) is a
:class:`Tool`: a :class:`~massgen_core.plugin.backend.ToolDefinition` the model sees, a ``read_only``
flag (planning mode runs only read-only tools during coordination), and an async call that
returns a :class:`ToolOutput`. A tool never raises into the agent loop: failures become error
outputs the model is told about.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterable, Mapping
from typing import Any, Protocol, runtime_checkable

import attrs

from ..plugin.backend import ToolDefinition
from ..plugin.errors import ToolError
from ..plugin.specs import ToolSpec

__all__ = ["FunctionTool", "Tool", "ToolOutput", "ToolSet", "format_tool_result"]


@attrs.frozen
class ToolOutput:
    """What a tool returns to the model."""

    content: str
    is_error: bool = False


@runtime_checkable
class Tool(Protocol):
    """A tool an agent can call."""

    @property
    def definition(self) -> ToolDefinition: ...

    @property
    def read_only(self) -> bool: ...

    async def call(self, arguments: Mapping[str, Any]) -> ToolOutput: ...


def format_tool_result(value: Any) -> str:
    """Text for the model from a tool's return value."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


class FunctionTool:
    """A :class:`Tool` backed by a Python function (sync or async) from a :class:`ToolSpec`."""

    def __init__(self, spec: ToolSpec) -> None:
        self.spec = spec
        description, parameters = spec.description, spec.parameters
        if parameters is None or not description:
            from ..plugin.function_schema import describe_function

            derived_description, derived_parameters = describe_function(spec.load_function())
            description = description or derived_description
            parameters = derived_parameters if parameters is None else parameters
        self._definition = ToolDefinition(
            name=spec.name, description=description, parameters=dict(parameters)
        )

    @property
    def definition(self) -> ToolDefinition:
        return self._definition

    @property
    def read_only(self) -> bool:
        return self.spec.read_only

    async def call(self, arguments: Mapping[str, Any]) -> ToolOutput:
        if "_raw" in arguments:
            return ToolOutput(f"arguments are not a JSON object: {arguments['_raw']!r}", is_error=True)
        try:
            result = self.spec.load_function()(**arguments)
            if inspect.isawaitable(result):
                result = await result
        except ToolError as exc:
            return ToolOutput(str(exc), is_error=True)
        except TypeError as exc:
            return ToolOutput(f"bad arguments for {self.spec.name}: {exc}", is_error=True)
        except Exception as exc:
            return ToolOutput(f"{self.spec.name} failed: {type(exc).__name__}: {exc}", is_error=True)
        return ToolOutput(format_tool_result(result))


class ToolSet:
    """The tools of one agent, by name, with ``allowed_tools`` / ``exclude_tools`` applied."""

    def __init__(
        self,
        tools: Iterable[Tool] = (),
        *,
        allowed: Iterable[str] | None = None,
        excluded: Iterable[str] = (),
    ) -> None:
        allowed_set = None if allowed is None else set(allowed)
        excluded_set = set(excluded)
        self._tools: dict[str, Tool] = {}
        for tool in tools:
            name = tool.definition.name
            if name in excluded_set or (allowed_set is not None and name not in allowed_set):
                continue
            if name in self._tools:
                raise ToolError(f"two tools are named {name!r}")
            self._tools[name] = tool

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __len__(self) -> int:
        return len(self._tools)

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    @property
    def definitions(self) -> tuple[ToolDefinition, ...]:
        return tuple(t.definition for t in self._tools.values())

    def names(self) -> list[str]:
        return list(self._tools)
