"""`massgen` run command end to end, in a subprocess (`python -m massgen_core ...`)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "examples" / "scripted_three_agents.yaml"
WINNER = "[scripted agent C, offline placeholder] Paris, on the Seine, is the capital of France."


def massgen(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "massgen_core", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def sessions(cwd: Path) -> list[Path]:
    return sorted((cwd / ".massgen" / "sessions").iterdir())


def test_config_run_prints_only_the_final_answer_on_stdout(tmp_path: Path) -> None:
    out_file = tmp_path / "answer.md"
    proc = massgen(
        tmp_path, "--config", str(EXAMPLE), "--output-file", str(out_file), "What is the capital of France?"
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == WINNER + "\n"
    assert "[scripted_a] voted for agent3" in proc.stderr and "session:" in proc.stderr
    assert out_file.read_text() == WINNER + "\n"
    (log_dir,) = (tmp_path / ".massgen" / "logs").iterdir()
    assert (log_dir / "final_answer.md").read_text() == WINNER + "\n"
    kinds = [json.loads(line)["kind"] for line in (log_dir / "events.jsonl").read_text().splitlines()]
    assert kinds[0] == "run_started" and kinds[-1] == "run_finished" and "vote" in kinds
    assert (log_dir / "massgen.log.jsonl").stat().st_size > 0
    (session,) = sessions(tmp_path)
    assert json.loads((session / "turn_1" / "turn.json").read_text())["result"]["winner"] == "scripted_c"


def test_quick_mode_and_continue(tmp_path: Path) -> None:
    first = massgen(tmp_path, "--backend", "scripted", "--model", "echo-1", "--no-logs", "hello there")
    assert first.returncode == 0, first.stderr
    assert first.stdout == "hello there\n"  # the scripted backend echoes the question
    assert not (tmp_path / ".massgen" / "logs").exists()
    second = massgen(tmp_path, "--backend", "scripted", "--model", "echo-1", "--continue", "again")
    assert second.returncode == 0, second.stderr
    (session,) = sessions(tmp_path)
    assert sorted(p.name for p in session.glob("turn_*")) == ["turn_1", "turn_2"]
    third = massgen(tmp_path, "--backend", "scripted", "--session-id", session.name, "once more")
    assert third.returncode == 0 and (session / "turn_3").is_dir()


def test_interactive_mode_reads_one_question_per_line(tmp_path: Path) -> None:
    proc = massgen(tmp_path, "--backend", "scripted", stdin="first\n\n/help\nsecond\n/quit\nnever\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "first\n\nsecond\n"  # piped: a blank line between answers
    assert "interactive mode" in proc.stderr and "/reset" in proc.stderr
    (session,) = sessions(tmp_path)
    assert len(list(session.glob("turn_*"))) == 2


def test_usage_errors(tmp_path: Path) -> None:
    proc = massgen(tmp_path, "just a question")
    assert proc.returncode == 2 and "--config FILE" in proc.stderr
    proc = massgen(tmp_path, "--config", str(EXAMPLE), "--model", "x", "q")
    assert proc.returncode == 2 and "quick mode" in proc.stderr
    proc = massgen(tmp_path, "--backend", "scripted", "--session-id", "missing", "q")
    assert proc.returncode == 1 and "no session 'missing'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_every_agent_failing_is_a_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "broken.yaml"
    config.write_text(
        "agents:\n"
        + "".join(
            f"  - id: {name}\n    backend: {{type: scripted, replies: [{{error: {{kind: authentication,"
            f" message: 'no key for {name}'}}}}]}}\n"
            for name in ("a", "b")
        )
    )
    proc = massgen(tmp_path, "--config", str(config), "q")
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == ""
    assert "error: every agent failed" in proc.stderr and "no key for b" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_silent_display_keeps_stderr_quiet(tmp_path: Path) -> None:
    config = tmp_path / "silent.yaml"
    config.write_text(EXAMPLE.read_text().replace("display_type: rich_terminal", "display_type: silent"))
    proc = massgen(tmp_path, "--config", str(config), "--no-display", "q")
    assert proc.returncode == 0 and proc.stdout == WINNER + "\n" and proc.stderr == ""


def test_help_lists_the_subcommands() -> None:
    proc = massgen(ROOT, "--help")
    assert proc.returncode == 0
    assert (
        "--config FILE" in proc.stdout and "massgen sessions" in proc.stdout and "--continue" in proc.stdout
    )


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_cancels_and_keeps_the_session(tmp_path: Path) -> None:
    config = tmp_path / "slow.yaml"
    config.write_text(
        "agents:\n"
        "  - {id: a, backend: {type: scripted, replies: [{text: slow, delay: 60}]}}\n"
        "  - {id: b, backend: {type: scripted, replies: [{text: slow, delay: 60}]}}\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "massgen_core", "--config", str(config), "q"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()  # the run has started once progress appears
        while "round 1" not in line and line:
            line = proc.stderr.readline()
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
        assert stdout == ""
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert "cancelled" in stderr and "Traceback" not in stderr
    (session,) = sessions(tmp_path)
    turn = json.loads((session / "turn_1" / "turn.json").read_text())
    assert turn["status"] == "cancelled"


def test_a_resumed_session_sends_the_earlier_turns_to_a_real_backend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_provider = pytest.importorskip("massgen_core.testing.fake_provider")
    from massgen_core.host.registry import get_registry

    if "chatcompletion" not in get_registry().backends:
        pytest.skip("needs massgen-openai")
    with fake_provider.FakeProviderServer() as server:  # echoes the last user text
        quick = ("--backend", "chatcompletion", "--model", "gpt-4o", "--base-url", server.openai_base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        first = massgen(tmp_path, *quick, "--no-display", "What is the capital of France?")
        assert first.returncode == 0, first.stderr
        assert first.stdout == "Echo: What is the capital of France?\n"
        second = massgen(tmp_path, *quick, "--no-display", "--continue", "And of Italy?")
        assert second.returncode == 0, second.stderr
        last = server.model_calls()[-1].body["messages"]
    texts = [m["content"] if isinstance(m["content"], str) else json.dumps(m["content"]) for m in last]
    earlier = [t for t in texts if "What is the capital of France?" in t]
    assert earlier and any("Echo: What is the capital of France?" in t for t in texts)
    assert "And of Italy?" in texts[-1]
    (session,) = sessions(tmp_path)
    assert sorted(p.name for p in session.glob("turn_*")) == ["turn_1", "turn_2"]
