"""The defects a third-party plugin author hit (issue #11), each reproduced as a user would.

Each test names its defect number. Plugins are synthetic installed distributions
(:func:`~massgen_core.testing.cli.write_distribution`) found through their real entry points, and
the CLI runs in a fresh process (:func:`~massgen_core.testing.cli.run_massgen`).
"""

from __future__ import annotations

import json
import types
from pathlib import Path

import pytest

from massgen_core.host.plugin_host import PluginHost, PluginRecord
from massgen_core.host.registry import Registry
from massgen_core.testing.cli import MakePlugin, run_massgen

# -- 1: a failing massgen_tools hook is reported at run time -----------------------------------------

RAISING_TOOLS = """
from massgen_core.plugin import hookimpl

@hookimpl
def massgen_tools(context):
    raise RuntimeError("no tools today")
"""

WRONG_TYPE_TOOLS = """
from massgen_core.plugin import hookimpl

@hookimpl
def massgen_tools(context):
    return ["not a tool"]
"""


def _run_log(cwd: Path) -> str:
    (run,) = (cwd / ".massgen" / "logs").iterdir()
    return (run / "massgen.log.jsonl").read_text()


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (RAISING_TOOLS, "massgen_tools raised RuntimeError: no tools today"),
        (WRONG_TYPE_TOOLS, "massgen_tools returned str, expected ToolSpec or McpServerSpec"),
    ],
)
def test_1_a_failing_tools_hook_is_a_warning_at_run_time(
    make_plugin: MakePlugin, tmp_path: Path, source: str, expected: str
) -> None:
    site = make_plugin("massgen-badtools", "badtools", source)
    result = run_massgen("--backend", "scripted", "--no-display", "hello", pythonpath=site, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "hello"  # the agent still runs, without the plugin's tools
    warning = next(line for line in result.stderr.splitlines() if "plugin 'badtools'" in line)
    assert expected in warning and "warning" in warning
    assert "Traceback" not in result.stderr
    records = [json.loads(line) for line in _run_log(tmp_path).splitlines()]
    logged = [r for r in records if r.get("plugin") == "badtools" and r["level"] == "warning"]
    assert logged and expected in logged[0]["event"]


def test_1_debug_shows_the_traceback_of_the_failing_hook(make_plugin: MakePlugin, tmp_path: Path) -> None:
    site = make_plugin("massgen-badtools", "badtools", RAISING_TOOLS)
    result = run_massgen(
        "--backend", "scripted", "--no-display", "--debug", "hi", pythonpath=site, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" in result.stderr and 'raise RuntimeError("no tools today")' in result.stderr


def test_1_massgen_plugins_says_tool_hooks_are_checked_at_run_time(make_plugin: MakePlugin) -> None:
    """`massgen plugins` cannot call massgen_tools (its answer depends on the agent): it reports the
    import and the declarations, and its help says where tool-hook failures go."""
    site = make_plugin("massgen-badtools", "badtools", RAISING_TOOLS)
    records = {r["name"]: r for r in json.loads(run_massgen("plugins", "--json", pythonpath=site).stdout)}
    assert records["badtools"]["status"] == "loaded" and records["badtools"]["hooks"] == ["massgen_tools"]
    help_text = " ".join(run_massgen("plugins", "--help").stdout.split())  # as read, not as wrapped
    assert "massgen_tools" in help_text and "at run time" in help_text


# -- 2: a declaration error is never shown as "loaded" -----------------------------------------------

BAD_DECLARATION = """
from massgen_core.plugin import BackendOptions, BackendSpec, hookimpl

@hookimpl
def massgen_backend_types():
    return ["not a spec", BackendSpec(type="halfgood", display_name="H", provider="H",
            factory="m:a", options=BackendOptions, capabilities={"streaming"}, api_key_required=False,
            default_model="h1")]
"""


def test_2_a_plugin_with_a_declaration_error_has_status_error(make_plugin: MakePlugin) -> None:
    site = make_plugin("massgen-halfgood", "halfgood", BAD_DECLARATION)
    records = {r["name"]: r for r in json.loads(run_massgen("plugins", "--json", pythonpath=site).stdout)}
    assert records["halfgood"]["status"] == "error"
    assert "returned str, expected BackendSpec" in records["halfgood"]["error"]
    table = run_massgen("plugins", pythonpath=site).stdout
    line = next(line for line in table.splitlines() if line.startswith("halfgood "))
    assert " error " in line and " loaded " not in line
    # what it declared correctly still works
    types_ = {b["type"] for b in json.loads(run_massgen("backends", "--json", pythonpath=site).stdout)}
    assert "halfgood" in types_


# -- 4: the type of a plugin that failed to load -----------------------------------------------------


def test_4_the_type_of_a_plugin_that_failed_to_import_names_the_plugin_and_its_error(
    make_plugin: MakePlugin,
) -> None:
    site = make_plugin("massgen-acme", "acme", "import acme_sdk_that_is_missing\n")
    result = run_massgen("--backend", "acme", "hi", pythonpath=site)
    assert result.returncode == 2
    assert "plugin 'acme' (massgen-acme 1.0), which may provide it, failed to load" in result.stderr
    assert "ModuleNotFoundError: No module named 'acme_sdk_that_is_missing'" in result.stderr
    assert "massgen install massgen-openai" not in result.stderr

    listing = run_massgen("backends", "acme", pythonpath=site)
    assert listing.returncode == 2 and "which may provide it, failed to load" in listing.stderr


def test_4_a_known_type_of_a_failed_first_party_plugin_is_attributed_for_sure() -> None:
    host = PluginHost(entry_points=False)
    record = PluginRecord("gemini", status="failed", distribution="massgen-gemini", version="0.1.0")
    record.errors.append("import failed: ImportError: cannot import name 'x'")
    host.records[record.name] = record
    message = Registry(host).unknown_type_message("gemini")
    assert message.startswith(
        "backend type 'gemini' is not available: plugin 'gemini' (massgen-gemini 0.1.0)"
    )
    assert "which provides it, failed to load: import failed: ImportError" in message
    assert "massgen install -U massgen-gemini" in message


def test_4_a_known_type_whose_plugin_is_not_installed_says_what_to_install() -> None:
    message = Registry(PluginHost(entry_points=False)).unknown_type_message("claude_code")
    assert "massgen install massgen-claude" in message and "massgen-openai" not in message


def test_4_a_disabled_plugin_is_named(make_plugin: MakePlugin) -> None:
    site = make_plugin("massgen-acme", "acme", "import acme_sdk_that_is_missing\n")
    result = run_massgen("--backend", "acme", "hi", pythonpath=site, env={"MASSGEN_DISABLE_PLUGINS": "acme"})
    assert (
        "plugin 'acme' (massgen-acme 1.0), which may provide it, is disabled by MASSGEN_DISABLE_PLUGINS"
        in (result.stderr)
    )


def test_4_a_rejected_declaration_says_why() -> None:
    from massgen_core.plugin import BackendOptions, BackendSpec, hookimpl

    plugin = types.ModuleType("levitating")

    @hookimpl
    def massgen_backend_types() -> list[BackendSpec]:
        return [
            BackendSpec(
                type="floaty",
                display_name="F",
                provider="F",
                factory="m:a",
                options=BackendOptions,
                capabilities={"levitation"},
            )
        ]

    plugin.massgen_backend_types = massgen_backend_types  # type: ignore[attr-defined]
    host = PluginHost(entry_points=False)
    host.register(plugin, name="levitating")
    message = Registry(host).unknown_type_message("floaty")
    assert "plugin 'levitating' declares it, but the declaration was rejected" in message
    assert "unknown capability kind(s) levitation" in message


# -- 5: backends TYPE --json --------------------------------------------------------------------------


def test_5_one_backend_as_json() -> None:
    result = run_massgen("backends", "shout", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["type"] == "shout" and data["default_model"] == "shout-1"
    psychic = next(m for m in data["models"] if m["name"] == "shout-psychic")
    assert "telepathy" in psychic["capabilities"]
    shout1 = next(m for m in data["models"] if m["name"] == "shout-1")
    assert (shout1["input_price"], shout1["output_price"]) == (1.0, 2.0)
    options = {o["name"]: o for o in data["options"]}
    assert options["enable_telepathy"] == {
        "name": "enable_telepathy",
        "type": "bool",
        "default": False,
        "required": False,
        "help": "Read the user's mind.",
        "requires": "telepathy",
        "secret": False,
    }
    assert options["api_key"]["secret"] is True


# -- 6: ToolContext.model with the backend's default model -------------------------------------------

RECORDING_TOOLS = """
import os
from massgen_core.plugin import hookimpl

@hookimpl
def massgen_tools(context):
    with open(os.environ["TOOLCTX_OUT"], "a") as f:
        f.write(f"{context.agent_id} {context.backend_type} {context.model}\\n")
    return []
"""


def test_6_tool_context_model_is_the_backends_default_model(make_plugin: MakePlugin, tmp_path: Path) -> None:
    site = make_plugin("massgen-recorder", "recorder", RECORDING_TOOLS)
    out = tmp_path / "ctx.txt"
    result = run_massgen(
        "--backend",
        "scripted",
        "--no-display",
        "hi",
        pythonpath=site,
        cwd=tmp_path,
        env={"TOOLCTX_OUT": str(out)},
    )
    assert result.returncode == 0, result.stderr
    assert out.read_text().splitlines() == ["agent1 scripted scripted"]  # scripted's default_model


# -- 8: a backend that reports no usage --------------------------------------------------------------

QUIET_BACKEND = """
from massgen_core.plugin import BackendOptions, BackendSpec, Done, MessageBuilder, TextDelta, hookimpl

class Quiet:
    def __init__(self, options, context):
        pass

    async def stream(self, request):
        builder = MessageBuilder()
        builder.text("hush")
        yield TextDelta("hush")
        yield Done(stop_reason="end_turn", message=builder.build())

    async def aclose(self):
        pass

@hookimpl
def massgen_backend_types():
    return [BackendSpec(type="quiet", display_name="Quiet", provider="Quiet", factory="massgen_quiet:Quiet",
                        options=BackendOptions, capabilities={"streaming"}, api_key_required=False,
                        default_model="q1")]
"""


def test_8_usage_a_backend_did_not_report_is_unknown_not_zero(
    make_plugin: MakePlugin, tmp_path: Path
) -> None:
    site = make_plugin("massgen-quiet", "quiet", QUIET_BACKEND)
    result = run_massgen("--backend", "quiet", "--no-display", "hi", pythonpath=site, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "hush"
    total = next(line for line in result.stderr.splitlines() if line.startswith("total "))
    assert total.split() == ["total", "1", "0", "unknown", "1", "unknown"]
    assert "$0.0000" not in result.stderr and " 0/0 " not in result.stderr
    (run,) = (tmp_path / ".massgen" / "logs").iterdir()
    usage = json.loads((run / "result.json").read_text())["total_usage"]
    assert usage["input_tokens"] is None and usage["output_tokens"] is None and usage["cost"] is None
    assert usage["requests"] == 1 and usage["unreported_requests"] == 1


@pytest.mark.anyio
async def test_8_the_python_api_result_says_usage_is_unknown() -> None:
    from massgen_core.config import single_agent_config
    from massgen_core.runtime.team import Team

    module = types.ModuleType("massgen_quiet")
    exec(QUIET_BACKEND, module.__dict__)  # the same plugin, registered in-process
    import sys

    sys.modules["massgen_quiet"] = module
    try:
        host = PluginHost(entry_points=False)
        host.register(module, name="quiet")
        registry = Registry(host)
        config = single_agent_config("quiet", None, registry=registry)
        async with Team(config, registry=registry) as team:
            result = await team.run("hi")
    finally:
        del sys.modules["massgen_quiet"]
    totals = result.usage["agent1"]
    assert (totals.requests, totals.unreported, totals.known, totals.cost) == (1, 1, False, None)
    assert result.cost is None and not result.total_usage.known


# -- 9: a capability error on one model names the backend's models that have it ----------------------


def test_9_a_capability_of_other_models_of_the_backend_names_those_models(tmp_path: Path) -> None:
    config = tmp_path / "team.yaml"
    config.write_text(
        "agents:\n  - id: a\n    backend:\n      type: shout\n      model: shout-1\n      enable_telepathy: true\n"
    )
    result = run_massgen("validate", str(config), env={"SHOUT_API_KEY": "x"})
    assert result.returncode == 2
    assert "models of 'shout' that have it: shout-psychic" in result.stderr
    assert "backends with it: shout" not in result.stderr


# -- 10: backends with an unknown type is not a configuration error ---------------------------------


def test_10_backends_with_an_unknown_type_does_not_mention_a_config() -> None:
    result = run_massgen("backends", "nonexistent")
    assert result.returncode == 2
    assert result.stderr.startswith("error: unknown backend type 'nonexistent'.")
    assert "configuration" not in result.stderr and "<config>" not in result.stderr


# -- 11: a failed agent is labelled with the real reason ---------------------------------------------


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_11_a_single_agent_auth_failure_is_labelled_authentication(tmp_path: Path) -> None:
    config = _write(
        tmp_path / "one.yaml",
        "agents:\n  - id: solo\n    backend:\n      type: scripted\n"
        "      replies: [{error: {kind: authentication, message: 'bad key'}}]\n",
    )
    result = run_massgen("--config", str(config), "--no-display", "hi", cwd=tmp_path)
    assert result.returncode != 0
    assert "[solo] FAILED (authentication): bad key" in result.stderr
    assert "no_answer" not in result.stderr


def test_11_the_summary_table_says_why_an_agent_failed(tmp_path: Path) -> None:
    config = _write(
        tmp_path / "two.yaml",
        "agents:\n"
        "  - id: good\n    backend: {type: scripted, then: coordinate, answer: Paris}\n"
        "  - id: lost\n    backend:\n      type: scripted\n"
        "      replies: [{error: {kind: model_not_found, message: 'no such model'}}]\n",
    )
    result = run_massgen("--config", str(config), "--no-display", "capital?", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "[lost] FAILED (model_not_found): no such model" in result.stderr
    row = next(line for line in result.stderr.splitlines() if line.startswith("lost "))
    assert "failed (model not found)" in row
