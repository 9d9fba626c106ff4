"""``massgen eval``'s datasets (JSONL question/answer, GSM8K ``#### N``, multiple choice, the
shipped one) and scorers, on small samples written for the suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from massgen_core.eval.dataset import DatasetError, dataset_path, read_dataset
from massgen_core.eval.scorers import BUILTIN, choice_letter, number_in
from massgen_core.eval.stats import mcnemar, wilson

SAMPLES = Path(__file__).parent / "eval_samples"


def test_gsm8k_answers_are_the_number_after_the_marks() -> None:
    items = read_dataset(SAMPLES / "gsm8k_sample.jsonl", BUILTIN)
    assert [(i.id, i.expected, i.scorer) for i in items] == [
        (1, "72", "numeric"),
        (2, "10", "numeric"),
        (3, "0", "numeric"),
    ]
    numeric = BUILTIN["numeric"]
    assert numeric.score("So she sold 72 clips.", "72", items[0].fields)
    assert numeric.score("Reasoning: 1,000 - 1,234 ... #### 0", "0", items[2].fields)
    assert not numeric.score("She earned $12.", "10", items[1].fields)


def test_multiple_choice_lines_list_the_choices_and_score_the_letter() -> None:
    items = read_dataset(SAMPLES / "choices_sample.jsonl", BUILTIN)
    assert [(i.expected, i.scorer) for i in items] == [("B", "choice"), ("B", "choice"), ("C", "choice")]
    assert "A. Venus\nB. Mercury\nC. Mars\n\nAnswer with the letter" in items[0].prompt
    fields = items[0].fields
    assert [
        choice_letter(t, fields) for t in ("B", "(B) Mercury", "The answer is b.", "Mercury", "none")
    ] == [
        "B",
        "B",
        "B",
        "B",
        "",
    ]


def test_plain_lines_pick_their_scorer() -> None:
    items = read_dataset(SAMPLES / "qa_sample.jsonl", BUILTIN)
    assert [i.scorer for i in items] == ["normalized", "numeric", "regex"]
    assert BUILTIN["normalized"].score("  lima. ", "Lima", items[0].fields)
    assert BUILTIN["numeric"].score("about 3.141", "3.14", items[1].fields)
    assert not BUILTIN["numeric"].score("3.15", "3.14", items[1].fields)
    assert BUILTIN["regex"].score("2026-12-07", items[2].expected, items[2].fields)
    contains = read_dataset(SAMPLES / "qa_sample.jsonl", BUILTIN, scorer="contains")[0]
    assert BUILTIN["contains"].score("The capital is Lima.", "Lima", contains.fields)
    assert not BUILTIN["contains"].score("Limassol", "Lima", contains.fields)
    assert number_in("no number") is None


def test_the_shipped_dataset_has_its_answers() -> None:
    items = read_dataset(dataset_path("basic"), BUILTIN)
    assert len(items) == 30 and {i.scorer for i in items} == {"numeric", "contains"}
    by_id = {i.id: i for i in items}
    assert by_id["capital-1"].expected == "Paris" and "France" in by_id["capital-1"].prompt
    for item in items:
        if str(item.id).startswith("arith-"):
            a, op, b = item.prompt.split("What is ")[1].split("?")[0].split()
            assert (
                int(item.expected) == {"+": int(a) + int(b), "-": int(a) - int(b), "*": int(a) * int(b)}[op]
            )


def test_a_bad_line_names_its_place(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "x?", "choices": ["a", "b"], "answer": "C"}\n')
    with pytest.raises(DatasetError, match=r'bad.jsonl:1: "answer" "C" is none of the choices'):
        read_dataset(bad, BUILTIN)
    bad.write_text('{"question": "x?", "answer": "(", "scorer": "regex"}\n')
    with pytest.raises(DatasetError, match=r"bad.jsonl:1: \"answer\" is not a valid regular expression"):
        read_dataset(bad, BUILTIN)


def test_the_statistics_match_hand_computed_values() -> None:
    assert wilson(0, 0) == (0.0, 1.0)
    assert wilson(8, 10) == pytest.approx((0.4901624715, 0.9433178485))
    assert mcnemar(0, 0) == (1.0, "exact")
    assert mcnemar(5, 0) == (pytest.approx(2 / 32), "exact")
    p, method = mcnemar(20, 10)  # (|20-10| - 1)^2 / 30 = 2.7 on 1 df
    assert method == "chi-square" and p == pytest.approx(0.1003482465)


def test_answers_with_nothing_to_score_are_wrong_not_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scripted agents answer "Paris." to arithmetic: every arm is wrong, and no arm failed
    (failed is for answers that never came)."""
    import json

    from massgen_core.testing.cli import massgen_main

    monkeypatch.chdir(tmp_path)
    agents = [
        {"id": a, "backend": {"type": "scripted", "then": "coordinate", "answer": "Paris.", "chunk_delay": 0}}
        for a in "ab"
    ]
    (tmp_path / "team.yaml").write_text(json.dumps({"agents": agents, "ui": {"display_type": "silent"}}))
    (tmp_path / "d.jsonl").write_text(
        "".join(json.dumps({"id": n, "question": f"{n} + 1?", "answer": n + 1}) + "\n" for n in range(3))
    )
    assert massgen_main("eval", "--config", "team.yaml", "d.jsonl", "-o", "r.jsonl") == 0
    report = json.loads((tmp_path / "r.report.json").read_text())
    assert {r["arm"]: (r["questions"], r["correct"], r["failed"]) for r in report["arms"]} == {
        "single:a": (3, 0, 0),
        "single:b": (3, 0, 0),
        "majority": (3, 0, 0),
        "team": (3, 0, 0),
    }
