"""MassGen configs as MassGen users write them (#15), through the ``massgen`` command.

Every config in ``tests/massgen_configs/`` validates and runs against the fake provider (the
providers' real SDKs over loopback HTTP), with real MCP servers from npm and PyPI where a config
names one: ``${cwd}`` in MCP arguments is the agent's workspace, MCP ``security:`` blocks with
MassGen's keys are enforced with MassGen's meaning, ``text.verbosity`` is checked per model and
value, and the orchestrator and ui keys MassGen configs carry are translated or ignored with a
warning at their position.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp_servers.registry import http_server, npm_servers, time_server

from massgen_core.host.registry import get_registry
from massgen_core.testing.cli import run_massgen
from massgen_core.testing.fake_provider import FakeProviderServer, RecordedRequest, Reply, ToolCall
from massgen_core.testing.scripted import coordination_reply

CONFIGS = Path(__file__).with_name("massgen_configs")
MODELS = ("gpt-4o", "gpt-5-mini", "gemini-2.5-flash", "claude-sonnet-4-20250514")

needs_plugins = pytest.mark.skipif(
    not {"openai", "claude", "gemini"} <= set(get_registry().backends),
    reason="needs massgen-openai, massgen-claude and massgen-gemini",
)


@pytest.fixture
def fake() -> Iterator[FakeProviderServer]:
    with FakeProviderServer(models=MODELS) as server:
        yield server


def provider_env(server: FakeProviderServer, **extra: str) -> dict[str, str]:
    """Every provider's SDK pointed at the fake server, with test keys."""
    return {
        "OPENAI_BASE_URL": server.openai_base_url,
        "OPENAI_API_KEY": "test-key",
        "ANTHROPIC_BASE_URL": server.anthropic_base_url,
        "ANTHROPIC_API_KEY": "test-key",
        "GOOGLE_GEMINI_BASE_URL": server.gemini_base_url,
        "GEMINI_API_KEY": "test-key",
        **extra,
    }


def tools_path() -> str:
    """PATH with the MCP servers from npm and PyPI (installed once into the test cache)."""
    npm_bin = str(npm_servers().bin)
    time_bin = str(Path(time_server()).parent)
    return os.pathsep.join([npm_bin, time_bin, os.environ.get("PATH", "")])


