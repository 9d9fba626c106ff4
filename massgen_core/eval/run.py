"""Where an eval writes (its results, report and chart), and the results file that scores each
batch line as it is written."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..batch.output import ResultsFile
from .arms import Task
from .scorers import Scorer

__all__ = ["EvalResults", "default_output", "report_paths", "write_report"]


def default_output() -> Path:
    """``.massgen/eval/eval-<run id>.jsonl``: a new results file (its folder made)."""
    from ..records.runlog import DEFAULT_LOG_ROOT, new_run_id

    folder = (DEFAULT_LOG_ROOT.parent / "eval").absolute()
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"eval-{new_run_id()}.jsonl"


def report_paths(output: Path) -> tuple[Path, Path]:
    """The report's JSON and HTML files beside the results: ``<stem>.report.json``, ``<stem>.report.html``."""
    return output.with_name(f"{output.stem}.report.json"), output.with_name(f"{output.stem}.report.html")


class EvalResults(ResultsFile):
    """The results file of an eval: each batch line is written as its task's scored line."""

    def __init__(self, path: Path, tasks: Mapping[str, Task], scorers: Mapping[str, Scorer]) -> None:
        super().__init__(path)
        self.tasks = tasks
        self.scorers = scorers

    def write(self, record: Mapping[str, Any]) -> None:
        from .arms import scored_line

        task = self.tasks[str(record["id"])]
        super().write(scored_line(task, record, self.scorers[task.item.scorer]))


def write_report(report: Mapping[str, Any], output: Path) -> tuple[Path, Path]:
    """Write the report's JSON and HTML files beside ``output``; returns their paths."""
    from .chart import chart_html

    json_path, html_path = report_paths(output)
    json_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    html_path.write_text(chart_html(report), encoding="utf-8")
    return json_path, html_path
