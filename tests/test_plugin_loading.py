"""Plugin discovery through real entry points, isolation of broken plugins, and the env switches."""

from __future__ import annotations

import json
import types

import pytest

from massgen_core.host.plugin_host import PluginHost, host_from_env
from massgen_core.host.registry import Registry
from massgen_core.plugin.errors import PluginError
from massgen_core.testing.cli import MakePlugin, run_massgen

GOOD = """
from massgen_core.plugin import BackendOptions, BackendSpec, hookimpl

@hookimpl
def massgen_backend_types():
    return [BackendSpec(type="goodone", display_name="Good", provider="Acme",
                        factory="goodplugin_impl:Backend", options=BackendOptions,
                        capabilities={"streaming"}, api_key_required=False, default_model="g1")]
"""

BROKEN_CASES = {
    "import-error": ("import this_module_does_not_exist\n", "import failed: ModuleNotFoundError"),
    "unknown-hook": (
        "from massgen_core.plugin import hookimpl\n@hookimpl\ndef massgen_backend_typos():\n    return []\n",
        "unknown hook(s) massgen_backend_typos",
    ),
    "extra-argument": (
        "from massgen_core.plugin import hookimpl\n@hookimpl\ndef massgen_backend_types(surprise):\n    return []\n",
        "invalid hooks",
    ),
    "hook-raises": (
        "from massgen_core.plugin import hookimpl\n@hookimpl\ndef massgen_backend_types():\n    raise RuntimeError('boom')\n",
        "massgen_backend_types raised RuntimeError: boom",
    ),
    "wrong-type": (
        "from massgen_core.plugin import hookimpl\n@hookimpl\ndef massgen_backend_types():\n    return ['not a spec']\n",
        "returned str, expected BackendSpec",
    ),
    "unknown-capability": (
        "from massgen_core.plugin import BackendOptions, BackendSpec, hookimpl\n"
        "@hookimpl\ndef massgen_backend_types():\n"
        "    return [BackendSpec(type='x', display_name='X', provider='X', factory='m:a',\n"
        "            options=BackendOptions, capabilities={'levitation'})]\n",
        "unknown capability kind(s) levitation",
    ),
}


def test_test_plugin_is_found_through_its_entry_point() -> None:
    host = PluginHost()
    record = host.records["testplugin"]
    assert (record.status, record.distribution, record.version) == ("loaded", "massgen-testplugin", "0.3.0")
    assert record.hooks == ["massgen_backend_types", "massgen_capability_kinds", "massgen_tools"]
    registry = Registry(host)
    assert registry.backends["shout"].distribution == "massgen-testplugin"
    assert "telepathy" in registry.kinds


def test_builtins_register_as_ordinary_plugins() -> None:
    host = PluginHost(entry_points=False)
    record = host.records["massgen_core.host.builtin"]
    assert record.status == "builtin" and record.distribution == "massgen-core"
    assert "scripted" in Registry(host).backends


@pytest.mark.parametrize("case", sorted(BROKEN_CASES))
def test_a_broken_plugin_is_reported_and_the_others_work(make_plugin: MakePlugin, case: str) -> None:
    source, expected = BROKEN_CASES[case]
    site = make_plugin("broken-plugin", "broken", source)
    make_plugin("goodplugin", "good", GOOD)

    result = run_massgen("plugins", "--json", pythonpath=site)
    assert result.returncode == 0, result.stderr
    records = {r["name"]: r for r in json.loads(result.stdout)}
    assert records["broken"]["distribution"] == "broken-plugin"
    assert expected in (records["broken"]["error"] or "")
    assert records["good"]["status"] == "loaded" and records["good"]["error"] is None
    assert records["testplugin"]["status"] == "loaded"

    backends = run_massgen("backends", "--json", pythonpath=site)
    assert backends.returncode == 0, backends.stderr
    types = {b["type"] for b in json.loads(backends.stdout)}
    assert {"goodone", "shout", "scripted"} <= types


def test_strict_mode_makes_a_broken_plugin_fatal(make_plugin: MakePlugin) -> None:
    site = make_plugin("broken-plugin", "broken", BROKEN_CASES["import-error"][0])
    result = run_massgen("backends", pythonpath=site, env={"MASSGEN_STRICT_PLUGINS": "1"})
    assert result.returncode != 0
    assert "plugin 'broken' (broken-plugin): import failed: ModuleNotFoundError" in result.stderr
    assert "Traceback" not in result.stderr


