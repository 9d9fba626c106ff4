"""The first hour of a new user (#17): the CLI's rough edges, each through the real command."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from massgen_core.testing.cli import massgen_main, run_massgen
from massgen_core.version import __version__

SHOUT_TWO = """\
agents:
  - id: a
    backend: {type: shout, model: shout-1}
  - id: b
    backend: {type: shout, model: shout-1, api_key: inline-key}
"""


def test_version_prints_the_version_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        massgen_main("--version")
    assert exit_.value.code == 0
    assert f"massgen {__version__}" in capsys.readouterr().out


@pytest.mark.parametrize("as_json", [False, True])
def test_validate_a_missing_file_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], as_json: bool
) -> None:
    missing = tmp_path / "nope.yaml"
    status = massgen_main("validate", str(missing), *(["--json"] if as_json else []))
    out = capsys.readouterr()
    assert status == 2
    text = out.out + out.err
    assert "config file not found" in text
    assert "expected a mapping" not in text


def test_validate_a_directory_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = massgen_main("validate", str(tmp_path))
    err = capsys.readouterr().err
    assert status == 2
    assert "is a directory, not a config file" in err
    assert "expected a mapping" not in err


def test_validate_warns_about_a_missing_api_key_naming_the_env_var(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SHOUT_API_KEY", raising=False)
    config = tmp_path / "team.yaml"
    config.write_text(SHOUT_TWO)
    assert massgen_main("validate", str(config)) == 0
    out = capsys.readouterr().out
    warnings = [line for line in out.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1  # agent b has its key in the config
    assert "'a'" in warnings[0] and "SHOUT_API_KEY" in warnings[0]

    assert massgen_main("validate", str(config), "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is True
    assert len(report["warnings"]) == 1 and "SHOUT_API_KEY" in report["warnings"][0]

    monkeypatch.setenv("SHOUT_API_KEY", "set-now")
    assert massgen_main("validate", str(config)) == 0
    assert "warning:" not in capsys.readouterr().out


# -- the run command, in a subprocess as a user runs it --------------------------------------------
ROOT = Path(__file__).parent.parent
SLOW_TEAM = """\
agents:
  - id: a
    backend: {type: scripted, then: coordinate, chunk_delay: 0.3, answer: "one two three four five six seven"}
  - id: b
    backend: {type: scripted, then: coordinate, chunk_delay: 0.3, answer: "alpha beta gamma delta epsilon"}
