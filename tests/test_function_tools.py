"""Python tools declared from a plain typed function: name, description and JSON Schema from its
signature and docstring, and the agent loop calling it."""

from __future__ import annotations

import enum
from typing import Any, Literal

import pytest

from massgen_core.plugin.function_schema import docstring_parts
from massgen_core.plugin.messages import Message
from massgen_core.plugin.specs import ToolSpec
from massgen_core.runtime.agent import Agent
from massgen_core.testing.scripted import ScriptedBackend
from massgen_core.testing.scripted_options import ScriptedOptions
from massgen_core.tools.toolset import FunctionTool, ToolSet


class Unit(enum.Enum):
    C = "celsius"
    F = "fahrenheit"


def weather(city: str, days: int = 1, unit: Unit = Unit.C, detail: Literal["short", "long"] = "short") -> str:
    """Forecast for a city.

    Longer text that is not the summary.

    :param city: the city's name, e.g. Paris.
    :param days: how many days ahead
        (continued on the next line).
    """
    return f"{city}: sunny for {days} day(s) in {unit.value}, {detail}"


async def lookup(keys: list[str], default: str | None = None) -> dict[str, Any]:
    """Look keys up.

    Args:
        keys: the keys to look up.
        default (str): what missing keys map to.
    """
    return {k: default for k in keys}


def test_the_schema_comes_from_the_signature_and_the_docstring() -> None:
    definition = FunctionTool(ToolSpec.from_function(weather, read_only=True)).definition
    assert definition.name == "weather"
    assert definition.description == "Forecast for a city."
    params = definition.parameters
    assert params["type"] == "object" and params["required"] == ["city"]
    props = params["properties"]
    assert props["city"] == {"type": "string", "description": "the city's name, e.g. Paris."}
    assert props["days"]["type"] == "integer" and props["days"]["default"] == 1
    assert props["days"]["description"] == "how many days ahead (continued on the next line)."
    assert props["detail"]["enum"] == ["short", "long"]
    assert "celsius" in str(params)  # the enum's values, wherever pydantic puts its definition


def test_google_style_docstrings_and_optional_values() -> None:
    definition = FunctionTool(ToolSpec.from_function(lookup, name="lookup_keys")).definition
    assert definition.name == "lookup_keys" and definition.description == "Look keys up."
    props = definition.parameters["properties"]
    assert props["keys"]["type"] == "array" and props["keys"]["items"] == {"type": "string"}
    assert props["keys"]["description"] == "the keys to look up."
    assert props["default"]["description"] == "what missing keys map to."
    assert definition.parameters["required"] == ["keys"]


def test_explicit_description_and_parameters_win() -> None:
    spec = ToolSpec(name="w", function=weather, description="mine", parameters={"type": "object"})
    assert FunctionTool(spec).definition.description == "mine"
    assert FunctionTool(spec).definition.parameters == {"type": "object"}


def test_docstring_without_summary() -> None:
    assert docstring_parts(":param a: the a") == ("", {"a": "the a"})
    assert docstring_parts(None) == ("", {})


@pytest.mark.anyio
async def test_the_agent_calls_a_function_tool_with_the_models_arguments() -> None:
    backend = ScriptedBackend(
        ScriptedOptions(
            replies=[
                {"tool_calls": [{"name": "weather", "arguments": {"city": "Lyon", "days": 2}}]},
                {"tool_calls": [{"name": "lookup", "arguments": {"keys": ["a"]}}]},
                "done",
            ]
        )
    )
    tools = ToolSet(
        [FunctionTool(ToolSpec.from_function(weather)), FunctionTool(ToolSpec.from_function(lookup))]
    )
    events = [e async for e in Agent("a", backend, tools=tools).run([Message.user("q")])]
    assert events[-1].text == "done"
    results = [p.content for m in backend.requests[2].messages for p in m.tool_results_parts]
    assert results == ["Lyon: sunny for 2 day(s) in celsius, short", '{"a": null}']
    assert [t.name for t in backend.requests[0].tools] == ["weather", "lookup"]