def test_two_plugins_claiming_one_backend_type_is_a_reported_conflict(make_plugin: MakePlugin) -> None:
    clash = GOOD.replace('type="goodone"', 'type="shout"')
    site = make_plugin("shout-clone", "shoutclone", clash)
    result = run_massgen("backends", "--json", pythonpath=site)
    data = json.loads(result.stdout)
    assert data["conflicts"] == [{"type": "shout", "plugins": ["shoutclone", "testplugin"]}]
    assert "shout" not in {b["type"] for b in data["backends"]}

    plugins = {r["name"]: r for r in json.loads(run_massgen("plugins", "--json", pythonpath=site).stdout)}
    assert "also declared by testplugin" in plugins["shoutclone"]["error"]

    validate = run_massgen("--backend", "shout", "hello", pythonpath=site)
    assert validate.returncode != 0
    assert "declared by more than one plugin" in validate.stderr
    assert "MASSGEN_DISABLE_PLUGINS" in validate.stderr


def test_the_same_entry_point_name_twice_is_reported(make_plugin: MakePlugin) -> None:
    site = make_plugin("another-testplugin", "testplugin", GOOD)
    records = json.loads(run_massgen("plugins", "--json", pythonpath=site).stdout)
    statuses = sorted((r["distribution"], r["status"]) for r in records if r["name"] == "testplugin")
    # one of the two is loaded, the other is reported, never silently dropped
    assert len([r for r in records if r["name"] == "testplugin"]) >= 1
    errors = [r["error"] for r in records if r["name"] == "testplugin" and r["error"]]
    assert errors and "already registered as 'testplugin'" in errors[0], statuses


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"MASSGEN_LOAD_PLUGINS": ""}, {"testplugin": "skipped", "good": "skipped"}),
        ({"MASSGEN_LOAD_PLUGINS": "goodplugin"}, {"testplugin": "skipped", "good": "loaded"}),
        ({"MASSGEN_LOAD_PLUGINS": "testplugin,good"}, {"testplugin": "loaded", "good": "loaded"}),
        ({"MASSGEN_DISABLE_PLUGINS": "massgen-testplugin"}, {"testplugin": "disabled", "good": "loaded"}),
        ({"MASSGEN_DISABLE_PLUGINS": "good, testplugin"}, {"testplugin": "disabled", "good": "disabled"}),
    ],
)
def test_load_and_disable_switches(
    make_plugin: MakePlugin, env: dict[str, str], expected: dict[str, str]
) -> None:
    site = make_plugin("goodplugin", "good", GOOD)
    records = {
        r["name"]: r for r in json.loads(run_massgen("plugins", "--json", pythonpath=site, env=env).stdout)
    }
    assert {name: records[name]["status"] for name in expected} == expected
    assert records["massgen_core.host.builtin"]["status"] == "builtin"


def test_host_from_env_reads_the_switches() -> None:
    host = host_from_env({"MASSGEN_DISABLE_PLUGINS": "testplugin", "MASSGEN_STRICT_PLUGINS": "1"})
    assert host.strict and host.records["testplugin"].status == "disabled"


def test_strict_host_raises_on_hook_failure() -> None:
    from massgen_core.plugin.hookspecs import hookimpl

    plugin = types.ModuleType("raising")

    @hookimpl
    def massgen_backend_types() -> list[object]:
        raise ValueError("bad")

    plugin.massgen_backend_types = massgen_backend_types  # type: ignore[attr-defined]
    host = PluginHost(entry_points=False, strict=True)
    host.register(plugin, name="raising")
    with pytest.raises(PluginError, match="massgen_backend_types raised ValueError: bad"):
        Registry(host)


def test_plugins_table_output_lists_errors(make_plugin: MakePlugin) -> None:
    site = make_plugin("broken-plugin", "broken", BROKEN_CASES["import-error"][0])
    result = run_massgen("plugins", pythonpath=site)
    assert result.returncode == 0
    line = next(line for line in result.stdout.splitlines() if line.startswith("broken "))
    assert "failed" in line and "ModuleNotFoundError" in line
