"""``massgen validate``: the file apart from the machine (#28).

Every example config of MassGen v0.1.0 (``tests/massgen_configs/v0.1.0/``, vendored from the
PyPI wheel, see its NOTICE) validates when its backend types are installed: what they need of
the machine (unset variables, context paths and upload files of MassGen's repository, MCP
programs, Docker, API keys) is a warning, and the forms MassGen accepts (AG2's list-form
``llm_config``, ``cache_seed``, security levels it does not know, a top-level ``display:``) are
accepted as MassGen accepts them. Then each kind of warning: exit 0 with the fix at its
``file:line:column``; ``--strict`` and a real run refuse it with the same message; ``--json``.
"""

from __future__ import annotations

import json
import re
import socket
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from massgen_core.host.registry import get_registry
from massgen_core.testing.cli import run_massgen

V010 = Path(__file__).with_name("massgen_configs") / "v0.1.0"
CONFIGS = sorted(p.relative_to(V010).as_posix() for p in V010.rglob("*.yaml"))


def backend_types(path: Path) -> set[str]:
    data: Any = YAML(typ="safe").load(path.read_text())
    agents = data.get("agents") or [data.get("agent") or {"backend": data.get("backend")}]
    return {str((a.get("backend") or {}).get("type")) for a in agents if isinstance(a, dict)}


def test_the_vendored_configs_are_all_of_v010() -> None:
    assert len(CONFIGS) == 118  # every *.yaml under massgen/configs/ of the massgen 0.1.0 wheel
    assert "Apache\nLicense 2.0" in (V010 / "NOTICE").read_text()


@pytest.mark.parametrize("config", CONFIGS)
def test_every_v010_config_whose_backends_are_installed_validates(config: str, tmp_path: Path) -> None:
    missing = backend_types(V010 / config) - set(get_registry().backends)
    if missing:
        pytest.skip(f"backend types not installed: {', '.join(sorted(missing))}")
    out = run_massgen("validate", str(V010 / config), cwd=tmp_path)  # MassGen's resources are not here
    assert out.returncode == 0, out.stdout + out.stderr
    assert "valid:" in out.stdout and "Traceback" not in out.stderr


# -- each kind of warning ---------------------------------------------------------------------
def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "team.yaml"
    path.write_text(text)
    return path


def check_kind(
    tmp_path: Path, text: str, where: str, message: str, env: dict[str, str] | None = None
) -> None:
    """Warned with exit 0; refused by --strict and by a run, with the same message at its position."""
    config = write(tmp_path, text)
    placed = re.compile(rf"team\.yaml:{where}: .*{re.escape(message)}")
    warned = run_massgen("validate", str(config), cwd=tmp_path, env=env)
    assert warned.returncode == 0, warned.stdout + warned.stderr
    lines = [line for line in warned.stdout.splitlines() if placed.search(line)]
    assert len(lines) == 1 and lines[0].startswith("warning: "), warned.stdout
    assert "about this machine, not the file" in warned.stdout and "--strict" in warned.stdout
    for args in (("validate", "--strict", str(config)), ("--config", str(config), "--no-display", "q")):
        refused = run_massgen(*args, cwd=tmp_path, env=env)
        assert refused.returncode == 2 and "Traceback" not in refused.stderr, refused.stderr
        assert refused.stderr.startswith("error: invalid configuration:")
        assert placed.search(refused.stderr), refused.stderr


def test_an_unset_variable(tmp_path: Path) -> None:
    text = "agent:\n  backend:\n    type: scripted\n    model: ${NOT_SET_FOR_MASSGEN_28}\n"
    check_kind(
        tmp_path,
        text,
        "4:12",
        "environment variable NOT_SET_FOR_MASSGEN_28 is not set (set it, put it in .env",
    )


def test_a_missing_context_path(tmp_path: Path) -> None:
    text = "agent: {backend: {type: scripted}}\norchestrator:\n  context_paths:\n    - path: elsewhere/src\n"
    check_kind(tmp_path, text, "4:13", f"context path {tmp_path / 'elsewhere' / 'src'} does not exist")


