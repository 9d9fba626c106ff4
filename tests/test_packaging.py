"""The packages as users get them: wheels built from this tree, installed into a fresh venv.

The core and massgen-openai, built with ``uv build``, go into a new venv with nothing else but
their dependencies (no other provider SDK); the installed ``massgen`` runs a team against the
fake provider. ``massgen install`` / ``uninstall`` then add and remove a plugin built from a tiny
project (with uv and with pip), and a plugin made for an older core, installed with
``--no-deps``, is listed as incompatible while runs keep working. Run by ``nox -s packaging``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from massgen_core import __version__
from massgen_core.testing.cli import stop_process
from massgen_core.testing.fake_provider import FakeProviderServer, RecordedRequest, Reply, ToolCall
from massgen_core.testing.scripted import coordination_reply

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[1]
SCRIPTED = ROOT / "examples" / "scripted_three_agents.yaml"
OTHER_SDKS = ("anthropic", "google-genai", "autogen", "ag2", "claude-agent-sdk", "xllamacpp")

TINY_PLUGIN = """
from massgen_core.plugin import BackendOptions, BackendSpec, hookimpl

@hookimpl
def massgen_backend_types():
    return [BackendSpec(type="{type}", display_name="Tiny", provider="Acme", factory="{module}:Backend",
                        options=BackendOptions, capabilities={{"streaming"}}, api_key_required=False)]
"""


def uv() -> str:
    found = shutil.which("uv")
    if found is None:
        pytest.fail("these tests need uv on PATH (`nox -s packaging` installs it)")
    return found


def run(*command: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    """Run ``command``; its stdout, or a failure showing its output."""
    proc = subprocess.run(
        [str(c) for c in command], capture_output=True, text=True, env=env, cwd=cwd, timeout=300
    )
    assert proc.returncode == 0, f"{command} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def tiny_project(folder: Path, dist: str, version: str, requires: str, backend_type: str) -> Path:
    """A minimal plugin project as a third party writes one (no py.typed, no URLs)."""
    module = dist.replace("-", "_")
    (folder / module).mkdir(parents=True)
    (folder / module / "__init__.py").write_text(TINY_PLUGIN.format(type=backend_type, module=module))
    (folder / "pyproject.toml").write_text(
        textwrap.dedent(f"""
        [project]
        name = "{dist}"
        version = "{version}"
        dependencies = ["{requires}"]
        [project.entry-points.massgen]
        {backend_type} = "{module}"
        [build-system]
        requires = ["hatchling>=1.25"]
        build-backend = "hatchling.build"
        """)
    )
    return folder


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Wheels and sdists of massgen-core, massgen-openai, massgen-serve and two tiny plugins."""
    out = tmp_path_factory.mktemp("dist")
    for package in ("massgen-core", "massgen-openai", "massgen-serve"):
        run(uv(), "build", "--quiet", "--package", package, "--out-dir", out, cwd=ROOT)
    projects = tmp_path_factory.mktemp("projects")
    for project in (
        tiny_project(projects / "tiny", "massgen-tiny", "1.2.0", "massgen-core>=0.1,<0.2", "tiny"),
        tiny_project(projects / "old", "massgen-old", "0.0.9", "massgen-core<0.1", "old"),
    ):
        run(uv(), "build", "--quiet", "--wheel", "--out-dir", out, project)
    return out


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, dist: Path) -> Path:
    """A fresh venv (with pip) holding the built massgen-core and massgen-openai and their
    dependencies, nothing else."""
    return fresh_venv(
        tmp_path_factory.mktemp("venv") / "venv", dist, "massgen-core", "massgen-openai", pip=True
    )


def fresh_venv(location: Path, dist: Path, *packages: str, pip: bool = False) -> Path:
    """A new venv at ``location`` (with pip in it when ``pip``), holding ``packages`` as built in
    ``dist`` and their dependencies; returns ``location``."""
    run(uv(), "venv", "--quiet", *(["--seed"] if pip else []), "--python", sys.executable, location)
    python = location / "bin" / "python"
    run(uv(), "pip", "install", "--quiet", "--python", python, "--find-links", dist, *packages)
    return location


