"""Files given with the question reach Gemini as ``inline_data`` parts (bytes, base64 on the
wire) or ``file_data`` (a URL), through the real ``massgen`` command and google-genai against the
fake provider; the tests decode what the provider got and compare it with the files' bytes."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gemini_testkit import MODEL
from massgen_core.testing.cli import massgen_main
from massgen_core.testing.fake_provider import FakeProviderServer, Reply, WireFormat
from massgen_core.testing.media import SAMPLES, write_media

ANSWER = "A cat purring in a video."


@pytest.fixture
def server() -> Iterator[FakeProviderServer]:
    with FakeProviderServer(models=(MODEL,), responder=lambda _: Reply(ANSWER)) as fake:
        yield fake
    assert not fake.handler_errors


def massgen(
    *argv: str, cwd: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("GOOGLE_API_KEY", "test-key")
    code = massgen_main(*argv, "--no-display", "--no-logs")
    out, err = capsys.readouterr()
    return code, out, err


def user_parts(server: FakeProviderServer) -> list[dict[str, Any]]:
    (call,) = server.model_calls(WireFormat.GEMINI)
    (user,) = [c for c in call.json["contents"] if c.get("role", "user") == "user"]
    parts: list[dict[str, Any]] = user["parts"]
    return parts


def inline(part: dict[str, Any]) -> tuple[str, bytes]:
    data = part.get("inlineData") or part["inline_data"]
    encoded = str(data["data"]).replace("+", "-").replace("/", "_")  # google-genai sends URL-safe base64
    return data.get("mimeType") or data["mime_type"], base64.urlsafe_b64decode(encoded)


def test_attach_sends_image_audio_video_and_pdf_inline(
    server: FakeProviderServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_media(tmp_path / "cat", "gif")  # no extension: typed by its content
    write_media(tmp_path / "purr.mp3", "mp3")
    write_media(tmp_path / "clip", "webm")
    write_media(tmp_path / "vet.pdf", "pdf")
    code, out, err = massgen(
        "--backend", "gemini", "--model", MODEL, "--base-url", server.gemini_base_url,
        "-a", "cat", "-a", "purr.mp3", "-a", "clip", "-a", "vet.pdf",
        "-a", "https://videos.example/cat.mp4", "What is going on?",
        cwd=tmp_path, monkeypatch=monkeypatch, capsys=capsys,
    )  # fmt: skip
    assert code == 0, err
    assert out.strip() == ANSWER
    text, image, audio, video, pdf, remote = user_parts(server)
    assert text == {"text": "What is going on?"}
    assert inline(image) == ("image/gif", SAMPLES["gif"])
    assert inline(audio) == ("audio/mpeg", SAMPLES["mp3"])
    assert inline(video) == ("video/webm", SAMPLES["webm"])
    assert inline(pdf) == ("application/pdf", SAMPLES["pdf"])
    file_data = remote.get("fileData") or remote["file_data"]
    assert file_data == {"file_uri": "https://videos.example/cat.mp4", "mime_type": "video/mp4"}


def test_upload_files_from_a_config(
    server: FakeProviderServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_media(tmp_path / "media" / "lecture.mp4", "mp4")
    write_media(tmp_path / "media" / "notes.txt", "text")
    backend = {
        "type": "gemini",
        "model": MODEL,
        "base_url": server.gemini_base_url,
        "upload_files": [{"video_path": "media/lecture.mp4"}, {"file_path": "media/notes.txt"}],
    }
    config = tmp_path / "gemini.yaml"
    config.write_text(json.dumps({"agent": {"backend": backend}}))
    code, out, err = massgen(
        "--config", str(config), "Summarise.", cwd=tmp_path, monkeypatch=monkeypatch, capsys=capsys
    )
    assert code == 0, err
    assert out.strip() == ANSWER
    _, video, notes = user_parts(server)
    assert inline(video) == ("video/mp4", SAMPLES["mp4"])
    assert notes == {"text": '<document name="notes.txt">\n' + SAMPLES["text"].decode() + "\n</document>"}
