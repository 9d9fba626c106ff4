"""``massgen eval --config team.yaml dataset.jsonl``: does the team answer better than each of its
agents alone, and at what cost? (see :mod:`massgen_core.eval`).

Only argparse is imported at module level; the questions run on the batch engines with the same
options, progress, ``--resume`` and clean stop as ``massgen batch`` (:mod:`.batch_cmd`). The
table goes to stdout, the progress and the summary to stderr; the report's JSON and HTML chart
are written beside the results file.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from .batch_cmd import add_run_options, check_run_args
from .format import argument_parser

__all__ = ["build_parser", "main"]

_EXAMPLES = """\
dataset: one JSON line per question: {"id": ..., "question": ..., "answer": ...}; GSM8K lines
("answer": "...#### 72"); multiple choice ({"choices": [...], "answer": "B"}); per line
"scorer", "tolerance", "relative_tolerance". `basic` names the shipped offline dataset.
arms: single (each agent alone), majority (the most common of those answers), team (the whole
coordination). Report: accuracy with its Wilson 95% interval, tokens, cost and latency per
question per arm, and McNemar's paired test of the team against the best single agent.

examples:
  massgen eval --config team.yaml basic
  massgen eval --config team.yaml questions.jsonl -o results.jsonl --compare single,team
  massgen eval --config team.yaml gsm8k.jsonl -o results.jsonl --resume --engine ray
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argument_parser(
        raw_description=True,
        prog="massgen eval",
        description="Score a team against each of its agents alone and their majority vote, on a dataset.",
        epilog=_EXAMPLES,
    )
    parser.add_argument("dataset", metavar="DATASET", help="a .jsonl dataset, or a shipped one: basic")
    parser.add_argument("--config", metavar="FILE", required=True, help="a YAML config with the agents")
    parser.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help="the results file (JSON lines; default .massgen/eval/eval-<id>.jsonl); the report "
        "goes beside it as <stem>.report.json and <stem>.report.html",
    )
    parser.add_argument(
        "--compare",
        metavar="ARMS",
        default="single,majority,team",
        help="the arms, comma-separated: single, majority, team (default: all three)",
    )
    parser.add_argument(
        "--scorer",
        metavar="NAME",
        default="auto",
        help='the dataset\'s scorer for lines without a "scorer": auto (default), exact, normalized, '
        "contains, numeric, choice, regex, or a plugin's",
    )
    add_run_options(parser)
    return parser


def main(argv: Sequence[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    check_run_args(args, parser)
    from ..eval.arms import parse_arms

    try:
        arms = parse_arms(args.compare)
    except ValueError as exc:
        parser.error(f"--compare: {exc}")

    import asyncio
    import sys
    from pathlib import Path

    from ..batch.output import check_output_path, finished_statuses, resume_skips
    from ..batch.progress import BatchProgress, Tally
    from ..batch.run import Batch
    from ..eval.arms import tasks
    from ..eval.dataset import dataset_path, read_dataset
    from ..eval.report import build_report, latest_lines, report_table
    from ..eval.run import EvalResults, default_output, write_report
    from ..eval.scorers import load_scorers
    from ..runtime.team import resolve_config
    from .batch_cmd import drive
    from .errors import EXIT_INTERRUPTED, EXIT_TERMINATED
    from .setup import prepare_command

    prepare_command(debug=args.debug)
    scorers = load_scorers()
    dataset = dataset_path(args.dataset)
    items = read_dataset(dataset, scorers, scorer=args.scorer)
    if args.output is None and args.resume:
        parser.error("--resume needs -o/--output: the results file to resume")
    output = Path(args.output) if args.output else default_output()
    check_output_path(output, resume=args.resume, questions_file=dataset)
    config = resolve_config(Path(args.config))
    agents = config.agent_ids
    todo = tasks(items, agents, arms)
    statuses = finished_statuses(output, key="task") if args.resume else {}
    skip = resume_skips(statuses, retry_failed=args.retry_failed)
    batch = Batch(
        Path(args.config),
        [t.question() for t in todo],
        skip=skip,
        concurrency=args.concurrency,
        engine=args.engine,
        logs=not args.no_logs,
        ray_address=args.ray_address,
        ray_cpus=args.ray_cpus,
    )
    tally = Tally(len(todo), batch.skipped)
    results = EvalResults(output, {t.key: t for t in todo}, scorers)
    results.open()
    if results.dropped_partial_line:
        print(f"note: dropped an unfinished last line of {output} (cut short earlier)", file=sys.stderr)
    try:
        with BatchProgress(tally, label="eval", unit="answers") as progress, asyncio.Runner() as runner:
            stopped = runner.run(drive(batch, results, progress))
    finally:
        results.close()
    print(progress.summary(str(output), stopped=stopped), file=sys.stderr, flush=True)
    report = build_report(
        items, latest_lines(output), agents=agents, arms=arms, dataset=args.dataset, config=args.config
    )
    json_path, html_path = write_report(report, output)
    print(report_table(report), flush=True)
    print(f"report: {json_path}\nchart: {html_path}", file=sys.stderr, flush=True)
    if stopped is not None:
        return EXIT_TERMINATED if "SIGTERM" in stopped else EXIT_INTERRUPTED
    failed = sum(1 for line in latest_lines(output).values() if line.get("status") != "completed")
    return 0 if failed == 0 else 1