def massgen(
    *args: str, cwd: Path, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return run_massgen(*args, cwd=cwd, env=env, timeout=timeout)


def events_text(run_dir: Path) -> str:
    return "\n".join(p.read_text() for p in (run_dir / ".massgen" / "logs").glob("*/events.jsonl"))


def has_tool_result(request: RecordedRequest) -> bool:
    return any(
        isinstance(item, dict) and item.get("type") == "function_call_output"
        for item in request.json.get("input") or []
    )


def tool_named(request: RecordedRequest, suffix: str) -> str:
    names = [n for n in request.tool_names if n.endswith(suffix)]
    assert names, f"no tool ending in {suffix!r} offered: {request.tool_names}"
    return names[0]


def calls_then(
    calls: Callable[[RecordedRequest], list[ToolCall]], answer: str
) -> Callable[[RecordedRequest], Reply]:
    """A responder: the tool calls on the first turn, then ``answer`` once results came back."""

    def respond(request: RecordedRequest) -> Reply:
        if has_tool_result(request):
            return Reply(answer)
        return Reply("", tool_calls=tuple(calls(request)))

    return respond


# -- the directory --------------------------------------------------------------------------------
def _configs() -> list[Any]:
    """Every config here; Docker mode's need the Docker SDK (the `docker` suite, `nox -s docker`)."""
    return [
        pytest.param(p.name, marks=pytest.mark.docker) if p.name.startswith("docker_") else p.name
        for p in sorted(CONFIGS.glob("*.yaml"))
    ]


@needs_plugins
@pytest.mark.parametrize("config", _configs())
def test_every_massgen_config_validates(config: str, fake: FakeProviderServer, tmp_path: Path) -> None:
    (tmp_path / "project").mkdir()
    env = provider_env(fake, PATH=tools_path(), MCP_EVERYTHING_URL="http://127.0.0.1:3001/mcp")
    out = massgen("validate", "--json", str(CONFIGS / config), cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads(out.stdout)
    assert report["valid"] and not report["warnings"]
    for change in report["translated"] + report["ignored"]:  # each at its file:line:column
        assert change["file"].endswith(config) and change["line"] and change["column"]


def test_the_directory_covers_what_the_issue_asks() -> None:
    texts = {p.name: p.read_text() for p in CONFIGS.glob("*.yaml")}
    every = "\n".join(texts.values())
    assert any("\nagent:" in t for t in texts.values()) and any("\nagents:" in t for t in texts.values())
    for needed in (
        "${cwd}",
        "security:",
        "allow_localhost",
        "level:",
        "verbosity:",
        "upload_files:",
        'command_line_execution_mode: "docker"',
    ):
        assert needed in every, needed


# -- running them -----------------------------------------------------------------------------------
@needs_plugins
def test_single_gpt4o_with_medium_verbosity_runs_and_sends_it(
    fake: FakeProviderServer, tmp_path: Path
) -> None:
    fake.responder = lambda request: Reply("Paris is the capital of France.")
    out = massgen(
        "--config", str(CONFIGS / "single_gpt4o_verbosity.yaml"), "--no-display", "Capital of France?",
        cwd=tmp_path, env=provider_env(fake),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "Paris is the capital of France." in out.stdout
    (call,) = fake.model_calls()
    assert call.model == "gpt-4o" and call.json["text"]["verbosity"] == "medium"
    assert "warning:" not in out.stderr  # everything in it was translated, nothing ignored


@needs_plugins
def test_three_agents_coordinate_with_massgen_orchestrator_keys(
    fake: FakeProviderServer, tmp_path: Path
) -> None:
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "notes.md").write_text("reference\n")
    answers = {
        "gemini-2.5-flash": "Paris.",
        "gpt-5-mini": "The capital of France is Paris.",
        "claude-sonnet-4-20250514": "Paris is the capital of France, on the Seine.",
    }
    fake.responder = lambda r: _coordinating(r, answers)
    out = massgen(
        "--config", str(CONFIGS / "three_agents_gemini_4o_claude.yaml"), "--no-display", "Capital of France?",
        cwd=tmp_path, env=provider_env(fake),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "Paris is the capital of France, on the Seine." in out.stdout
    config = CONFIGS / "three_agents_gemini_4o_claude.yaml"
    for key, line in (("skip_coordination_rounds", 30), ("voting_sensitivity", 31), ("debug", 39)):
        assert f"warning: {config}:{line}:" in out.stderr and key in out.stderr, out.stderr
    assert "timeout_config" not in out.stderr  # translated, not warned about
    assert (tmp_path / "snapshots").is_dir() and (tmp_path / "temp_workspaces").is_dir()
    gpt5 = [c for c in fake.model_calls() if c.model == "gpt-5-mini"]
    assert gpt5 and all(c.json["text"] == {"verbosity": "low"} for c in gpt5)


def _coordinating(request: RecordedRequest, answers: dict[str, str]) -> Reply:
    spec: dict[str, Any] = coordination_reply(
        request.last_user_text or "", request.tool_names, answer=answers[request.model or ""]
    )
    calls = tuple(ToolCall(c["name"], c["arguments"]) for c in spec.get("tool_calls", ()))
    return Reply(spec.get("text", ""), tool_calls=calls)


@needs_plugins
def test_cwd_in_mcp_args_is_the_agents_workspace(fake: FakeProviderServer, tmp_path: Path) -> None:
    workspace = tmp_path / "workspace1"
    target = workspace / "note.txt"
    fake.responder = calls_then(
        lambda r: [
            ToolCall(tool_named(r, "files__write_file"), {"path": str(target), "content": "written"}),
            ToolCall(tool_named(r, "get-env"), {}),
        ],
        "The note is written.",
    )
    # an environment variable named `cwd` is not what ${cwd} means
    env = provider_env(fake, PATH=tools_path(), cwd=str(tmp_path / "elsewhere"))
    out = massgen(
        "--config", str(CONFIGS / "mcp_filesystem_cwd.yaml"), "--no-display", "Write the note",
        cwd=tmp_path, env=env,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "The note is written." in out.stdout
    assert target.read_text() == "written"
    assert not (tmp_path / "elsewhere").exists()
    # the env value (and the server's cwd) got the workspace too
    assert f'AGENT_WORKSPACE\\": \\"{workspace}' in events_text(tmp_path)
    first = fake.model_calls()[0]
    assert "mcp__files__write_file" in first.tool_names and "write_file" not in first.tool_names


@needs_plugins
def test_mcp_security_blocks_let_the_allowed_servers_run(fake: FakeProviderServer, tmp_path: Path) -> None:
    everything = npm_servers().everything
    fake.responder = calls_then(
        lambda r: [
            ToolCall(tool_named(r, "__get_current_time"), {"timezone": "UTC"}),
            ToolCall(tool_named(r, "sum"), {"a": 2, "b": 3}),
        ],
        "Both tools answered.",
    )
    with http_server([everything, "streamableHttp"]) as (url, _process):
        env = provider_env(fake, PATH=tools_path(), MCP_EVERYTHING_URL=url)
        out = massgen(
            "--config", str(CONFIGS / "mcp_security_stdio_and_http.yaml"), "--no-display", "Use the tools",
            cwd=tmp_path, env=env,
        )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "Both tools answered." in out.stdout
    events = events_text(tmp_path)
    assert "The sum of 2 and 3 is 5" in events
    assert '\\"timezone\\": \\"UTC\\"' in events or "UTC" in events


@needs_plugins
def test_uploaded_image_reaches_the_model(fake: FakeProviderServer, tmp_path: Path) -> None:
    fake.responder = lambda request: Reply("A red pixel.")
    out = massgen(
        "--config", str(CONFIGS / "single_image_upload.yaml"), "--no-display", "What is in the picture?",
        cwd=tmp_path, env=provider_env(fake),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "A red pixel." in out.stdout
    (call,) = fake.model_calls()
    assert b"data:image/png;base64," in call.raw_body


@needs_plugins
@pytest.mark.docker
def test_docker_mode_runs_commands_in_a_container(fake: FakeProviderServer, tmp_path: Path) -> None:
    docker = pytest.importorskip("docker", reason="the Docker SDK: pip install 'massgen-core[docker]'")
    try:
        docker.from_env(timeout=30).ping()
    except Exception as exc:  # a failure, not a skip: `nox -s docker` starts the daemon first
        pytest.fail(f"no Docker daemon answers ({exc}): run scripts/docker/ensure_dockerd.sh as root")
    command = "test -f /.dockerenv && echo in-container > from_docker.txt && cat from_docker.txt"
    fake.responder = calls_then(
        lambda r: [ToolCall(tool_named(r, "__execute_command"), {"command": command})], "The command ran."
    )
    out = massgen(
        "--config", str(CONFIGS / "docker_command_line.yaml"), "--no-display", "Run it",
        cwd=tmp_path, env=provider_env(fake), timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "The command ran." in out.stdout
    assert (tmp_path / "workspace_docker" / "from_docker.txt").read_text() == "in-container\n"


# -- refusals, each at its position -----------------------------------------------------------------
SERVER = """\
agent:
  backend:
    type: openai
    model: gpt-5-mini
    mcp_servers:
      - name: s
{server}
"""


def validate_text(
    tmp_path: Path, text: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    full = {"OPENAI_API_KEY": "test-key", "PATH": tools_path(), **(env or {})}
    return massgen("validate", str(path), cwd=tmp_path, env=full)


@needs_plugins
@pytest.mark.parametrize(
    ("server", "where", "message"),
    [
        (  # MassGen's strict level refuses PATH in a server's env
            "        command: mcp-server-time\n        env: {HOME: /opt/home}\n"
            "        security: {level: strict, allowed_executables: [mcp-server-time]}",
            "8",
            "HOME may not be set for this MCP server",
        ),
        (  # allowed_executables replaces the level's list, as in MassGen
            "        command: mcp-server-filesystem\n        args: [/tmp]\n"
            "        security: {allowed_executables: [mcp-server-time], level: moderate}",
            "7",
            "'mcp-server-filesystem' is not an allowed MCP server launcher",
        ),
        (  # MassGen's keys: loopback is refused unless allow_localhost
            "        url: http://localhost:3001/mcp\n        security: {level: moderate}",
            "7",
            "allow_localhost: true",
        ),
        (
            "        url: http://10.0.0.5:3001/mcp\n        security: {allow_localhost: true}",
            "7",
            "a private address; set `allow_private_ips: true`",
        ),
        (  # stricter than MassGen: allow_private_ips does not open cloud metadata addresses
            "        url: http://169.254.169.254/mcp\n        security: {allow_private_ips: true}",
            "7",
            "link-local",
        ),
        (
            "        command: mcp-server-time\n        env: {FOO: bar}\n"
            "        security: {allowed_executables: [mcp-server-time], env: {mode: allowlist, allowed_vars: [TZ]}}",
            "8",
            "FOO is not in the server's",
        ),
        (
            "        command: mcp-server-time\n        env: {TZ: 'UTC; rm -rf /'}\n"
            "        security: {allowed_executables: [mcp-server-time], level: permissive}",
            "8",
            "refuses in env values",
        ),
        (  # unknown keys stay errors, with the nearest valid key
            "        url: http://localhost:3001/mcp\n        security: {allow_local_host: true}",
            "8",
            "did you mean 'allow_localhost'?",
        ),
        (
            "        command: mcp-server-time\n        security: {level: 3}",  # a name it must be
            "8",
            "expected one of strict, moderate, permissive",
        ),
        (
            "        command: mcp-server-time\n        security: {env: {mode: allowlist, allowed: [TZ]}}",
            "8",
            "unknown security.env key 'allowed'",
        ),
    ],
)
def test_mcp_security_refusals_are_placed(tmp_path: Path, server: str, where: str, message: str) -> None:
    out = validate_text(tmp_path, SERVER.format(server=server))
    assert out.returncode != 0
    assert re.search(rf"config\.yaml:{where}:\d+: .*{re.escape(message)}", out.stderr), out.stderr


@needs_plugins
def test_our_own_security_keys_keep_their_meaning(tmp_path: Path) -> None:
    # without MassGen's keys, loopback stays allowed and allowed_executables adds names
    server = (
        "        url: http://127.0.0.1:3001/mcp\n"
        "      - name: t\n        command: mcp-server-time\n        security: {allowed_executables: [other]}"
    )
    out = validate_text(tmp_path, SERVER.format(server=server))
    assert out.returncode == 0, out.stderr
    assert "translated:" not in out.stdout


@needs_plugins
def test_allowed_hostnames_exempt_a_host_from_the_address_checks(tmp_path: Path) -> None:
    server = "        url: http://10.0.0.5:3001/mcp\n        security: {level: strict, allowed_hostnames: [10.0.0.5]}"
    out = validate_text(tmp_path, SERVER.format(server=server))
    assert out.returncode == 0, out.stderr
    assert "exempt hosts: 10.0.0.5" in out.stdout


@needs_plugins
@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (
            "agent:\n  backend:\n    type: openai\n    model: gpt-4o\n    text:\n      verbosity: low\n",
            "6",
            "verbosity 'low' is not accepted by model 'gpt-4o' (it accepts only: medium)",
        ),
        (
            "agent:\n  backend:\n    type: openai\n    model: gpt-5-mini\n  system_message: 'in ${cwd}'\n",
            "5",
            "${cwd} (the agent's workspace",
        ),
        ("models: [gpt-4o]\nagent:\n  backend: {type: openai}\n", "1", "MassGen v1 key"),
        (
            "agent:\n  backend:\n    type: openai\n    context_paths: [{path: .}]\n",
            "4",
            "context paths are the same for every agent here",
        ),
        ("agent:\n  backend: {type: openai}\norchestratr: {}\n", "3", "did you mean 'orchestrator'?"),
        (
            "agent:\n  backend: {type: openai}\nui:\n  display_tipe: simple\n",
            "4",
            "did you mean 'display_type'?",
        ),
        (
            "agent:\n  backend: {type: openai}\nui:\n  type: simple\n  display_type: simple\n",
            "4",
            "`type` is MassGen's older name for `display_type`",
        ),
    ],
)
def test_config_refusals_are_placed(tmp_path: Path, text: str, where: str, message: str) -> None:
    out = validate_text(tmp_path, text)
    assert out.returncode != 0
    assert re.search(rf"config\.yaml:{where}:\d+: .*{re.escape(message)}", out.stderr), out.stderr


@needs_plugins
def test_keys_massgen_injects_into_backends_are_warned_about(tmp_path: Path) -> None:
    text = (
        "agents:\n  - id: a\n    backend:\n      type: openai\n"
        "      agent_temporary_workspace: tmp\n      context_write_access_enabled: true\n"
    )
    out = validate_text(tmp_path, text)
    assert out.returncode == 0, out.stderr
    assert re.search(r"warning: \S*config\.yaml:5:7: .*agent_temporary_workspace.*set it there", out.stdout)
    assert re.search(
        r"warning: \S*config\.yaml:6:7: .*context_write_access_enabled.*permission: write", out.stdout
    )


@needs_plugins
def test_gpt5_accepts_every_verbosity(tmp_path: Path) -> None:
    for value in ("low", "medium", "high"):
        out = validate_text(
            tmp_path,
            f"agent:\n  backend:\n    type: openai\n    model: gpt-5\n    text: {{verbosity: {value}}}\n",
        )
        assert out.returncode == 0, out.stderr