def test_a_missing_upload_file(tmp_path: Path) -> None:
    text = "agent:\n  backend:\n    type: scripted\n    upload_files:\n      - file_path: notes.md\n"
    check_kind(tmp_path, text, "5:20", "notes.md: no such file (looked for at")


def test_a_missing_upload_file_of_a_kind_the_backend_never_takes_stays_an_error(tmp_path: Path) -> None:
    config = write(
        tmp_path, "agent:\n  backend:\n    type: scripted\n    upload_files:\n      - image_path: a.png\n"
    )
    out = run_massgen("validate", str(config), cwd=tmp_path)
    assert out.returncode == 2, out.stdout
    assert (
        "team.yaml:5:21: agent.backend.upload_files[0].image_path: backend 'scripted' with model 'scripted' does not accept image"
        in out.stderr
    )
    assert "warning: " in out.stderr and "a.png: no such file" in out.stderr  # and, besides, the machine


def test_an_mcp_server_program_not_installed(tmp_path: Path) -> None:
    text = "agent:\n  backend:\n    type: scripted\n    mcp_servers:\n      - name: s\n        command: npx\n"
    check_kind(
        tmp_path, text, "6:18", "command 'npx' was not found (not on PATH", env={"PATH": str(tmp_path)}
    )


def test_no_docker_daemon(tmp_path: Path) -> None:
    pytest.importorskip("docker", reason="the Docker SDK: pip install 'massgen-core[docker]'")
    dead = tmp_path / "dead.sock"
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(dead))  # a socket file nobody accepts on
    listener.close()
    text = (
        "agent:\n  backend:\n    type: scripted\n    enable_mcp_command_line: true\n"
        "    command_line_execution_mode: docker\n"
    )
    env = {"DOCKER_HOST": f"unix://{dead}"}
    check_kind(tmp_path, text, "5:34", f"no Docker daemon answers at unix://{dead}", env=env)


def test_ag2_google_without_the_packages_its_client_needs(tmp_path: Path) -> None:
    if "ag2" not in get_registry().backends:
        pytest.skip("needs massgen-ag2")
    import importlib.util

    if importlib.util.find_spec("vertexai") is not None:
        pytest.skip("google-cloud-aiplatform is installed here")
    text = (
        "agent:\n  backend:\n    type: ag2\n    agent_config:\n      llm_config:\n"
        "        api_type: google\n        model: gemini-2.5-flash\n        api_key: k\n"
    )
    check_kind(tmp_path, text, "6:19", "pip install google-cloud-aiplatform")


def test_a_missing_api_key_is_a_warning_and_an_error_with_strict(tmp_path: Path) -> None:
    if "openai" not in get_registry().backends:
        pytest.skip("needs massgen-openai")
    config = write(tmp_path, "agent: {backend: {type: openai, model: gpt-5-mini}}\n")
    env = {"OPENAI_API_KEY": ""}
    warned = run_massgen("validate", str(config), cwd=tmp_path, env=env)
    assert warned.returncode == 0 and "warning: agent 'agent1' will fail until it has a key" in warned.stdout
    strict = run_massgen("validate", "--strict", str(config), cwd=tmp_path, env=env)
    assert strict.returncode == 2 and "error: agent 'agent1' will fail until it has a key" in strict.stderr


