"""``massgen eval`` through the CLI: three massgen-openai agents on the fake provider (real HTTP on
loopback) whose every answer is scripted, so each arm's accuracy, its Wilson interval, the
tokens, costs and the McNemar test are known in advance and checked against hand-computed values."""

from __future__ import annotations

import json
import re
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from reliability_support import needs_openai

from massgen_core.testing.cli import interrupt_massgen, massgen_main, run_massgen
from massgen_core.testing.fake_provider import FakeProviderServer, RecordedRequest, Reply, Stall, Usage
from massgen_core.testing.scripted import coordination_reply

pytestmark = needs_openai

MODELS = {"a": "gpt-4o", "b": "gpt-4o-mini", "c": "gpt-4.1"}
#: question number -> (a right, b right, c right, the agent whose answer is longest: the team's)
SCRIPT = {
    1: (1, 1, 1, "a"),
    2: (1, 0, 0, "c"),
    3: (1, 0, 0, "b"),
    4: (1, 0, 1, "a"),
    5: (1, 1, 0, "b"),
    6: (0, 1, 1, "b"),
    7: (0, 1, 1, "c"),
    8: (0, 0, 1, "c"),
    9: (1, 0, 0, "a"),
    10: (0, 0, 0, "a"),
    11: (0, 1, 0, "b"),
    12: (1, 1, 1, "c"),
}
# by hand: a right on 1,2,3,4,5,9,12 (7/12); b on 1,5,6,7,11,12 (6/12); c on 1,4,6,7,8,12 (6/12).
# team = the longest answer's agent: right on 1,4,5,6,7,8,9,11,12 (9/12).
# majority: wrong answers all differ (a: n+1, b: n+2, c: n+3), so one right answer ties 1-1-1
# and the first agent (a) wins: right on 1,2,3,4,5,6,7,9,12 (9/12).
# team vs a: only team right on 6,7,8,11 (4), only a right on 2,3 (2): exact p = 2*(1+6+15)/64.
# majority vs a: only majority right on 6,7 (2), only a right on none: p = 2*(1/4).
WILSON = {
    7: (0.3195113125495498, 0.8067396863412435),
    6: (0.2537815976337061, 0.7462184023662939),
    9: (0.46769466506643426, 0.9110583316059454),
}  # the roots of (k/n - p)^2 = z^2 p(1-p)/n
USAGE = Usage(input_tokens=100, output_tokens=10)
#: USD per question of one 100-in/10-out request: gpt-4o $2.50/$10, gpt-4o-mini $0.15/$0.60, gpt-4.1 $2/$8 per M
COST = {"a": 0.00035, "b": 0.000021, "c": 0.00028}


def expected(n: int) -> int:
    return 100 + n


def scripted_answer(agent: str, n: int) -> str:
    row = SCRIPT[n]
    index = "abc".index(agent)
    value = expected(n) if row[index] else expected(n) + 1 + index
    padding = " because" * (3 if row[3] == agent else 0)
    return f"It is {value}{padding}"


def respond(request: RecordedRequest) -> Reply:
    model = request.json["model"]
    agent = next(a for a, m in MODELS.items() if m == model)
    n = int(re.search(r"Q(\d+):", json.dumps(request.json))[1])  # type: ignore[index]
    reply = coordination_reply(
        request.last_user_text or "", request.tool_names, answer=scripted_answer(agent, n)
    )
    calls = [(c["name"], c["arguments"]) for c in reply.get("tool_calls", [])]
    from massgen_core.testing.fake_provider import ToolCall

    return Reply(
        reply.get("text", ""), tool_calls=[ToolCall(name, args) for name, args in calls], usage=USAGE
    )


@pytest.fixture
def server() -> Iterator[FakeProviderServer]:
    with FakeProviderServer(responder=respond, models=list(MODELS.values())) as fake:
        yield fake


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write_setup(folder: Path, server: FakeProviderServer) -> tuple[Path, Path]:
    agents = [
        {
            "id": agent,
            "backend": {
                "type": "openai",
                "model": model,
                "base_url": server.openai_base_url,
                "api_key": "test-key",
            },
        }
        for agent, model in MODELS.items()
    ]
    team = folder / "team.yaml"
    team.write_text(json.dumps({"agents": agents, "ui": {"display_type": "silent"}}))
    dataset = folder / "dataset.jsonl"
    dataset.write_text(
        "".join(
            json.dumps({"id": f"q{n}", "question": f"Q{n}: what is 100 + {n}?", "answer": expected(n)}) + "\n"
            for n in SCRIPT
        )
    )
    return team, dataset


