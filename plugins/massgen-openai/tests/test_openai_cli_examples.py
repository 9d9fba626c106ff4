"""``massgen --config EXAMPLE "question"`` (and quick mode) against the fake provider.

The CLI runs in-process (``massgen_core.cli.main``) to keep the suite fast; each example is
copied with every agent's ``base_url`` pointed at the fake provider. Azure examples are covered
by ``test_azure_backend`` (the fake serves OpenAI paths only).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from massgen_core.testing.cli import massgen_main
from massgen_core.testing.fake_provider import FakeProviderServer, RecordedRequest, Reply, ToolCall

cli = pytest.importorskip("massgen_core.cli.run", reason="the run command is not available yet")
config = pytest.importorskip("massgen_core.config", reason="the config package is not available yet")
scripted = pytest.importorskip("massgen_core.testing.scripted")

EXAMPLES = sorted(
    p for p in (Path(__file__).parent.parent / "examples").glob("*.yaml") if "azure" not in p.name
)
ANSWER = "Paris is the capital of France."


def coordinating(request: RecordedRequest) -> Reply:
    spec = scripted.coordination_reply(request.last_user_text or "", request.tool_names, answer=ANSWER)
    return Reply(
        spec["text"], tool_calls=[ToolCall(c["name"], c["arguments"]) for c in spec.get("tool_calls", ())]
    )


def pointed_at(path: Path, server: FakeProviderServer, tmp_path: Path) -> Path:
    from ruamel.yaml import YAML

    data: dict[str, Any] = YAML(typ="safe").load(path.read_text())
    agents = data["agents"] if "agents" in data else [data["agent"]]
    for agent in agents:
        agent["backend"] |= {"base_url": server.openai_base_url, "api_key": "test-key"}
    copy = tmp_path / path.name
    copy.write_text(json.dumps(data))  # JSON is YAML
    return copy


@pytest.fixture
def server() -> Any:
    with FakeProviderServer(responder=coordinating) as fake:
        yield fake


def run(
    argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> str:
    monkeypatch.chdir(tmp_path)
    code = massgen_main(*argv, "--no-display", "--no-logs")
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs_from_the_cli(
    path: Path,
    server: FakeProviderServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = run(
        ["--config", str(pointed_at(path, server, tmp_path)), "What is the capital of France?"],
        tmp_path,
        monkeypatch,
        capsys,
    )
    assert out.strip() == ANSWER
    assert server.model_calls()


def test_quick_mode_without_a_config(
    server: FakeProviderServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    out = run(
        [
            "--backend",
            "openai",
            "--model",
            "gpt-5",
            "--base-url",
            server.openai_base_url,
            "Capital of France?",
        ],
        tmp_path,
        monkeypatch,
        capsys,
    )
    assert out.strip() == ANSWER
    assert server.model_calls()[0].path == "/v1/responses"
