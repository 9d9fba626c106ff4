"""The plugin contract as a third-party author meets it: what validation tells them about their
backend before anything runs (models, tool calling), through the real ``massgen`` command."""

from __future__ import annotations

from pathlib import Path

from massgen_core.testing.cli import MakePlugin, run_massgen

#: a third-party backend type that streams text but cannot call tools and has no default model
PLAIN = """
from massgen_core.plugin import BackendOptions, BackendSpec, Done, Message, TextDelta, hookimpl

class Plain:
    def __init__(self, options, context):
        self.model = context.model

    async def stream(self, request):
        yield TextDelta("plain " + self.model)
        yield Done(stop_reason="end_turn", message=Message.assistant("plain " + self.model))

    async def aclose(self):
        pass

@hookimpl
def massgen_backend_types():
    return [BackendSpec(type="plain", display_name="Plain", provider="Acme", factory=Plain,
                        options=BackendOptions, capabilities={"streaming"}, api_key_required=False)]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cfg.yaml"
    path.write_text(text)
    return path


def test_a_backend_without_a_default_model_needs_model_in_the_config(
    tmp_path: Path, make_plugin: MakePlugin
) -> None:
    site = make_plugin("massgen-plain", "plain", PLAIN)
    cfg = write(tmp_path, "agent:\n  id: a\n  backend:\n    type: plain\n")
    result = run_massgen("validate", str(cfg), pythonpath=site)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "cfg.yaml:3:3" in result.stderr and "no default model: set `model:`" in result.stderr
    assert "Traceback" not in result.stderr
    ok = write(tmp_path, "agent:\n  id: a\n  backend:\n    type: plain\n    model: p1\n")
    answered = run_massgen("--config", str(ok), "--no-display", "hi", pythonpath=site, cwd=tmp_path)
    assert answered.returncode == 0, answered.stderr
    assert answered.stdout.strip() == "plain p1"


def test_a_backend_that_cannot_call_tools_is_refused_in_a_multi_agent_run(
    tmp_path: Path, make_plugin: MakePlugin
) -> None:
    site = make_plugin("massgen-plain", "plain", PLAIN)
    cfg = write(
        tmp_path,
        "agents:\n"
        "  - id: a\n    backend: {type: scripted}\n"
        "  - id: b\n    backend: {type: plain, model: p1}\n",
    )
    result = run_massgen("validate", str(cfg), pythonpath=site)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "cfg.yaml:5:5" in result.stderr
    assert "cannot call tools" in result.stderr and "new_answer and vote" in result.stderr
    assert "scripted" in result.stderr  # the backends that can