def read_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_each_arm_scores_as_scripted(
    workdir: Path, server: FakeProviderServer, capsys: pytest.CaptureFixture[str]
) -> None:
    team, dataset = write_setup(workdir, server)
    status = massgen_main("eval", "--config", str(team), str(dataset), "-o", "results.jsonl")
    out = capsys.readouterr()
    assert status == 0, out.err
    report = json.loads((workdir / "results.report.json").read_text())
    arms = {row["arm"]: row for row in report["arms"]}
    assert list(arms) == ["single:a", "single:b", "single:c", "majority", "team"]
    assert {k: (v["correct"], v["questions"], v["failed"]) for k, v in arms.items()} == {
        "single:a": (7, 12, 0),
        "single:b": (6, 12, 0),
        "single:c": (6, 12, 0),
        "majority": (9, 12, 0),
        "team": (9, 12, 0),
    }
    for row in arms.values():
        assert row["accuracy"] == pytest.approx(row["correct"] / 12)
        assert row["ci95"] == pytest.approx(WILSON[row["correct"]], abs=1e-12)
    for agent, cost in COST.items():
        assert arms[f"single:{agent}"]["tokens_per_question"] == 110
        assert arms[f"single:{agent}"]["cost_per_question"] == pytest.approx(cost)
    assert arms["majority"]["tokens_per_question"] == 330
    assert arms["majority"]["cost_per_question"] == pytest.approx(sum(COST.values()))
    assert arms["team"]["tokens_per_question"] > 330  # answers, votes and the presentation
    assert arms["team"]["cost_per_question"] > sum(COST.values())
    assert all(row["latency_per_question"] > 0 for row in arms.values())
    assert report["best_single"] == "single:a"
    team_vs_a, majority_vs_a = report["paired"]
    assert (team_vs_a["first"], team_vs_a["second"]) == ("team", "single:a")
    assert (team_vs_a["only_first_right"], team_vs_a["only_second_right"]) == (4, 2)
    assert (team_vs_a["both_right"], team_vs_a["both_wrong"], team_vs_a["questions"]) == (5, 1, 12)
    assert team_vs_a["p_value"] == pytest.approx(44 / 64) and team_vs_a["method"] == "exact"
    assert (majority_vs_a["only_first_right"], majority_vs_a["only_second_right"]) == (2, 0)
    assert majority_vs_a["p_value"] == pytest.approx(0.5)
    # the terminal table says the same
    table = out.out
    assert re.search(r"^team\s+12\s+9\s+75\.0%\s+46\.8-91\.1%", table, re.M), table
    assert re.search(r"^single:a\s+12\s+7\s+58\.3%\s+32\.0-80\.7%\s+110\s+\$0\.00035", table, re.M), table
    assert "team vs single:a (McNemar, exact, 12 paired questions)" in table and "p = 0.6875" in table


def test_the_arms_ran_the_same_questions(workdir: Path, server: FakeProviderServer) -> None:
    team, dataset = write_setup(workdir, server)
    assert massgen_main("eval", "--config", str(team), str(dataset), "-o", "results.jsonl") == 0
    lines = read_lines(workdir / "results.jsonl")
    asked: dict[tuple[str, str | None], dict[str, str]] = {}
    for line in lines:
        asked.setdefault((line["arm"], line["agent"]), {})[line["id"]] = line["question"]
    assert set(asked) == {("single", "a"), ("single", "b"), ("single", "c"), ("team", None)}
    prompts = {f"q{n}": f"Q{n}: what is 100 + {n}?" for n in SCRIPT}
    assert all(questions == prompts for questions in asked.values())
    singles = [line for line in lines if line["arm"] == "single"]
    assert all(line["winner"] == line["agent"] and line["end_reason"] == "single_agent" for line in singles)
    assert {line["end_reason"] for line in lines if line["arm"] == "team"} != {"single_agent"}
    models_asked = {r.json["model"] for r in server.requests}
    assert models_asked == set(MODELS.values())


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        assert not any(name in ("src", "href") for name, _ in attrs), "the page fetches nothing"


def test_the_chart_is_a_self_contained_html_page(workdir: Path, server: FakeProviderServer) -> None:
    team, dataset = write_setup(workdir, server)
    assert (
        massgen_main(
            "eval", "--config", str(team), str(dataset), "-o", "out.jsonl", "--compare", "single,team"
        )
        == 0
    )
    page = (workdir / "out.report.html").read_text()
    parser = _Tags()
    parser.feed(page)
    assert {"html", "svg", "circle", "pre"} <= set(parser.tags)
    svg = ET.fromstring(page[page.index("<svg") : page.index("</svg>") + len("</svg>")])
    labels = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert {"single:a", "single:b", "single:c", "team"} <= set(labels)
    assert "majority" not in labels and "cost per question (USD)" in labels
    assert len(list(svg.iter("{http://www.w3.org/2000/svg}circle"))) == 4


