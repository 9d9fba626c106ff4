"""Plugins add ``massgen`` subcommands through ``massgen_commands``, through real entry points."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from massgen_core.testing.cli import MakePlugin, run_massgen

HELLO = """
from massgen_core.plugin import CommandSpec, hookimpl

@hookimpl
def massgen_commands():
    return [CommandSpec(name="hello", help="say hello to NAME", main="hello_cmd:main")]
"""

HELLO_MAIN = """
import sys
from massgen_core import MassgenError

def main(argv):
    if argv == ["--fail"]:
        raise MassgenError("no one to greet: give a NAME")
    print("hello,", " ".join(argv) or "world")
    return 3 if argv == ["three"] else 0
"""


def hello_site(make_plugin: MakePlugin, source: str = HELLO, dist: str = "massgen-hello") -> Path:
    site = make_plugin(dist, dist.removeprefix("massgen-"), source)
    (site / "hello_cmd.py").write_text(HELLO_MAIN)
    return site


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"MASSGEN_CACHE_DIR": str(tmp_path / "cache"), **extra}


def test_a_plugin_command_runs_with_its_arguments_and_exit_status(
    make_plugin: MakePlugin, tmp_path: Path
) -> None:
    site = hello_site(make_plugin)
    ran = run_massgen("hello", "Ada", "Lovelace", pythonpath=site, env=env(tmp_path))
    assert (ran.returncode, ran.stdout) == (0, "hello, Ada Lovelace\n"), ran.stderr
    assert run_massgen("hello", "three", pythonpath=site, env=env(tmp_path)).returncode == 3


def test_a_plugin_command_s_error_is_a_message_not_a_traceback(
    make_plugin: MakePlugin, tmp_path: Path
) -> None:
    ran = run_massgen("hello", "--fail", pythonpath=hello_site(make_plugin), env=env(tmp_path))
    assert ran.returncode == 1
    assert ran.stderr.strip() == "error: no one to greet: give a NAME"


def test_help_lists_plugin_commands_from_the_cache_without_loading_plugins(
    make_plugin: MakePlugin, tmp_path: Path
) -> None:
    site = hello_site(make_plugin)
    listed = run_massgen("--help", pythonpath=site, env=env(tmp_path)).stdout
    assert "massgen hello" in listed and "say hello to NAME (massgen-hello)" in listed
    script = (
        "import sys\nfrom massgen_core.cli import main\nsys.argv = ['massgen', '--help']\n"
        "try: main()\nexcept SystemExit: pass\n"
        "print('LOADED', sorted(m for m in sys.modules if m in ('pluggy', 'hello') or m.startswith('massgen_core.host.plugin')))"
    )
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("MASSGEN_")}
    # no __pycache__ in the site folder: writing one changes its mtime, so the cache key, once
    child_env |= env(tmp_path, PYTHONDONTWRITEBYTECODE="1") | {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    }
    runs = [
        subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, env=child_env, timeout=60
        )
        for _ in range(2)  # the first fills the cache for this interpreter's sys.path
    ]
    assert all("massgen hello" in run.stdout for run in runs), runs[0].stderr
    assert "LOADED ['massgen_core.host.plugin_host', 'pluggy']" in runs[0].stdout, runs[0].stdout[-300:]
    assert "LOADED []" in runs[1].stdout, runs[1].stdout[-300:]


def test_installing_a_plugin_refreshes_the_listed_commands(make_plugin: MakePlugin, tmp_path: Path) -> None:
    site = hello_site(make_plugin)
    assert "massgen hello" in run_massgen("--help", pythonpath=site, env=env(tmp_path)).stdout
    time.sleep(0.01)
    os.utime(site)  # as installing or removing a distribution changes its folder
    (site / "hello_cmd.py").unlink()
    for info in site.glob("massgen_hello-*.dist-info"):
        for file in info.iterdir():
            file.unlink()
        info.rmdir()
    assert "massgen hello" not in run_massgen("--help", pythonpath=site, env=env(tmp_path)).stdout


def test_a_built_in_name_stays_built_in_and_the_plugin_is_reported(
    make_plugin: MakePlugin, tmp_path: Path
) -> None:
    site = hello_site(make_plugin, HELLO.replace('name="hello"', 'name="sessions"'))
    listed = run_massgen("sessions", "--help", pythonpath=site, env=env(tmp_path))
    assert listed.returncode == 0 and "List saved sessions" in listed.stdout
    plugins = {r["name"]: r for r in json.loads(run_massgen("plugins", "--json", pythonpath=site).stdout)}
    assert plugins["hello"]["status"] == "error"
    assert "'sessions' is a built-in massgen subcommand" in plugins["hello"]["error"]


def test_two_plugins_declaring_one_command_get_neither(make_plugin: MakePlugin, tmp_path: Path) -> None:
    hello_site(make_plugin)
    site = make_plugin("massgen-hello2", "hello2", HELLO)
    ran = run_massgen("hello", "x", pythonpath=site, env=env(tmp_path))
    assert ran.returncode == 1 and "Traceback" not in ran.stderr
    assert (
        "declared by the plugins hello and hello2" in ran.stderr and "MASSGEN_DISABLE_PLUGINS" in ran.stderr
    )
    assert "massgen hello" not in run_massgen("--help", pythonpath=site, env=env(tmp_path)).stdout


def test_a_command_name_that_is_not_a_word_is_refused(make_plugin: MakePlugin, tmp_path: Path) -> None:
    site = hello_site(make_plugin, HELLO.replace('name="hello"', 'name="Hello World"'))
    plugins = {r["name"]: r for r in json.loads(run_massgen("plugins", "--json", pythonpath=site).stdout)}
    assert "a command name is a lower-case word" in plugins["hello"]["error"]


def test_a_command_whose_module_does_not_load_says_what_to_reinstall(
    make_plugin: MakePlugin, tmp_path: Path
) -> None:
    site = hello_site(make_plugin, HELLO.replace("hello_cmd:main", "hello_gone:main"))
    ran = run_massgen("hello", pythonpath=site, env=env(tmp_path))
    assert ran.returncode == 1 and "Traceback" not in ran.stderr
    assert "`massgen hello` (plugin hello) could not be loaded: ModuleNotFoundError" in ran.stderr
    assert "massgen install -U massgen-hello" in ran.stderr


def test_a_known_command_without_its_plugin_says_what_to_install(tmp_path: Path) -> None:
    ran = run_massgen("serve", "--config", "team.yaml", env=env(tmp_path, MASSGEN_LOAD_PLUGINS="none"))
    assert ran.returncode == 1
    assert "`massgen serve` comes from the massgen-serve plugin" in ran.stderr
    assert "massgen install massgen-serve" in ran.stderr


def test_a_one_word_question_is_still_a_question(tmp_path: Path) -> None:
    config = Path(__file__).parents[1] / "examples/scripted_three_agents.yaml"
    ran = run_massgen("hello", "--config", str(config), "--no-logs", env=env(tmp_path), cwd=tmp_path)
    assert ran.returncode == 0 and ran.stdout.strip(), ran.stderr
    words = run_massgen("hello", env=env(tmp_path), cwd=tmp_path)  # no config: the run's own usage error
    assert words.returncode == 2 and "give --config FILE" in words.stderr
