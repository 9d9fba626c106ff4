"""Files given with the question reach Claude as Messages API content blocks, through the real
``massgen`` command and the anthropic SDK against the fake provider: images as ``image`` blocks
(base64 source, or url source for a URL), PDFs as ``document`` blocks, text documents inline.
The tests decode what the provider got and compare it with the files' bytes."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from claude_testkit import MODEL
from massgen_core.testing.cli import massgen_main
from massgen_core.testing.fake_provider import FakeProviderServer, Reply, WireFormat
from massgen_core.testing.media import SAMPLES, write_media

ANSWER = "A chart and a report."


@pytest.fixture
def server() -> Iterator[FakeProviderServer]:
    with FakeProviderServer(models=(MODEL,), responder=lambda _: Reply(ANSWER)) as fake:
        yield fake
    assert not fake.handler_errors


def massgen(
    *argv: str, cwd: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    code = massgen_main(*argv) if argv[0] == "validate" else massgen_main(*argv, "--no-display", "--no-logs")
    out, err = capsys.readouterr()
    return code, out, err


def user_blocks(server: FakeProviderServer) -> list[dict[str, Any]]:
    (call,) = server.model_calls(WireFormat.ANTHROPIC_MESSAGES)
    (user,) = [m for m in call.json["messages"] if m["role"] == "user"]
    blocks: list[dict[str, Any]] = user["content"]
    return blocks


def test_attach_sends_images_and_a_pdf_as_content_blocks(
    server: FakeProviderServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_media(tmp_path / "chart", "jpeg")  # no extension: typed by its content
    write_media(tmp_path / "report.pdf", "pdf")
    code, out, err = massgen(
        "--backend", "claude", "--model", MODEL, "--base-url", server.anthropic_base_url,
        "-a", "chart", "-a", "report.pdf", "-a", "https://img.example/cat.gif", "What do these show?",
        cwd=tmp_path, monkeypatch=monkeypatch, capsys=capsys,
    )  # fmt: skip
    assert code == 0, err
    assert out.strip() == ANSWER
    text, image, document, remote = user_blocks(server)
    assert text == {"type": "text", "text": "What do these show?"}
    assert image["type"] == "image" and image["source"]["type"] == "base64"
    assert image["source"]["media_type"] == "image/jpeg"
    assert base64.b64decode(image["source"]["data"]) == SAMPLES["jpeg"]
    assert document["type"] == "document" and document["title"] == "report.pdf"
    assert document["source"]["type"] == "base64" and document["source"]["media_type"] == "application/pdf"
    assert base64.b64decode(document["source"]["data"]) == SAMPLES["pdf"]
    assert remote == {"type": "image", "source": {"type": "url", "url": "https://img.example/cat.gif"}}


def test_upload_files_from_a_config(
    server: FakeProviderServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_media(tmp_path / "files" / "diagram.png", "png")
    write_media(tmp_path / "files" / "brief.pdf", "pdf")
    write_media(tmp_path / "files" / "notes.md", "text")
    config = tmp_path / "claude.yaml"
    backend = {
        "type": "claude",
        "model": MODEL,
        "base_url": server.anthropic_base_url,
        "upload_files": [
            {"image_path": "files/diagram.png"},
            {"file_path": "files/brief.pdf"},
            {"file_path": "files/notes.md"},
        ],
    }
    config.write_text(json.dumps({"agent": {"id": "reader", "backend": backend}}))
    code, out, err = massgen(
        "--config", str(config), "Explain.", cwd=tmp_path, monkeypatch=monkeypatch, capsys=capsys
    )
    assert code == 0, err
    assert out.strip() == ANSWER
    _, image, document, notes = user_blocks(server)
    assert image["source"]["media_type"] == "image/png"
    assert base64.b64decode(image["source"]["data"]) == SAMPLES["png"]
    assert base64.b64decode(document["source"]["data"]) == SAMPLES["pdf"]
    assert notes == {
        "type": "text",
        "text": '<document name="notes.md">\n' + SAMPLES["text"].decode() + "\n</document>",
    }


def test_audio_for_claude_is_refused_at_validation(
    server: FakeProviderServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_media(tmp_path / "memo.wav", "wav")
    config = tmp_path / "claude.yaml"
    config.write_text(
        f"agent:\n  backend:\n    type: claude\n    model: {MODEL}\n    upload_files:\n      - audio_path: memo.wav\n"
    )
    code, _, err = massgen("validate", str(config), cwd=tmp_path, monkeypatch=monkeypatch, capsys=capsys)
    assert code != 0
    assert f"{config}:6:21: agent.backend.upload_files[0].audio_path: " in err
    assert f"backend 'claude' with model '{MODEL}' does not accept audio input" in err
    assert "gemini" in err  # where audio understanding is
    assert not server.requests
