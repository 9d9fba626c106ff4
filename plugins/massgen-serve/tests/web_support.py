"""The browser the web view's tests drive: Debian's chromium under Playwright (no download)."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from massgen_core.testing.fake_provider import HttpError, RecordedRequest, Reply, ToolCall
from massgen_core.testing.scripted import coordination_reply

#: where screenshots go: a folder CI keeps (MASSGEN_TEST_ARTIFACTS), else build/ in the repository
ARTIFACTS = (
    Path(
        os.environ.get("MASSGEN_TEST_ARTIFACTS")
        or Path(__file__).resolve().parents[3] / "build" / "test-artifacts"
    )
    / "web"
)
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    found = os.environ.get("MASSGEN_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    return found


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("the web view's browser tests need chromium: apt-get install chromium")
        pytest.skip("no chromium here (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    opened.errors = errors
    try:
        yield opened
    finally:
        context.close()


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def streaming(
    answers: Mapping[str, str],
    *,
    chunks: int = 12,
    chunk_delay: float = 0.05,
    first: Mapping[str, Reply | HttpError] | None = None,
) -> Callable[[RecordedRequest], Reply | HttpError]:
    """Agents (told apart by model) that coordinate as serve_support's do, but stream their
    answer as text first, in ``chunks`` pieces ``chunk_delay`` apart. ``first``: what a model's
    first request gets instead (a reply that breaks off, an error)."""
    asked: set[str] = set()
    lock = threading.Lock()

    def reply(request: RecordedRequest) -> Reply | HttpError:
        model = request.model or ""
        with lock:
            first_time = model not in asked
            asked.add(model)
        if first_time and first and model in first:
            return first[model]
        answer = answers[model]
        spec = coordination_reply(request.last_user_text or "", request.tool_names, answer=answer)
        calls = tuple(ToolCall(c["name"], c["arguments"]) for c in spec.get("tool_calls", ()))
        answering = any(c["name"] == "new_answer" for c in spec.get("tool_calls", ()))
        text = f"Thinking it over. {answer}" if answering else spec.get("text", "")
        return Reply(text, tool_calls=calls, text_chunks=chunks, chunk_delay=chunk_delay)

    return reply
