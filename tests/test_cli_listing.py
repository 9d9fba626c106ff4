"""The listing commands as a user runs them: backends, one backend in detail, capabilities."""

from __future__ import annotations

import json

from massgen_core.testing.cli import run_massgen


def test_backends_json_describes_each_type() -> None:
    result = run_massgen("backends", "--json")
    assert result.returncode == 0, result.stderr
    shout = next(b for b in json.loads(result.stdout) if b["type"] == "shout")
    assert shout["distribution"] == "massgen-testplugin" and shout["version"] == "0.3.0"
    assert shout["env"] == ["SHOUT_API_KEY"] and shout["default_model"] == "shout-1"
    assert "filesystem_mcp" in shout["capabilities"]  # implied by mcp: the core serves file tools over MCP
    psychic = next(m for m in shout["models"] if m["name"] == "shout-psychic")
    assert "telepathy" in psychic["capabilities"]


def test_one_backend_in_detail_lists_models_and_options() -> None:
    result = run_massgen("backends", "shout")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "shout: Shout · Test plugin, from massgen-testplugin" in out
    assert "API key: SHOUT_API_KEY" in out
    assert "shout-psychic  +telepathy" in out
    line = next(line for line in out.splitlines() if line.startswith("enable_telepathy"))
    assert "[needs telepathy] Read the user's mind." in line


def test_unknown_backend_type_is_a_clear_error() -> None:
    result = run_massgen("backends", "shuot")
    assert result.returncode == 2
    assert "unknown backend type 'shuot'. Did you mean 'shout'?" in result.stderr
    assert "Traceback" not in result.stderr


def test_capability_kinds_include_plugin_declared_ones() -> None:
    result = run_massgen("capabilities", "--format", "kinds")
    keys = {k["key"] for k in json.loads(result.stdout)}
    assert {"web_search", "mcp", "telepathy"} <= keys
    table = run_massgen("capabilities").stdout
    assert "| **Telepathy** |" in table