"""


def _massgen(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return run_massgen(*args, cwd=cwd, input=stdin, env={"PYTHONDONTWRITEBYTECODE": "1"}, timeout=60)


def _start_slow_team(cwd: Path) -> subprocess.Popen[str]:
    """A two-agent run that takes seconds, returned once its agents are generating."""
    config = cwd / "slow.yaml"
    config.write_text(SLOW_TEAM)
    proc = subprocess.Popen(
        [sys.executable, "-m", "massgen_core", "--config", str(config), "--no-display", "q"],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not list((cwd / ".massgen" / "sessions").glob("*/session.json")):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.8)
    return proc


@pytest.mark.parametrize("problem", ["missing folder", "a directory"], ids=["missing-folder", "directory"])
def test_a_bad_output_file_is_refused_before_the_run(tmp_path: Path, problem: str) -> None:
    target = tmp_path / "nowhere" / "answer.md" if problem == "missing folder" else tmp_path
    proc = _massgen(tmp_path, "--backend", "scripted", "--output-file", str(target), "q")
    assert proc.returncode == 2, proc.stderr
    assert "--output-file" in proc.stderr and "this is a bug" not in proc.stderr
    assert not (tmp_path / ".massgen" / "sessions").exists()  # nothing ran


def test_continue_resumes_the_session_used_last_even_within_one_second(tmp_path: Path) -> None:
    # /reset starts a new session: --continue must resume that one, not the one before it,
    # although both ids carry the same second
    for attempt in range(4):
        proc = _massgen(
            tmp_path,
            "--backend",
            "scripted",
            "--no-logs",
            stdin=f"first {attempt}\n/reset\nsecond {attempt}\n",
        )
        assert proc.returncode == 0, proc.stderr
        after_reset = proc.stderr.strip().splitlines()[-1].split("session: ")[1].split()[0]
        resumed = _massgen(tmp_path, "--backend", "scripted", "--no-logs", "--continue", "third")
        assert resumed.returncode == 0, resumed.stderr
        assert f"session: {after_reset}" in resumed.stderr


def test_cancelling_the_first_question_of_a_session_says_what_was_saved(tmp_path: Path) -> None:
    proc = _start_slow_team(tmp_path)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "earlier turns" not in err and "saved the question as cancelled" in err


@pytest.mark.parametrize("gap", [0.0, 0.02, 0.1, 0.3])
def test_a_second_ctrl_c_still_exits_cleanly_and_quickly(tmp_path: Path, gap: float) -> None:
    proc = _start_slow_team(tmp_path)
    proc.send_signal(signal.SIGINT)
    time.sleep(gap)
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    started = time.monotonic()
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err  # not -2: killed by SIGINT
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert time.monotonic() - started < 10
    (turn,) = (tmp_path / ".massgen" / "sessions").glob("*/turn_1/turn.json")
    assert json.loads(turn.read_text())["status"] == "cancelled"


def test_a_ctrl_c_python_cannot_raise_prints_no_traceback() -> None:
    # a second Ctrl-C that landed in a weakref callback printed "Exception ignored ... KeyboardInterrupt"
    from types import SimpleNamespace

    from massgen_core.cli import _quiet_ctrl_c

    seen: list[object] = []
    hook = _quiet_ctrl_c(seen.append)
    hook(SimpleNamespace(exc_value=KeyboardInterrupt()))
    other = SimpleNamespace(exc_value=ValueError("a real problem"))
    hook(other)
    assert seen == [other]  # anything else still reaches the hook


# -- the demo's answers: position bias, placeholders, degenerate presentations ---------------------
def test_every_answer_comes_first_for_one_voter_and_labels_stay() -> None:
    from massgen_core.runtime.coordination.state import CoordinationState
    from massgen_core.runtime.coordination.workflow_tools import workflow_tools

    ids = ("a", "b", "c", "d")
    state = CoordinationState(ids)
    for agent_id in ids:
        state.start_turn(agent_id)
        state.record_answer(agent_id, f"answer of {agent_id}")
    firsts = []
    for agent_id in ids:
        view = state.start_turn(agent_id)
        assert sorted(view.labels) == ["agent1", "agent2", "agent3", "agent4"]
        assert view.labels[-1] == state.labels[agent_id]  # its own answer last
        assert all(a.label == state.labels[a.agent_id] for a in view.answers)  # labels stay
        assert view == state.view(agent_id)  # the same order all run
        vote = next(t for t in workflow_tools(view, may_answer=True) if t.name == "vote")
        assert vote.parameters["properties"]["agent_id"]["enum"] == list(view.labels)
        firsts.append(view.labels[0])
    assert sorted(firsts) == ["agent1", "agent2", "agent3", "agent4"]


@pytest.mark.parametrize("placeholder", ["(no answers yet)", "(no answers available yet)", "<agent1>"])
def test_an_answer_that_only_echoes_the_prompt_is_refused(placeholder: str) -> None:
    from massgen_core.plugin.messages import ToolCallPart
    from massgen_core.runtime.coordination.state import AnswerView
    from massgen_core.runtime.coordination.workflow_tools import Answered, decide

    call = ToolCallPart(id="c1", name="new_answer", arguments={"content": placeholder})
    refused = decide([call], AnswerView(version=0), may_answer=True)
    assert isinstance(refused, list) and refused[0].is_error
    assert "not a placeholder" in refused[0].content
    fine = ToolCallPart(id="c2", name="new_answer", arguments={"content": "No."})  # a real answer
    assert decide([fine], AnswerView(version=0), may_answer=True) == Answered(content="No.")


@pytest.mark.parametrize(
    "echo",
    [
        "Decide whether the best current answer fully addresses the ORIGINAL MESSAGE.",
        "Paris. There are no answers yet: give your answer with new_answer.",
        "always finish by calling exactly one of these tools",
    ],
)
def test_an_answer_that_repeats_the_prompts_instructions_is_refused(echo: str) -> None:
    from massgen_core.plugin.messages import ToolCallPart
    from massgen_core.runtime.coordination.state import AnswerView
    from massgen_core.runtime.coordination.workflow_tools import Answered, decide

    call = ToolCallPart(id="c1", name="new_answer", arguments={"content": echo})
    refused = decide([call], AnswerView(version=0), may_answer=True)
    assert isinstance(refused, list) and "instructions repeated" in refused[0].content
    answer = "The best answer: Paris, which fully addresses the question."  # some of the same words
    fine = ToolCallPart(id="c2", name="new_answer", arguments={"content": answer})
    assert decide([fine], AnswerView(version=0), may_answer=True) == Answered(content=answer)


@pytest.mark.parametrize(
    ("presented", "why"),
    [
        ("The answer is the capital city, as always.", "leaves out everything the winning answer names"),
        ("Paris Paris. " * 200, "repeats itself"),
        ("<end of agent2>\n<ORIGINAL MESSAGE>", "nothing but coordination markup"),
        (  # the presentation prompt's own words, repeated (a 135M model did this)
            "Paris.\n\nYour own answer is agent1; the agents chose it. Here it is again:\n\nParis.",
            "talks about the coordination",
        ),
    ],
)
def test_a_presentation_worse_than_the_winning_answer_is_set_aside(
    tmp_path: Path, presented: str, why: str
) -> None:
    from reliability_support import TYPES, coordinating

    from massgen_core.testing.fake_provider import RecordedRequest, Reply

    if not set(TYPES) <= _installed():
        pytest.skip("needs massgen-openai")
    answers = {"m-0": "The capital of France is Paris.", "m-1": "The capital of France is Paris."}
    normal = coordinating(answers)

    def responder(request: RecordedRequest) -> Reply:
        presenting = not {"new_answer", "vote"} & set(request.tool_names)
        return Reply(presented) if presenting else normal(request)

    proc = _run_team(tmp_path, list(answers), responder)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "The capital of France is Paris."
    assert "The presentation was set aside" in proc.stderr or "The presentation failed" in proc.stderr
    assert why in proc.stderr


def test_an_answer_repeating_the_instructions_is_refused_and_the_agent_answers_again(
    tmp_path: Path,
) -> None:
    from reliability_support import TYPES, coordinating, reply_of

    from massgen_core.testing.fake_provider import RecordedRequest, Reply
    from massgen_core.testing.scripted import new_answer_reply

    if not set(TYPES) <= _installed():
        pytest.skip("needs massgen-openai")
    answers = {"m-0": "The capital of France is Paris.", "m-1": "Paris is the capital of France."}
    normal, echoed = coordinating(answers), []

    def responder(request: RecordedRequest) -> Reply:
        if request.model == "m-0" and not echoed:  # its first answer repeats the prompt
            echoed.append(request)
            return reply_of(new_answer_reply("Decide whether the best current answer fully addresses it."))
        return normal(request)

    proc = _run_team(tmp_path, list(answers), responder)
    assert proc.returncode == 0, proc.stderr
    assert "[m-0] workflow call refused: new_answer needs your own answer" in proc.stderr
    assert "[m-0] answer 1 as agent1: The capital of France is Paris." in proc.stderr
    assert "Paris" in proc.stdout and "Decide whether" not in proc.stdout


def _run_team(tmp_path: Path, models: list[str], responder: Any) -> subprocess.CompletedProcess[str]:
    """``massgen`` with one agent per model against a fake provider answering with ``responder``."""
    from reliability_support import team_config

    from massgen_core.testing.fake_provider import FakeProviderServer

    with FakeProviderServer(responder=responder, models=models) as server:
        config = tmp_path / "team.yaml"
        config.write_text(json.dumps({**team_config(server, models), "ui": {"display_type": "simple"}}))
        return _massgen(tmp_path, "--config", str(config), "--no-display", "Capital of France?")


def _installed() -> set[str]:
    from massgen_core.testing.backends import installed_backend_types

    return set(installed_backend_types())


@pytest.mark.parametrize("display", ["rich_terminal", "simple"])
def test_the_summary_wraps_per_agent_on_a_narrow_terminal(tmp_path: Path, display: str) -> None:
    import pty

    example = (ROOT / "examples" / "scripted_three_agents.yaml").read_text()
    config = tmp_path / "team.yaml"
    config.write_text(example.replace("display_type: rich_terminal", f"display_type: {display}"))
    env = {**os.environ, "COLUMNS": "80", "LINES": "40", "PYTHONDONTWRITEBYTECODE": "1", "TERM": "xterm"}
    leader, follower = pty.openpty()  # a real terminal, 80 columns wide
    proc = subprocess.Popen(
        [sys.executable, "-m", "massgen_core", "--config", str(config), "Capital?"],
        cwd=tmp_path,
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    assert proc.wait(timeout=60) == 0
    text = out.decode(errors="replace")
    summary = text[text.rindex("Every live agent voted") - 1500 :]
    assert "scripted_c" in summary and "winner" in summary
    assert "…" not in summary  # no cell cut short
    if display == "simple":  # one line per agent, which the terminal wraps, not a table
        assert "\nscripted_c: agent3 · " in summary.replace("\r", "")


# -- nits ------------------------------------------------------------------------------------------
def test_a_bad_choice_shows_the_value_given(tmp_path: Path) -> None:
    config = tmp_path / "team.yaml"
    config.write_text("agent:\n  backend: {type: scripted}\nui:\n  display_type: fancy\n")
    # in a process of its own: words other tests used as keys are masked in this one
    checked = _massgen(tmp_path, "validate", str(config))
    assert checked.returncode == 2
    assert (
        "ui.display_type: expected one of 'rich_terminal', 'simple', 'silent', got 'fancy'" in checked.stderr
    )


def test_a_dns_failure_is_not_blamed_on_a_server_that_is_not_running() -> None:
    from massgen_core.plugin import connection_failed

    error = connection_failed(
        backend="chatcompletion",
        base_url="http://no-such-host.invalid/v1",
        detail="ConnectError: [Errno -2] Name or service not known",
        check_url="http://no-such-host.invalid/v1/models",
    )
    assert "no-such-host.invalid could not be resolved" in str(error)
    assert "server is running" not in str(error)


def test_a_backend_heading_does_not_repeat_its_provider(capsys: pytest.CaptureFixture[str]) -> None:
    assert massgen_main("backends", "shout") == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first == "shout: Shout · Test plugin, from massgen-testplugin"


def test_install_hints_work_before_the_plugins_are_on_pypi() -> None:
    from massgen_core.host.registry import install_command

    assert install_command("massgen-claude") == (
        "massgen install massgen-claude (or, from a clone of the repository: massgen install -e plugins/massgen-claude)"
    )
    assert install_command("massgen-claude", upgrade=True).startswith("massgen install -U massgen-claude (")
    assert install_command("someone-elses-plugin") == "massgen install someone-elses-plugin"


def test_an_unknown_type_says_how_to_install_from_a_clone(capsys: pytest.CaptureFixture[str]) -> None:
    assert massgen_main("--backend", "nope", "hi") == 2
    assert "massgen install -e plugins/massgen-openai" in capsys.readouterr().err


def test_the_fast_exit_loses_neither_the_answer_nor_the_records(tmp_path: Path) -> None:
    # console_main skips the interpreter's teardown (most of a second with the SDKs loaded):
    # a long answer piped to a file, the session and the run log must all be complete
    answer = " ".join(f"word{i}" for i in range(30_000))  # ~250 KB: many buffer flushes
    config = tmp_path / "team.yaml"
    config.write_text(
        "agents:\n"
        + "".join(
            f"  - id: {name}\n    backend: {{type: scripted, then: coordinate, answer: '{answer}'}}\n"
            for name in ("a", "b")
        )
        + "ui: {logging_enabled: true}\n"
    )
    out = tmp_path / "stdout.txt"
    with out.open("w") as sink:
        proc = subprocess.run(
            [sys.executable, "-m", "massgen_core", "--config", str(config), "--no-display", "q"],
            cwd=tmp_path,
            stdout=sink,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    assert proc.returncode == 0, proc.stderr
    assert out.read_text() == answer + "\n"
    (turn,) = (tmp_path / ".massgen" / "sessions").glob("*/turn_1/turn.json")
    assert json.loads(turn.read_text())["final_answer"] == answer
    (log,) = (tmp_path / ".massgen" / "logs").iterdir()
    assert json.loads((log / "result.json").read_text())["final_answer"] == answer
    events = (log / "events.jsonl").read_text().splitlines()
    assert json.loads(events[-1])  # the last line is whole


@pytest.mark.parametrize(
    ("presented", "winning", "problem"),
    [
        ("The report is written.", "The build is done; REPORT.md will summarise it.", None),
        ("Paris it is.", "The capital of France is Paris.", None),
        ("The capital is a city.", "Paris.", "leaves out everything"),
        ("The best answer addresses the original message.", "Paris.", "talks about the coordination"),
        ("Four.", "It is 4.", "leaves out everything"),  # harmless: the winning answer is kept
        ("<end of agent1>", "Paris.", "markup"),
        ("Here it is again: the capital is Paris, as your own answer said.", "Paris.", None),
        ("The best answer to this question would be Paris by agent3", "It is Paris.", "coordination"),
        ("Paris, as agent2 says.", "Paris: agent2 and agent3 agree.", None),  # the winner says so too
        ("The answer is Paris, which another agent mentioned.", "Paris.", "coordination"),
        (  # our tool in a code block the presenter made up (a 135M model did this)
            'Paris\n```python\nprint(f"Result of the tool new_answer (error):")\n```',
            "Paris.",
            "coordination",
        ),
        ("Agents act; the agents in such a system plan.", "The agents in it plan and act.", None),
        ("Paris.\nYour own answer is agent2; the agents chose it. Here it is", "Paris.", "coordination"),
    ],
)
def test_what_sets_a_presentation_aside(presented: str, winning: str, problem: str | None) -> None:
    from massgen_core.runtime.coordination.degenerate import presentation_problem

    found = presentation_problem(presented, winning)
    assert (found is None) if problem is None else (found is not None and problem in found)


@pytest.mark.parametrize("agents", [1, 2])
def test_a_missing_key_is_an_authentication_failure_whatever_the_team_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, agents: int
) -> None:
    config = tmp_path / "team.yaml"
    config.write_text(
        "agents:\n"
        + "".join(f"  - id: a{i}\n    backend: {{type: shout, model: shout-1}}\n" for i in range(agents))
        + "ui: {display_type: simple}\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "SHOUT_API_KEY"}
    proc = subprocess.run(
        [sys.executable, "-m", "massgen_core", "--config", str(config), "--no-display", "q"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert proc.returncode == 1
    assert proc.stderr.count("FAILED (authentication)") == agents, proc.stderr
    assert "no_answer" not in proc.stderr and "SHOUT_API_KEY" in proc.stderr