def massgen(venv: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The venv's own ``massgen`` script, in a clean environment (no PYTHONPATH, no MASSGEN_*)."""
    full_env = {
        k: v for k, v in os.environ.items() if not k.startswith(("MASSGEN_", "PYTHON", "VIRTUAL_ENV"))
    }
    full_env.update({"MASSGEN_CACHE_DIR": str(venv.parent / "cache"), **env})
    return subprocess.run(
        [str(venv / "bin" / "massgen"), *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=venv.parent,
        timeout=300,
    )


def plugins(venv: Path) -> dict[str, dict[str, Any]]:
    result = massgen(venv, "plugins", "--json")
    assert result.returncode == 0, result.stderr
    return {p["distribution"]: p for p in json.loads(result.stdout)}


def installed(venv: Path) -> set[str]:
    listing = run(uv(), "pip", "list", "--format", "json", "--python", venv / "bin" / "python")
    return {p["name"] for p in json.loads(listing)}


def test_the_built_packages_pass_the_distribution_checks_and_a_third_party_one_does_not(dist: Path) -> None:
    run(sys.executable, ROOT / "scripts" / "check_dists.py", dist, "massgen-core", "massgen-openai")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_dists.py"), str(dist), "massgen-tiny"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    for problem in ("a wheel and an sdist are needed",):
        assert problem in proc.stderr
    (dist / "massgen_tiny-1.2.0.tar.gz").touch()  # an sdist beside it: now the wheel itself is checked
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_dists.py"), str(dist), "massgen-tiny"],
        capture_output=True,
        text=True,
    )
    (dist / "massgen_tiny-1.2.0.tar.gz").unlink()
    for problem in (
        "no License-Expression",
        "no Homepage project URL",
        "no massgen_tiny/py.typed",
        "classifiers",
    ):
        assert problem in proc.stderr


def test_core_and_one_plugin_install_from_the_built_wheels_with_only_that_plugins_sdk(venv: Path) -> None:
    names = installed(venv)
    assert {"massgen-core", "massgen-openai", "openai"} <= names
    assert not names & set(OTHER_SDKS), names & set(OTHER_SDKS)
    assert not names & {"massgen-claude", "massgen-gemini", "massgen-testplugin"}
    listed = plugins(venv)
    assert listed["massgen-openai"]["status"] == "loaded"
    assert listed["massgen-openai"]["version"] == "0.1.0"
    assert listed["massgen-openai"]["requires"] == "massgen-core<0.2,>=0.1"
    assert listed["massgen-core"]["status"] == "builtin"
    code = "import massgen_core, massgen_openai; print(massgen_core.__file__)"
    location = run(venv / "bin" / "python", "-c", code, cwd=venv.parent)
    assert location.startswith(str(venv)), location  # the installed wheel, not this tree


ANSWERS = {"m-0": "Paris.", "m-1": "The capital of France is Paris."}


def respond(request: RecordedRequest) -> Reply:
    spec = coordination_reply(
        request.last_user_text or "", request.tool_names, answer=ANSWERS[request.model or ""]
    )
    calls = tuple(ToolCall(c["name"], c["arguments"]) for c in spec.get("tool_calls", ()))
    return Reply(spec.get("text", ""), tool_calls=calls)


def write_team(folder: Path, server: FakeProviderServer) -> Path:
    """Two massgen-openai agents on the fake provider; the longer answer wins."""
    agents = [
        {
            "id": model,
            "backend": {"type": kind, "model": model, "base_url": server.openai_base_url, "api_key": "k"},
        }
        for model, kind in zip(ANSWERS, ("openai", "chatcompletion"), strict=True)
    ]
    config = folder / "team.yaml"
    config.write_text(json.dumps({"agents": agents, "ui": {"display_type": "simple"}}))
    return config


def test_the_installed_massgen_runs_a_team_against_the_fake_provider(venv: Path) -> None:
    answers = ANSWERS
    with FakeProviderServer(responder=respond, models=list(answers)) as server:
        config = write_team(venv.parent, server)
        result = massgen(venv, "--config", str(config), "--no-display", "What is the capital of France?")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "The capital of France is Paris."
    assert {r.model for r in server.requests} == set(answers)


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_massgen_install_and_uninstall_a_built_plugin(venv: Path, dist: Path, installer: str) -> None:
    offline = ["--offline"] if installer == "uv" else ["--no-index"]  # extra installer options pass through
    result = massgen(
        venv, "install", *offline, "--find-links", str(dist), "massgen-tiny", MASSGEN_INSTALLER=installer
    )
    assert result.returncode == 0, result.stderr
    assert (
        f"{installer} " in result.stderr.splitlines()[0]
        or f"-m {installer} " in result.stderr.splitlines()[0]
    )
    assert str(venv / "bin" / "python") in result.stderr.splitlines()[0]
    tiny = plugins(venv)["massgen-tiny"]
    assert (tiny["status"], tiny["version"]) == ("loaded", "1.2.0")
    backends = massgen(venv, "backends", "--json")
    assert "tiny" in {b["type"] for b in json.loads(backends.stdout)}

    result = massgen(venv, "uninstall", "massgen-tiny", MASSGEN_INSTALLER=installer)
    assert result.returncode == 0, result.stderr
    assert "massgen-tiny" not in plugins(venv)
    assert "massgen-tiny" not in installed(venv)


def test_a_failed_install_exits_with_the_installers_status(venv: Path, dist: Path) -> None:
    result = massgen(venv, "install", "--offline", "--find-links", str(dist), "massgen-no-such-plugin")
    assert result.returncode != 0
    assert "massgen-no-such-plugin" in result.stderr and "Traceback" not in result.stderr


@pytest.fixture
def old_plugin(venv: Path, dist: Path) -> Iterator[None]:
    """massgen-old (needs massgen-core<0.1), installed with --no-deps as pip would allow."""
    result = massgen(venv, "install", "--offline", "--no-deps", "--find-links", str(dist), "massgen-old")
    assert result.returncode == 0, result.stderr
    yield
    assert massgen(venv, "uninstall", "massgen-old").returncode == 0


@pytest.mark.usefixtures("old_plugin")
def test_an_installed_plugin_for_another_core_is_listed_as_incompatible_and_runs_still_work(
    venv: Path,
) -> None:
    listed = plugins(venv)
    old = listed["massgen-old"]
    assert old["status"] == "incompatible"
    assert f"massgen-old 0.0.9 needs massgen-core<0.1; this is massgen-core {__version__}" in old["error"]
    assert listed["massgen-openai"]["status"] == "loaded"
    result = massgen(venv, "--config", str(SCRIPTED), "--no-display", "What is the capital of France?")
    assert result.returncode == 0, result.stderr
    assert "Paris" in result.stdout


def test_installing_a_plugin_for_another_core_with_its_dependencies_is_refused(
    venv: Path, dist: Path
) -> None:
    result = massgen(venv, "install", "--offline", "--find-links", str(dist), "massgen-old")
    assert result.returncode != 0
    assert "massgen-core" in result.stderr
    assert "massgen-old" not in installed(venv)
    assert "massgen-core" in installed(venv)


def test_the_readmes_install_lines_work_as_written(tmp_path: Path) -> None:
    """The README's lines after `nox -s build`, run verbatim by bash in a folder whose dist/
    holds what they install, built as `nox -s build` builds it (that session itself runs in CI)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Install\n", 1)[1].split("```bash\n", 1)[1].split("\n```", 1)[0]
    lines = block.splitlines()
    assert any("nox -s build" in line for line in lines[:2]), lines
    commands = [line.split("  #", 1)[0].strip() for line in lines[2:]]
    assert commands[0].startswith("python3 -m venv .venv"), commands
    wanted = [word for line in commands for word in line.split() if word.startswith("massgen-")]
    assert {"massgen-core", "massgen-claude"} <= set(wanted), commands
    for package in wanted:
        run(
            uv(),
            "build",
            "--quiet",
            "--wheel",
            "--package",
            package,
            "--out-dir",
            tmp_path / "dist",
            cwd=ROOT,
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MASSGEN_", "PYTHON", "VIRTUAL_ENV"))}
    env["MASSGEN_CACHE_DIR"] = str(tmp_path / "cache")
    run(
        "bash", "-euc", "\n".join([*commands, "massgen plugins --json > plugins.json"]), env=env, cwd=tmp_path
    )
    listed = {p["distribution"]: p for p in json.loads((tmp_path / "plugins.json").read_text())}
    for package in set(wanted) - {"massgen-core"}:
        assert listed[package]["status"] == "loaded", listed[package]


@pytest.fixture(scope="module")
def serve_venv(tmp_path_factory: pytest.TempPathFactory, dist: Path) -> Path:
    """A fresh venv of the built massgen-core, massgen-serve and massgen-openai: the issue's
    ``pip install massgen-core massgen-serve`` plus a backend plugin."""
    location = tmp_path_factory.mktemp("serve-venv") / "venv"
    return fresh_venv(location, dist, "massgen-core", "massgen-serve", "massgen-openai")


def test_the_installed_massgen_serve_answers_the_openai_sdk_and_plain_http(serve_venv: Path) -> None:
    import httpx2
    import openai

    assert {"massgen-serve", "uvicorn", "starlette", "uvloop", "httptools"} <= installed(serve_venv)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MASSGEN_", "PYTHON", "VIRTUAL_ENV"))}
    with FakeProviderServer(responder=respond, models=list(ANSWERS)) as server:
        config = write_team(serve_venv.parent, server)
        process = subprocess.Popen(
            [serve_venv / "bin" / "massgen", "serve", "--config", config, "--port", "0", "--workers", "2"],
            cwd=serve_venv.parent,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert process.stdout is not None
            banner = process.stdout.readline()
            assert " on http://127.0.0.1:" in banner, process.stderr.read() if process.stderr else banner
            url = banner.split(" on ", 1)[1].split("/v1", 1)[0]
            reply = openai.OpenAI(base_url=f"{url}/v1", api_key="unused").chat.completions.create(
                model="team", messages=[{"role": "user", "content": "What is the capital of France?"}]
            )
            plain = httpx2.post(
                f"{url}/v1/chat/completions",
                json={"model": "team", "messages": [{"role": "user", "content": "And of Italy?"}]},
                timeout=60,
            ).json()
        finally:
            stopped = stop_process(process, timeout=30)
    err = process.stderr.read() if process.stderr else ""
    assert reply.choices[0].message.content == ANSWERS["m-1"]
    assert plain["choices"][0]["message"]["content"] == ANSWERS["m-1"]
    assert plain["massgen"]["winner"] == "m-1"
    assert stopped == 130 and "Traceback" not in err
