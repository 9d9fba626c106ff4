"""The report of an eval: per arm, accuracy with its Wilson 95 % interval, tokens, cost and
latency per question; McNemar's paired test of the team (and the majority) against the best
single agent; as JSON-ready data and as a terminal table.

Each arm counts the questions it has a line for (a failed answer is a wrong one); the paired
tests count the questions both arms answered. The ``majority`` arm's tokens and cost are its
agents' together, its latency the slowest agent's (they answer independently, so at once).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .arms import majority_answer
from .dataset import EvalItem
from .stats import mcnemar, wilson

__all__ = ["build_report", "latest_lines", "report_table"]


def latest_lines(path: Path) -> dict[str, dict[str, Any]]:
    """The latest line of each task in an eval's results file (a last line cut short is skipped)."""
    found: dict[str, dict[str, Any]] = {}
    if not path.exists():
        return found
    for raw in path.read_text(encoding="utf-8").splitlines():
        try:
            line = json.loads(raw)
        except json.JSONDecodeError:
            continue
        if isinstance(line, dict) and "task" in line:
            found[str(line["task"])] = line
    return found


def _tokens(line: Mapping[str, Any]) -> int | None:
    usage = line.get("usage") or {}
    parts = [usage.get("input_tokens"), usage.get("output_tokens")]
    return sum(p for p in parts if isinstance(p, int)) if any(isinstance(p, int) for p in parts) else None


def _mean(values: Iterable[float | int | None]) -> float | None:
    known = [float(v) for v in values if isinstance(v, int | float)]
    return sum(known) / len(known) if known else None


class _Outcome:
    """An arm's result on one question: right or not, tokens, cost, seconds, failed or not."""

    def __init__(
        self, correct: bool, tokens: int | None, cost: float | None, seconds: float | None, failed: bool
    ):
        self.correct, self.tokens, self.cost, self.seconds, self.failed = (
            correct,
            tokens,
            cost,
            seconds,
            failed,
        )


def _single(line: Mapping[str, Any]) -> _Outcome:
    cost = line.get("cost")
    return _Outcome(
        bool(line.get("correct")),
        _tokens(line),
        float(cost) if isinstance(cost, int | float) else None,
        line.get("duration"),
        line.get("status") != "completed",
    )


def _majority(lines: Sequence[Mapping[str, Any]], agents: Sequence[str]) -> _Outcome:
    votes = [(str(one["agent"]), one.get("extracted") or None) for one in lines]
    won = majority_answer(votes)
    right = won is not None and any(one["agent"] == won[0] and one.get("correct") for one in lines)
    tokens = [_tokens(one) for one in lines]
    costs = [one.get("cost") for one in lines]
    return _Outcome(
        right,
        sum(t for t in tokens if t is not None) if any(t is not None for t in tokens) else None,
        None if any(not isinstance(c, int | float) for c in costs) else float(sum(c for c in costs if c)),
        max((float(one.get("duration") or 0.0) for one in lines), default=None),
        # failed when no agent answered; answers with nothing the scorer reads are wrong, not failed
        all(one.get("status") != "completed" for one in lines),
    )


def _outcomes(
    items: Sequence[EvalItem],
    lines: Mapping[str, Mapping[str, Any]],
    agents: Sequence[str],
    arms: Sequence[str],
) -> dict[str, dict[str, _Outcome]]:
    """arm label (``single:<agent>``, ``majority``, ``team``) -> question key -> outcome."""
    found: dict[str, dict[str, _Outcome]] = {}
    for item in items:
        singles = {a: lines.get(f"{item.key}@single:{a}") for a in agents}
        for agent, line in singles.items():
            if line is not None and "single" in arms:
                found.setdefault(f"single:{agent}", {})[item.key] = _single(line)
        if "majority" in arms and all(line is not None for line in singles.values()):
            present = [line for line in singles.values() if line is not None]
            found.setdefault("majority", {})[item.key] = _majority(present, agents)
        team = lines.get(f"{item.key}@team")
        if team is not None and "team" in arms:
            found.setdefault("team", {})[item.key] = _single(team)
    return found