def test_json_lists_the_machine_apart_and_strict_makes_it_invalid(tmp_path: Path) -> None:
    config = write(
        tmp_path,
        "agent:\n  backend:\n    type: scripted\n    model: ${NOT_SET_FOR_MASSGEN_28}\n"
        "orchestrator:\n  context_paths:\n    - path: nowhere\n",
    )
    out = run_massgen("validate", "--json", str(config), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["valid"] and report["issues"] == []
    machine = report["machine"]
    assert [(m["path"], m["line"], m["column"]) for m in machine] == [
        ("agent.backend.model", 4, 12),
        ("orchestrator.context_paths[0].path", 7, 13),
    ]
    assert all(m["file"] == str(config) for m in machine)
    assert len(report["warnings"]) == 2 and "NOT_SET_FOR_MASSGEN_28" in report["warnings"][0]
    strict = run_massgen("validate", "--json", "--strict", str(config), cwd=tmp_path)
    assert strict.returncode == 2
    refused = json.loads(strict.stdout)
    assert not refused["valid"] and refused["machine"] == []
    assert [i["path"] for i in refused["issues"]] == [m["path"] for m in machine]


def test_json_of_an_invalid_file_lists_the_machine_besides(tmp_path: Path) -> None:
    config = write(
        tmp_path, "agent:\n  backend:\n    type: scripted\n    model: ${NOT_SET_FOR_MASSGEN_28}\n  extra: 1\n"
    )
    out = run_massgen("validate", "--json", str(config), cwd=tmp_path)
    assert out.returncode == 2
    report = json.loads(out.stdout)
    assert not report["valid"] and [i["path"] for i in report["issues"]] == ["agent.extra"]
    assert [m["path"] for m in report["machine"]] == ["agent.backend.model"]


# -- the forms MassGen accepts ----------------------------------------------------------------
def validate_json(tmp_path: Path, text: str) -> dict[str, Any]:
    out = run_massgen(
        "validate",
        "--json",
        str(write(tmp_path, text)),
        cwd=tmp_path,
        env={"PATH": str(Path(sys.executable).parent)},
    )
    assert out.returncode == 0, out.stdout + out.stderr
    report: dict[str, Any] = json.loads(out.stdout)
    return report


def test_a_top_level_display_block_is_ignored_as_massgen_ignores_it(tmp_path: Path) -> None:
    report = validate_json(tmp_path, "agent: {backend: {type: scripted}}\ndisplay:\n  type: rich_terminal\n")
    (ignored,) = report["ignored"]
    assert (ignored["path"], ignored["line"], ignored["column"]) == ("display", 2, 1)
    assert "as MassGen ignores it" in ignored["message"] and "under `ui:`" in ignored["message"]


def test_a_security_level_massgen_does_not_know_is_read_as_strict(tmp_path: Path) -> None:
    text = (
        "agent:\n  backend:\n    type: scripted\n    mcp_servers:\n      - name: s\n"
        "        command: python3\n        security: {level: high, allowed_executables: [python3]}\n"
    )
    report = validate_json(tmp_path, text)
    translated = {t["path"]: t["message"] for t in report["translated"]}
    assert (
        "read as strict, as MassGen reads every level but strict, moderate, permissive"
        in translated["agent.backend.mcp_servers[0].security.level"]
    )
    assert "level strict" in translated["agent.backend.mcp_servers[0].security"]


AG2_LIST = """\
agent:
  backend:
    type: ag2
    agent_config:
      llm_config:
        - api_type: openai
          model: gpt-4o
          cache_seed: 42
        - api_type: openai
          model: gpt-4o-mini
"""


def test_ag2_list_form_and_cache_seed(tmp_path: Path) -> None:
    if "ag2" not in get_registry().backends:
        pytest.skip("needs massgen-ag2")
    report = validate_json(tmp_path, AG2_LIST)
    assert report["agents"] == [{"id": "agent1", "type": "ag2", "model": "gpt-4o"}]  # the first entry
    notes = {n["path"]: (n["line"], n["message"]) for n in report["notes"]}
    assert notes["agent.backend.agent_config.llm_config[0].cache_seed"][0] == 8
    assert (
        "AG2's response cache is off here" in notes["agent.backend.agent_config.llm_config[0].cache_seed"][1]
    )
    assert "'gpt-4o-mini'" in notes["agent.backend.agent_config.llm_config[1]"][1]


def test_ag2_list_form_mistakes_stay_errors_at_their_position(tmp_path: Path) -> None:
    if "ag2" not in get_registry().backends:
        pytest.skip("needs massgen-ag2")
    config = write(tmp_path, AG2_LIST.replace("cache_seed: 42", "tempreature: 0.3"))
    out = run_massgen("validate", str(config), cwd=tmp_path)
    assert out.returncode == 2
    assert "team.yaml:8:11: agent.backend.agent_config.llm_config[0].tempreature: unknown key" in out.stderr
    assert "did you mean 'temperature'?" in out.stderr
    empty = write(tmp_path, "agent:\n  backend:\n    type: ag2\n    agent_config:\n      llm_config: []\n")
    out = run_massgen("validate", str(empty), cwd=tmp_path)
    assert out.returncode == 2 and "llm_config: the list is empty" in out.stderr, out.stderr
