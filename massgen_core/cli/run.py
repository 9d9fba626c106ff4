"""``massgen [options] "question"``: run the agents of a config (or one quick agent) on a question.

Without a question it is interactive: each line is a question in the same session. Only
argparse is imported at module level so ``massgen --help`` stays fast; the coordination
machinery is imported in :func:`main` after parsing.

SIGTERM does what Ctrl-C does: the running question is cancelled (its turn is saved as
``cancelled``, its logs are closed), the agents' backends and MCP servers are stopped, and
the process exits with 143 (128 + SIGTERM).
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING, TypeVar

from .errors import EXIT_TERMINATED
from .format import argument_parser

if TYPE_CHECKING:
    import asyncio

    from ..config.model import RunConfig
    from ..display import Display, DisplayType
    from ..records.sessions import Session, SessionStore
    from ..runtime.team import Team
    from .web_view import WebView

__all__ = ["build_parser", "main"]

_EXAMPLES = """\
examples:
  massgen --config examples/scripted_three_agents.yaml "What is the capital of France?"
  massgen --backend openai --model gpt-5-mini "Explain CRDTs in two sentences"
  massgen --backend openai --model gpt-4o -a photo.jpg "What is in this picture?"
  massgen --config team.yaml                      interactive: one question per line
  massgen --config team.yaml --continue "And in Rust?"   resume the latest session

