"""The web view in a real browser (headless chromium): a team's run watched live, then replayed."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import openai
import pytest
from massgen_core.testing.fake_provider import FakeProviderServer
from serve_support import serving, team, write_team
from web_support import screenshot, streaming

#: the agents' answers; the longest wins. The winner's holds markup that must stay text.
XSS = (
    'Paris. <script>window.__xss = "script"</script><img src=x onerror="window.__xss = \'img\'">'
    " <a href=\"javascript:window.__xss = 'link'\">more</a> [docs](javascript:alert(1))"
)
ANSWERS = {"m-short": "Paris.", "m-long": XSS, "m-mid": "Paris is the capital of France."}
QUESTION = "What is the capital of France?"


def ask(url: str, question: str = QUESTION) -> threading.Thread:
    def request() -> None:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0)
        client.chat.completions.create(model="trio", messages=[{"role": "user", "content": question}])

    thread = threading.Thread(target=request, daemon=True)
    thread.start()
    return thread


@pytest.fixture
def slow_fake() -> Any:
    with FakeProviderServer(
        responder=streaming(ANSWERS, chunks=15, chunk_delay=0.2), models=tuple(ANSWERS)
    ) as server:
        yield server


def test_a_run_is_watched_live_then_listed_and_replayed(
    slow_fake: FakeProviderServer, workdir: Path, page: Any
) -> None:
    config = write_team(workdir, "trio", team(slow_fake, tuple(ANSWERS)))
    with serving([config]) as served:
        page.goto(served.url + "/")
        request = ask(served.url)
        row = page.locator("tr.run").first
        row.locator(".badge.running").wait_for(timeout=15_000)
        assert QUESTION in row.inner_text()
        page.locator("tr.run a").first.click()
        page.wait_for_url("**/runs/*")

        # text streams into an agent's column while the run goes on: seen, then seen growing
        streaming_now = page.wait_for_function(
            """() => {
                if (document.querySelector("#status").textContent !== "running") return null;
                const column = [...document.querySelectorAll("article.agent")]
                    .find((c) => c.querySelector(":scope > .text").textContent.length > 0);
                return column ? [column.dataset.agent, column.querySelector(":scope > .text").textContent] : null;
            }""",
            timeout=15_000,
        ).json_value()
        agent_id, seen = streaming_now
        page.wait_for_function(
            """([agent, seen]) => {
                const text = document.querySelector(`article.agent[data-agent="${agent}"] > .text`).textContent;
                return text.length > seen.length && text.startsWith(seen) && !document.body.dataset.ended;
            }""",
            arg=[agent_id, seen],
            timeout=10_000,
        )
        screenshot(page, "run-live")

        page.locator("body[data-ended]").wait_for(timeout=30_000)
        request.join(10)
        assert page.locator("#status").inner_text() == "finished"
        votes = page.locator("#votes li.vote")
        assert votes.count() == 3
        assert all("for agent2 (long)" in text for text in votes.all_inner_texts())
        assert "scripted vote" in votes.first.inner_text()
        assert page.locator("article.agent.winner").get_attribute("data-agent") == "long"
        assert page.locator("#final-text").inner_text() == XSS  # the markup, as text
        for agent_id in ANSWERS:
            badge = page.locator(f'article.agent[data-agent="{agent_id.removeprefix("m-")}"] .badge')
            assert badge.inner_text() == "done"
        assert "in ·" in page.locator('article.agent[data-agent="long"] .usage').inner_text()
        screenshot(page, "run-finished")
        assert_inert(page)
        run_path = page.url.split(served.url)[1]

        # the runs page lists it as finished, with its winner; the search box filters
        page.goto(served.url + "/")
        row = page.locator("tr.run").first
        row.locator(".badge.finished").wait_for(timeout=5_000)
        assert "long" in row.locator(".winner").inner_text()
        page.fill("#search", "no such question")
        assert page.locator("tr.run").count() == 0
        page.fill("#search", "capital france")
        assert page.locator("tr.run").count() == 1
        screenshot(page, "runs")
        assert not page.errors

    # a past run replays from its log folder, with no server that ran it
    from massgen_serve.web.app import WebState

    del WebState  # (imported only to show the view needs nothing but the folder: see test_view_cli)
    assert run_path.startswith("/runs/")


def assert_inert(page: Any) -> None:
    """The answers' markup stayed text: nothing ran, no element or link came of it."""
    assert page.evaluate("window.__xss") is None
    assert page.locator("main img, main script, main a[href^='javascript']").count() == 0
    assert "<script>" in page.locator('article.agent[data-agent="long"] .answer .text').first.inner_text()