def test_resume_runs_only_what_is_missing(workdir: Path, server: FakeProviderServer) -> None:
    team, dataset = write_setup(workdir, server)
    assert (
        massgen_main("eval", "--config", str(team), str(dataset), "-o", "r.jsonl", "--compare", "team") == 0
    )
    whole = read_lines(workdir / "r.jsonl")
    assert len(whole) == 12
    kept = (workdir / "r.jsonl").read_text().splitlines()[:5]
    (workdir / "r.jsonl").write_text("\n".join(kept) + "\n" + '{"id": "q9", "ta')  # and a line cut short
    again = massgen_main(
        "eval", "--config", str(team), str(dataset), "-o", "r.jsonl", "--compare", "team", "--resume"
    )
    assert again == 0
    lines = read_lines(workdir / "r.jsonl")
    assert [line["task"] for line in lines[:5]] == [json.loads(k)["task"] for k in kept]
    assert sorted(line["task"] for line in lines) == sorted(f"q{n}@team" for n in SCRIPT)
    report = json.loads((workdir / "r.report.json").read_text())
    assert [(r["arm"], r["correct"]) for r in report["arms"]] == [("team", 9)]
    assert report["paired"] == []  # no single agents to compare with


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_stops_cleanly_reports_what_finished_and_resume_completes(tmp_path: Path) -> None:
    stall = threading.Event()  # while set, question 10 stalls at the provider
    stall.set()

    def stalling(request: RecordedRequest) -> Reply:
        if stall.is_set() and "Q10:" in json.dumps(request.json):
            return Reply("", fault=Stall(after=0))
        return respond(request)

    with FakeProviderServer(responder=stalling, models=list(MODELS.values())) as server:
        team, dataset = write_setup(tmp_path, server)
        out = tmp_path / "r.jsonl"
        args = ["eval", "--config", str(team), str(dataset), "-o", str(out), "--compare", "team"]

        def others_done() -> bool:
            return out.exists() and len(out.read_text().splitlines()) == 11

        stopped = interrupt_massgen(*args, "--concurrency", "4", until=others_done, cwd=tmp_path, timeout=90)
        printed, err = stopped.stdout, stopped.stderr
        assert stopped.returncode == 130, err
        assert "Traceback" not in err and "run again with --resume" in err
        assert "11 completed, 0 failed, 1 not run" in err
        partial = json.loads((tmp_path / "r.report.json").read_text())
        # the report of what finished: the team was right on 1,4,5,6,7,8,9,11,12 and 10 did not run
        assert [(r["arm"], r["questions"], r["correct"]) for r in partial["arms"]] == [("team", 11, 9)]
        assert "team" in printed

        stall.clear()  # the provider answers now: --resume runs question 10 alone
        done = run_massgen(*args, "--resume", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert [line["task"] for line in read_lines(out)][11:] == ["q10@team"]
    whole = json.loads((tmp_path / "r.report.json").read_text())
    assert [(r["arm"], r["questions"], r["correct"]) for r in whole["arms"]] == [("team", 12, 9)]


def test_bad_input_is_a_clear_error(workdir: Path) -> None:
    (workdir / "team.yaml").write_text(json.dumps({"agents": [{"id": "a", "backend": {"type": "scripted"}}]}))
    (workdir / "d.jsonl").write_text(
        '{"id": 1, "question": "x?", "answer": "y"}\n{"id": 2, "question": "z?"}\n'
    )
    result = run_massgen("eval", "--config", "team.yaml", "d.jsonl", cwd=workdir)
    assert (result.returncode, result.stderr.splitlines()[0]) == (
        1,
        'error: d.jsonl:2: no "answer"; each line needs {"question": "...", "answer": "..."} '
        '(or "choices" with the right one as "answer")',
    )
    result = run_massgen("eval", "--config", "team.yaml", "d.jsonl", "--compare", "single,best", cwd=workdir)
    assert result.returncode == 2 and "--compare: unknown arm(s) best" in result.stderr
    result = run_massgen("eval", "--config", "team.yaml", "missing.jsonl", cwd=workdir)
    assert "dataset missing.jsonl does not exist" in result.stderr and "Traceback" not in result.stderr
    result = run_massgen("eval", "--config", "team.yaml", "d.jsonl", "--scorer", "fuzzy", cwd=workdir)
    assert "unknown scorer 'fuzzy'; choose one of: auto, exact, normalized, contains" in result.stderr