Without a terminal on stdout (or with --no-display) only the final answer goes to stdout;
progress goes to stderr. Runs are saved under .massgen/sessions/ and logged under .massgen/logs/.
"""

_INTERACTIVE_HELP = "commands: /quit (or /exit, /q), /reset (new session), /help; Ctrl-C cancels a question"

T = TypeVar("T")


class Terminated(BaseException):
    """SIGTERM arrived: unwind like Ctrl-C (``finally`` blocks run), then exit 143."""


class _Sigterm:
    """SIGTERM handling: inside the event loop it cancels the running question (as Ctrl-C
    does); outside it (reading the next question, loading the config) it raises
    :class:`Terminated` at once. ``received`` stays set so the exit status is 143."""

    def __init__(self) -> None:
        self.received = False

    def install(self) -> None:
        """Handle SIGTERM outside the event loop (and after each :meth:`guard`)."""
        signal.signal(signal.SIGTERM, self._outside_loop)

    def _outside_loop(self, _signum: int, _frame: object) -> None:
        self.received = True
        raise Terminated

    async def guard(self, work: Awaitable[T], *, cancel: bool = True) -> T:
        """Await ``work``; SIGTERM meanwhile cancels it and raises :class:`Terminated` (with
        ``cancel=False``, for the final clean-up, it only notes the signal)."""
        import asyncio

        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        terminated = False

        def on_sigterm() -> None:
            nonlocal terminated
            self.received = terminated = True
            if cancel and task is not None:
                task.cancel()

        try:
            loop.add_signal_handler(signal.SIGTERM, on_sigterm)
        except (NotImplementedError, RuntimeError, ValueError):  # no signals here (e.g. not the main thread)
            return await work
        try:
            return await work
        except asyncio.CancelledError:
            if terminated and task is not None:
                task.uncancel()
                raise Terminated from None
            raise
        finally:
            loop.remove_signal_handler(signal.SIGTERM)
            self.install()


def build_parser() -> argparse.ArgumentParser:
    from . import subcommand_help

    parser = argument_parser(
        raw_description=True,
        prog="massgen",
        description=(
            "Run several LLM agents on one question: they answer in parallel, see each other's "
            "answers, vote, and the winner presents the final answer."
        ),
        epilog=f"{_EXAMPLES}\n{subcommand_help()}",
    )
    parser.add_argument("question", nargs="?", help="the question (omit it for interactive mode)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--config", metavar="FILE", help="a YAML config with the agents")
    source.add_argument("--backend", metavar="TYPE", help="quick mode: one agent on this backend type")
    parser.add_argument(
        "--model", metavar="MODEL", help="quick mode: the model (infers --backend when omitted)"
    )
    parser.add_argument("--base-url", metavar="URL", help="quick mode: the API endpoint")
    parser.add_argument("--system-message", metavar="TEXT", help="quick mode: the agent's system message")
    parser.add_argument(
        "-a",
        "--attach",
        metavar="FILE",
        action="append",
        default=[],
        help="give FILE (a path or URL: image, audio, video or document; its type is read from its "
        "content) to the agents with the question; repeatable",
    )
    parser.add_argument(
        "--no-display",
        action="store_true",
        help="no live display: final answer on stdout, progress on stderr",
    )
    parser.add_argument("--output-file", metavar="PATH", help="also write the final answer to PATH")
    parser.add_argument("--no-logs", action="store_true", help="do not write the run's log folder")
    parser.add_argument(
        "--web",
        action="store_true",
        help="watch the run in a browser: prints its page (served by `massgen view`, from the "
        "massgen-serve plugin, while massgen runs)",
    )
    session = parser.add_mutually_exclusive_group()
    session.add_argument(
        "--continue", dest="continue_session", action="store_true", help="resume the latest session"
    )
    session.add_argument(
        "--session-id", metavar="ID", help="resume session ID (`massgen sessions` lists them)"
    )
    parser.add_argument("--debug", action="store_true", help="log details to stderr; show tracebacks")
    parser.add_argument("--version", action="version", version=_version(), help="print the version and exit")
    return parser


def _version() -> str:
    from ..version import __version__

    python = ".".join(map(str, sys.version_info[:3]))
    return f"massgen {__version__} (massgen-core, Python {python}); `massgen plugins` lists the plugins"


class _Runner:
    """One CLI invocation: the config, where output goes, and the current session."""

    def __init__(self, args: argparse.Namespace, team: Team, store: SessionStore, sigterm: _Sigterm) -> None:
        self.args = args
        self.sigterm = sigterm
        #: one team for every question, so MCP servers are not restarted between questions
        self.team = team
        config = team.config
        self.store = store
        self.session: Session | None = None
        self.web: WebView | None = None
        self.display_kind: DisplayType
        if args.no_display or not sys.stdout.isatty():
            self.display_kind = "silent" if config.ui.display_type == "silent" else "simple"
            self.progress = sys.stderr
        else:
            self.display_kind = config.ui.display_type
            self.progress = sys.stdout

    @property
    def config(self) -> RunConfig:
        return self.team.config

    def _display(self) -> Display:
        from ..display import make_display

        return make_display(self.display_kind, stream=self.progress)

    def _note(self, text: str) -> None:
        if self.display_kind != "silent":
            print(text, file=sys.stderr, flush=True)

    def ask(self, runner: asyncio.Runner, question: str) -> int:
        """Run one question; prints the final answer. Returns the exit status."""
        from pathlib import Path

        from ..records.runlog import new_run_id, run_log_dir

        self.session = self.session or self.store.create()
        earlier = len(self.session.history())
        run_id = new_run_id()
        log_dir = None if self.args.no_logs else run_log_dir(self.config, run_id)
        if self.web is not None:
            problem = self.web.problem()
            what = f"web view stopped: {problem}" if problem else f"watch it live: {self.web.page(run_id)}"
            print(what, file=sys.stderr, flush=True)  # asked for with --web: said even when silent
        display = self._display()
        try:
            result = runner.run(
                self.sigterm.guard(
                    self.team.run(
                        question,
                        session=self.session,
                        log_dir=log_dir,
                        on_event=display.handle,
                        attachments=self.args.attach,
                    )
                )
            )
        except (KeyboardInterrupt, Terminated) as stop:
            display.close()  # first, so the live view is left clean
            what = "terminated (SIGTERM)" if isinstance(stop, Terminated) else "cancelled"
            kept = f"keeps its {earlier} earlier turn(s)" if earlier else "saved the question as cancelled"
            self._note(
                f"\n{what}; session {self.session.id} {kept} (massgen --session-id {self.session.id} to continue)"
            )
            if isinstance(stop, Terminated):
                raise
            return 130
        finally:
            display.close()
        print(result.final_answer, flush=True)
        if self.args.output_file:
            try:
                Path(self.args.output_file).write_text(result.final_answer + "\n", encoding="utf-8")
            except OSError as exc:  # checked before the run; the answer is printed and saved anyway
                self._note(f"error: could not write --output-file {self.args.output_file}: {exc.strerror}")
        where = f" · logs: {log_dir}" if log_dir else ""
        self._note(f"session: {self.session.id}{where}")
        return 0

    def interactive(self, runner: asyncio.Runner) -> int:
        from ..plugin.errors import MassgenError

        prompt = "question> " if sys.stdin.isatty() and sys.stdout.isatty() else ""
        agents = ", ".join(a.id for a in self.config.agents)
        self._note(f"massgen interactive mode · agents: {agents}\n{_INTERACTIVE_HELP}")
        answered = False
        while True:
            try:
                line = input(prompt)
            except EOFError:
                return 0
            except KeyboardInterrupt:
                self._note("")
                return 0
            question = line.strip()
            if not question:
                continue
            if question in ("/quit", "/exit", "/q"):
                return 0
            if question in ("/reset", "/clear"):
                self.session = None
                self._note("new session: earlier turns are no longer in context")
                continue
            if question in ("/help", "/h"):
                self._note(_INTERACTIVE_HELP)
                continue
            if answered and not prompt:  # piped: a blank line between one answer and the next
                print(flush=True)
            try:
                answered = self.ask(runner, question) == 0
            except MassgenError as exc:
                if self.args.debug:
                    raise
                print(f"error: {exc}", file=sys.stderr, flush=True)


def _load_config(args: argparse.Namespace, parser: argparse.ArgumentParser) -> RunConfig:
    import attrs

    from ..config.loader import load_config, single_agent_config

    if args.config:
        if args.model or args.base_url or args.system_message:
            parser.error(
                "--model, --base-url and --system-message are for quick mode (--backend), not --config"
            )
        from pathlib import Path

        config = load_config(Path(args.config))
        for change in config.compat:  # MassGen keys this run ignores: say so (`massgen validate` lists all)
            if change.kind == "ignored":
                print(f"warning: {change}", file=sys.stderr, flush=True)
        return config
    if not (args.backend or args.model):
        parser.error("give --config FILE, or --backend TYPE --model MODEL (see massgen --help)")
    config = single_agent_config(args.backend, args.model, args.base_url)
    if args.system_message:
        agent = attrs.evolve(config.agents[0], system_message=args.system_message)
        config = attrs.evolve(config, agents=(agent,))
    return config


def _check_output_file(value: str | None, parser: argparse.ArgumentParser) -> None:
    """A bad ``--output-file`` is found before the run, not after it."""
    if not value:
        return
    import os
    from pathlib import Path

    path = Path(value)
    folder = path.parent
    if path.is_dir():
        parser.error(f"--output-file {value}: is a directory; give a file path")
    if not folder.is_dir():
        parser.error(f"--output-file {value}: folder {folder} does not exist; create it first")
    if not os.access(path if path.exists() else folder, os.W_OK):
        parser.error(f"--output-file {value}: not writable")


def main(argv: Sequence[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _check_output_file(args.output_file, parser)

    import asyncio

    from ..plugin.errors import MassgenError
    from ..records.sessions import SessionStore
    from .setup import prepare_command

    sigterm = _Sigterm()
    sigterm.install()
    try:
        prepare_command(debug=args.debug)
        config = _load_config(args, parser)
        from ..runtime.team import Team

        store = SessionStore.of(config)
        cli = _Runner(args, Team(config), store, sigterm)
        cli.team.attachments(args.attach)  # a missing or unsuitable -a file is reported before any run
        if args.session_id:
            cli.session = store.open(args.session_id)
        elif args.continue_session:
            cli.session = store.latest()
            if cli.session is None:
                raise MassgenError(f"no session to continue in {store.root}")
        if args.web:
            if args.no_logs or not config.ui.logging_enabled:
                raise MassgenError(
                    "--web shows the run's log folder: drop --no-logs (and ui.logging_enabled: false)"
                )
            from ..records.runlog import DEFAULT_LOG_ROOT
            from .web_view import WebView

            cli.web = WebView(DEFAULT_LOG_ROOT)
        with asyncio.Runner() as runner:
            try:
                status = (
                    cli.ask(runner, args.question) if args.question is not None else cli.interactive(runner)
                )
            finally:  # the agents' backends and MCP servers, also after SIGTERM
                runner.run(sigterm.guard(cli.team.aclose(), cancel=False))
                if cli.web is not None:
                    cli.web.close()
    except Terminated:
        return EXIT_TERMINATED
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    return EXIT_TERMINATED if sigterm.received else status
