"""The web view as a user runs it: `massgen --web` prints a page that shows the run live (another
process writes the log), and `massgen view` replays it afterwards, from the log folder alone."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from massgen_core.testing.cli import run_massgen, stop_process
from massgen_core.testing.fake_provider import Disconnect, FakeProviderServer, HttpError, Reply
from serve_support import team, write_team
from web_support import screenshot, streaming

ANSWERS = {
    "m-short": "Paris.",
    "m-long": "The capital of France is Paris, on the Seine; it has been since 987.",
    "m-flaky": "Paris is the capital of France.",
    "m-down": "unused",
}
QUESTION = "What is the capital of France?"
#: m-flaky's first reply breaks off (it is retried); m-down's provider refuses its key
FIRST = {
    "m-flaky": Reply("Let me think about thi", text_chunks=4, fault=Disconnect(after=3)),
    "m-down": HttpError(401, invalid_api_key=True),
}
_PAGE = re.compile(r"watch it live: (http://\S+)")
_VIEWING = re.compile(r" on (http://\S+) ")


def env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("MASSGEN_")}


@contextmanager
def child(
    args: list[str], cwd: Path, *, pattern: re.Pattern[str], stream: str
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``massgen ARGS`` in a child process; yields the address it prints (on ``stream``)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "massgen_core", *args],
        cwd=cwd,
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out = getattr(proc, stream)
        seen = []
        for line in out:
            seen.append(line)
            if match := pattern.search(line):
                yield match.group(1), proc
                break
        else:
            pytest.fail(f"no address printed: {''.join(seen)}; {proc.communicate()[1]}")
    finally:
        stop_process(proc)


@pytest.fixture
def fake() -> Iterator[FakeProviderServer]:
    responder = streaming(ANSWERS, chunks=12, chunk_delay=0.15, first=FIRST)
    with FakeProviderServer(responder=responder, models=tuple(ANSWERS)) as server:
        yield server


def test_massgen_web_shows_a_cli_run_live_and_massgen_view_replays_it(
    fake: FakeProviderServer, workdir: Path, page: Any
) -> None:
    config = team(fake, tuple(ANSWERS))
    config["timeout_settings"] |= {"first_event_timeout": 10}
    write_team(workdir, "quad", config)
    args = ["--config", "quad.yaml", "--web", "--no-display", QUESTION]
    with child(args, workdir, pattern=_PAGE, stream="stderr") as (url, run):
        page.goto(url)  # it answers once printed
        page.locator("article.agent").first.wait_for(timeout=15_000)
        assert page.locator("#status").inner_text() == "running"
        page.wait_for_function(
            """() => [...document.querySelectorAll("article.agent > .text")].some((t) => t.textContent)
                && !document.body.dataset.ended""",
            timeout=15_000,
        )
        page.locator("body[data-ended]").wait_for(timeout=60_000)
        out, err = run.communicate(timeout=30)
    assert run.returncode == 0, err
    assert out.strip() == ANSWERS["m-long"]
    assert page.locator("#final-text").inner_text() == ANSWERS["m-long"]
    failed = page.locator('article.agent[data-agent="down"]')
    assert "failed" in failed.get_attribute("class")
    assert failed.locator(".badge").inner_text() == "failed"
    (error,) = failed.locator(".activity .error").all_inner_texts()  # said once, as its failure
    assert error.startswith("✖ authentication") and "OPENAI_API_KEY" in error
    retried = page.locator('article.agent[data-agent="flaky"] .activity .retry')
    assert "retrying a reply that broke off" in retried.inner_text()
    screenshot(page, "cli-run-live-finished")
    assert not [e for e in page.errors if "ERR_CONNECTION_REFUSED" not in e]
    (log_dir,) = (workdir / ".massgen" / "logs").iterdir()

    # afterwards, `massgen view` replays it from the folder, to the same page
    with child(["view", "--port", "0"], workdir, pattern=_VIEWING, stream="stdout") as (root_url, _):
        page.goto(root_url)
        link = page.locator(f'tr.run a[data-run="{log_dir.name}"]')
        link.wait_for(timeout=5_000)
        assert page.locator("tr.run .badge").inner_text() == "finished"
        assert_keyboard_reaches_every_control(page)
        link.focus()
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/runs/{log_dir.name}")
        page.locator("body[data-ended]").wait_for(timeout=10_000)
        assert page.locator("#final-text").inner_text() == ANSWERS["m-long"]
        assert page.locator("#votes li.vote").count() == 3  # down failed; the others voted
        assert page.locator("article.agent.winner").get_attribute("data-agent") == "long"
        assert "retrying" in page.locator('article.agent[data-agent="flaky"] .activity').inner_text()
        assert_keyboard_reaches_every_control(page)
        screenshot(page, "run-replayed")


def assert_keyboard_reaches_every_control(page: Any) -> None:
    """Tab, from the top, goes through every link, field, button and disclosure of the page."""
    controls = page.evaluate(
        """() => {
            const all = [...document.querySelectorAll("a[href], input, button, summary, select, textarea")]
                .filter((e) => e.offsetParent !== null);
            all.forEach((e, i) => e.dataset.control = String(i));
            return all.length;
        }"""
    )
    assert controls > 0
    page.evaluate("document.activeElement && document.activeElement.blur()")
    reached = set()
    for _ in range(controls + 3):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("document.activeElement.dataset.control ?? null"))
    assert {str(i) for i in range(controls)} <= reached


def test_web_without_massgen_view_says_which_plugin_to_install(workdir: Path) -> None:
    write_team(
        workdir,
        "solo",
        {
            "agents": [
                {
                    "id": "a",
                    "backend": {
                        "type": "chatcompletion",
                        "model": "m",
                        "base_url": "http://127.0.0.1:9/v1",
                        "api_key": "k",
                    },
                }
            ]
        },
    )
    result = run_massgen("--config", "solo.yaml", "--web", "--no-logs", "Q?", cwd=workdir)
    assert result.returncode == 2 or result.returncode == 1
    assert "--web shows the run's log folder: drop --no-logs" in result.stderr
    assert "Traceback" not in result.stderr