def _arm_row(label: str, outcomes: Mapping[str, _Outcome]) -> dict[str, Any]:
    n = len(outcomes)
    right = sum(o.correct for o in outcomes.values())
    low, high = wilson(right, n)
    return {
        "arm": label,
        "questions": n,
        "correct": right,
        "failed": sum(o.failed for o in outcomes.values()),
        "accuracy": right / n if n else None,
        "ci95": [low, high],
        "tokens_per_question": _mean(o.tokens for o in outcomes.values()),
        "cost_per_question": _mean(o.cost for o in outcomes.values()),
        "cost_known": sum(o.cost is not None for o in outcomes.values()),
        "latency_per_question": _mean(o.seconds for o in outcomes.values()),
    }


def _paired(first: str, second: str, outcomes: Mapping[str, Mapping[str, _Outcome]]) -> dict[str, Any]:
    a, b = outcomes.get(first, {}), outcomes.get(second, {})
    both = [k for k in a if k in b]
    only_first = sum(a[k].correct and not b[k].correct for k in both)
    only_second = sum(b[k].correct and not a[k].correct for k in both)
    p, method = mcnemar(only_first, only_second)
    return {
        "first": first,
        "second": second,
        "questions": len(both),
        "only_first_right": only_first,
        "only_second_right": only_second,
        "both_right": sum(a[k].correct and b[k].correct for k in both),
        "both_wrong": sum(not a[k].correct and not b[k].correct for k in both),
        "p_value": p,
        "method": method,
    }


def build_report(
    items: Sequence[EvalItem],
    lines: Mapping[str, Mapping[str, Any]],
    *,
    agents: Sequence[str],
    arms: Sequence[str],
    dataset: str = "",
    config: str = "",
) -> dict[str, Any]:
    """The report (JSON-ready) of the eval whose latest lines by task are ``lines``."""
    outcomes = _outcomes(items, lines, agents, arms)
    rows = [_arm_row(label, outcomes[label]) for label in outcomes if label.startswith("single:")]
    rows += [_arm_row(label, outcomes[label]) for label in ("majority", "team") if label in outcomes]
    singles = [r for r in rows if r["arm"].startswith("single:") and r["questions"]]
    best = max(singles, key=lambda r: r["accuracy"], default=None)  # ties: the first agent
    if best is None and "single" not in arms:  # majority only: its agents' answers still tell the best
        single = _outcomes(items, lines, agents, ("single",))
        ranked = [_arm_row(label, single[label]) for label in single]
        best = max(ranked, key=lambda r: r["accuracy"], default=None)
        if best is not None:
            outcomes[best["arm"]] = single[best["arm"]]
    paired = []
    if best is not None:
        paired = [_paired(arm, best["arm"], outcomes) for arm in ("team", "majority") if arm in outcomes]
    return {
        "dataset": dataset,
        "config": config,
        "questions": len(items),
        "agents": list(agents),
        "arms": rows,
        "best_single": best["arm"] if best is not None else None,
        "paired": paired,
    }


def _money(value: float | None) -> str:
    return "unknown" if value is None else f"${value:.5f}"


def report_table(report: Mapping[str, Any]) -> str:
    """The report as a plain-text table (and the paired tests under it)."""
    header = ("arm", "n", "correct", "accuracy", "95% CI", "tokens/q", "cost/q", "latency/q", "failed")
    rows = [header]
    for r in report["arms"]:
        acc = "-" if r["accuracy"] is None else f"{100 * r['accuracy']:.1f}%"
        low, high = r["ci95"]
        tokens = "unknown" if r["tokens_per_question"] is None else f"{r['tokens_per_question']:.0f}"
        latency = "-" if r["latency_per_question"] is None else f"{r['latency_per_question']:.2f}s"
        rows.append(
            (
                r["arm"],
                str(r["questions"]),
                str(r["correct"]),
                acc,
                f"{100 * low:.1f}-{100 * high:.1f}%",
                tokens,
                _money(r["cost_per_question"]),
                latency,
                str(r["failed"]),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    for p in report["paired"]:
        lines.append(
            f"{p['first']} vs {p['second']} (McNemar, {p['method']}, {p['questions']} paired questions): "
            f"only {p['first']} right {p['only_first_right']}, only {p['second']} right "
            f"{p['only_second_right']}, p = {p['p_value']:.4g}"
        )
    if not report["paired"] and report["arms"]:
        lines.append(
            "no paired test: it needs the team (or majority) and the single agents on the same questions"
        )
    return "\n".join(lines)
