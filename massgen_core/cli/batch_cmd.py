"""``massgen batch --config team.yaml questions.jsonl -o results.jsonl``: many questions, one
coordination each, results as JSON lines.

Only argparse is imported at module level (``massgen batch --help`` stays fast); the engines are
imported after parsing, Ray only with ``--engine ray``. Bad input (the questions file, the output
path, the config) is reported before any question runs. Ctrl-C and SIGTERM stop the questions
still running (their turns are saved as ``cancelled``), keep every finished line, and exit with
130 and 143; otherwise the exit status is 0 when every question completed, else 1.
"""

from __future__ import annotations

import argparse
import signal
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .errors import EXIT_INTERRUPTED, EXIT_TERMINATED
from .format import argument_parser

if TYPE_CHECKING:
    from ..batch.output import ResultsFile
    from ..batch.progress import BatchProgress
    from ..batch.run import Batch

__all__ = ["add_run_options", "build_parser", "check_run_args", "drive", "main"]

_EXAMPLES = """\
input: one question per line, a JSON object {"id": ..., "question": ..., ...} (other fields are
copied to the output line) or plain text (numbered by line). Each output line has id, question,
status, final_answer, winner, error, usage, cost, duration, end_reason, session, session_dir,
log_dir, engine, worker and the input's other fields, written as soon as the question ends.

examples:
  massgen batch --config team.yaml questions.jsonl -o results.jsonl
  massgen batch --config team.yaml questions.jsonl -o results.jsonl --resume
  massgen batch --config team.yaml questions.jsonl -o results.jsonl --engine ray --ray-address auto
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argument_parser(
        raw_description=True,
        prog="massgen batch",
        description="Answer every question of a file with the agents of a config, one coordination each.",
        epilog=_EXAMPLES,
    )
    parser.add_argument("questions", metavar="QUESTIONS", help="the questions file (.jsonl or plain text)")
    parser.add_argument("--config", metavar="FILE", required=True, help="a YAML config with the agents")
    parser.add_argument("-o", "--output", metavar="PATH", required=True, help="the results file (JSON lines)")
    add_run_options(parser)
    return parser


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """The options of how the questions run (concurrency, resume, engine, logs), shared with
    ``massgen eval``."""
    parser.add_argument(
        "--concurrency",
        metavar="N",
        type=int,
        help=(
            "questions at once (default: 4 on the local engine, 1 there when the agents use "
            "workspaces; the cluster's CPUs on Ray)"
        ),
    )
    parser.add_argument(
        "--resume", action="store_true", help="skip the ids already in the output and append to it"
    )
    parser.add_argument(
        "--retry-failed", action="store_true", help="with --resume: run the questions that failed again"
    )
    parser.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="local: this process (default); ray: Ray tasks on a cluster (pip install 'massgen-core[ray]')",
    )
    parser.add_argument(
        "--ray-address", metavar="ADDR", help="the Ray cluster (default: RAY_ADDRESS, else a local cluster)"
    )
    parser.add_argument("--ray-cpus", metavar="N", type=int, help="the local Ray cluster's CPUs")
    parser.add_argument("--no-logs", action="store_true", help="do not write the questions' run logs")
    parser.add_argument("--debug", action="store_true", help="log details to stderr; show tracebacks")


def check_run_args(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    if args.concurrency is not None and args.concurrency < 1:
        parser.error(f"--concurrency must be at least 1, not {args.concurrency}")
    if args.retry_failed and not args.resume:
        parser.error("--retry-failed goes with --resume")
    if args.engine != "ray" and (args.ray_address or args.ray_cpus):
        parser.error("--ray-address and --ray-cpus go with --engine ray")
    if args.ray_cpus is not None and args.ray_cpus < 1:
        parser.error(f"--ray-cpus must be at least 1, not {args.ray_cpus}")


async def drive(batch: Batch, results: ResultsFile, progress: BatchProgress) -> str | None:
    """Run the batch, writing each line as it comes; returns the signal that stopped it, if one did."""
    import asyncio
    from contextlib import aclosing

    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    stopped: list[str] = []

    def on_signal(name: str) -> None:
        if stopped:  # already stopping: let the clean-up finish
            return
        stopped.append(name)
        progress.note(f"{name}: stopping; the questions still running are cancelled")
        if task is not None:
            task.cancel()

    handled = []
    for sig, name in ((signal.SIGTERM, "terminated (SIGTERM)"), (signal.SIGINT, "interrupted")):
        try:
            loop.add_signal_handler(sig, on_signal, name)
            handled.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
            pass
    try:
        if batch.engine.name == "ray":
            address = getattr(batch.engine, "address", None)
            progress.note(
                f"joining the Ray cluster at {address}..."
                if address
                else "starting a local Ray cluster (10-30 seconds)..."
            )
        await batch.start()
        async with aclosing(batch.results()) as lines:
            async for line in lines:
                results.write(line)
                progress.finished(line)
    except asyncio.CancelledError:
        if not stopped or task is None:
            raise
        task.uncancel()
    finally:
        try:
            await batch.close()  # also when stopped while the engine was starting
        finally:
            for sig in handled:
                loop.remove_signal_handler(sig)
    return stopped[0] if stopped else None


def main(argv: Sequence[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    check_run_args(args, parser)

    import asyncio
    import sys
    from pathlib import Path

    from ..batch.output import ResultsFile, check_output_path, finished_statuses, resume_skips
    from ..batch.progress import BatchProgress, Tally
    from ..batch.questions import BatchInputError, read_questions
    from ..batch.run import Batch
    from .setup import prepare_command

    prepare_command(debug=args.debug)
    questions_file = Path(args.questions)
    questions = read_questions(questions_file)
    if not questions:
        raise BatchInputError(f"questions file {questions_file} has no questions (one per line)")
    output = Path(args.output)
    check_output_path(output, resume=args.resume, questions_file=questions_file)
    statuses = finished_statuses(output) if args.resume else {}
    skip = resume_skips(statuses, retry_failed=args.retry_failed)
    batch = Batch(
        Path(args.config),
        questions,
        skip=skip,
        concurrency=args.concurrency,
        engine=args.engine,
        logs=not args.no_logs,
        ray_address=args.ray_address,
        ray_cpus=args.ray_cpus,
    )
    failed_before = sum(1 for q in questions if statuses.get(q.key) == "failed" and q.key in skip)
    tally = Tally(len(questions), batch.skipped)
    results = ResultsFile(output)
    results.open()
    if results.dropped_partial_line:
        print(f"note: dropped an unfinished last line of {output} (cut short earlier)", file=sys.stderr)
    try:
        with BatchProgress(tally) as progress, asyncio.Runner() as runner:
            stopped = runner.run(drive(batch, results, progress))
    finally:
        results.close()
    print(progress.summary(str(output), stopped=stopped), file=sys.stderr, flush=True)
    if failed_before:
        print(
            f"{failed_before} question(s) had failed in an earlier run (--resume --retry-failed runs them again)",
            file=sys.stderr,
        )
    if stopped is not None:
        return EXIT_TERMINATED if "SIGTERM" in stopped else EXIT_INTERRUPTED
    return 0 if tally.failed == 0 and failed_before == 0 else 1
