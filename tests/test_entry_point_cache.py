"""The entry-point cache: a warm start skips importlib.metadata, and installs invalidate it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from massgen_core.host.entry_points import FoundEntryPoint, cache_dir
from massgen_core.testing.cli import MakePlugin, run_massgen

GOOD = """
from massgen_core.plugin import BackendOptions, BackendSpec, hookimpl

@hookimpl
def massgen_backend_types():
    return [BackendSpec(type="goodone", display_name="Good", provider="Acme", factory="m:Backend",
                        options=BackendOptions, capabilities={"streaming"}, api_key_required=False)]
"""
PROBE = """
import json, sys
from massgen_core.host.plugin_host import get_host
host = get_host()
print(json.dumps({
    "plugins": sorted(r.name for r in host.records.values() if r.ok),
    "metadata_imported": "importlib.metadata" in sys.modules,
    "email_imported": "email" in sys.modules,
}))
"""


def probe(cache: Path, **env: str) -> dict[str, object]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MASSGEN_")}
    full_env.update({"MASSGEN_CACHE_DIR": str(cache), **env})
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, env=full_env
    )
    result: dict[str, object] = json.loads(out.stdout)
    return result


def plugin_names(cache: Path, site: Path) -> list[str]:
    result = run_massgen("plugins", "--json", env={"MASSGEN_CACHE_DIR": str(cache)}, pythonpath=site)
    assert result.returncode == 0, result.stderr
    return sorted(p["name"] for p in json.loads(result.stdout))


def test_a_warm_start_finds_the_same_plugins_without_importlib_metadata(tmp_path: Path) -> None:
    cold = probe(tmp_path)
    assert cold["metadata_imported"] is True
    assert list(tmp_path.glob("entry-points-*.json"))
    warm = probe(tmp_path)
    assert warm["plugins"] == cold["plugins"]
    assert "testplugin" in warm["plugins"]
    assert warm["metadata_imported"] is False and warm["email_imported"] is False


def test_installing_and_removing_a_plugin_invalidates_the_cache(
    tmp_path: Path, make_plugin: MakePlugin
) -> None:
    cache = tmp_path / "cache"
    site = make_plugin("goodplugin", "good", GOOD)
    assert "good" in plugin_names(cache, site)
    make_plugin("otherplugin", "other", GOOD.replace("goodone", "otherone"))
    assert {"good", "other"} <= set(plugin_names(cache, site))
    shutil.rmtree(site / "goodplugin-1.0.dist-info")
    names = plugin_names(cache, site)
    assert "other" in names and "good" not in names


def test_the_cache_can_be_turned_off(tmp_path: Path) -> None:
    result = probe(tmp_path, MASSGEN_PLUGIN_CACHE="0")
    assert result["metadata_imported"] is True
    assert not list(tmp_path.glob("entry-points-*"))


@pytest.mark.parametrize("damage", ["garbage", "wrong-shape", "unwritable"])
def test_a_damaged_or_unwritable_cache_is_ignored(tmp_path: Path, damage: str) -> None:
    cache = tmp_path / "cache"
    expected = probe(tmp_path / "fresh")["plugins"]
    if damage == "unwritable":
        cache.write_text("a file where the cache folder should be")
    else:
        probe(cache)
        (file,) = cache.glob("entry-points-*.json")
        file.write_text("{not json" if damage == "garbage" else json.dumps({"key": None, "entry_points": 3}))
    assert probe(cache)["plugins"] == expected
    if damage != "unwritable":
        assert probe(cache)["metadata_imported"] is False  # rewritten by the run before


def test_found_entry_points_load_dotted_attributes_and_ignore_extras() -> None:
    ep = FoundEntryPoint(
        "x", "massgen_core.host.plugin_host:PluginHost.register [extra]", "massgen-core", "0"
    )
    from massgen_core.host.plugin_host import PluginHost

    assert ep.load() is PluginHost.register
    assert (
        FoundEntryPoint("y", "massgen_core.host.builtin", None, None).load().__name__
        == "massgen_core.host.builtin"
    )


def test_cache_dir_follows_the_environment() -> None:
    assert cache_dir({"MASSGEN_CACHE_DIR": "/a/b"}) == "/a/b"
    assert cache_dir({"XDG_CACHE_HOME": "/x"}) == "/x/massgen"
    assert cache_dir({}).endswith("/.cache/massgen")
