"""Files given with the question (``massgen -a``, ``upload_files``) reach OpenAI-wire providers in
their native shape, through the real ``massgen`` command and the openai SDK, against the fake
provider: the tests decode what the provider got and compare it with the files' bytes.

* ``openai`` (Responses): images as ``input_image`` data URLs, audio as ``input_audio``; documents go
  to file search (Files API upload, a vector store, the ``file_search`` tool), once per backend,
  deleted when the run ends;
* ``chatcompletion``: audio as ``input_audio``, video as ``video_url``, text documents inline;
* ``azure_openai``: images as ``image_url`` data URLs (Chat Completions on the v1 API).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from massgen_core.testing.cli import massgen_main
from massgen_core.testing.fake_provider import (
    FakeProviderServer,
    RecordedRequest,
    Reply,
    ToolCall,
    WireFormat,
)
from massgen_core.testing.media import SAMPLES, write_media
from massgen_core.testing.scripted import coordination_reply

ANSWER = "A test picture."
KEYS = {"OPENAI_API_KEY": "test-key", "AZURE_OPENAI_API_KEY": "test-key"}


def coordinating(request: RecordedRequest) -> Reply:
    spec = coordination_reply(request.last_user_text or "", request.tool_names, answer=ANSWER)
    return Reply(
        spec["text"], tool_calls=[ToolCall(c["name"], c["arguments"]) for c in spec.get("tool_calls", ())]
    )


@pytest.fixture
def server() -> Iterator[FakeProviderServer]:
    with FakeProviderServer(responder=coordinating, models=("gpt-4o", "qwen-vl", "my-deployment")) as fake:
        yield fake
    assert not fake.handler_errors


def massgen(
    *argv: str, cwd: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    monkeypatch.chdir(cwd)
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)
    code = massgen_main(*argv) if argv[0] == "validate" else massgen_main(*argv, "--no-display", "--no-logs")
    out, err = capsys.readouterr()
    return code, out, err


def decoded_data_url(url: str, mime: str) -> bytes:
    prefix = f"data:{mime};base64,"
    assert url.startswith(prefix), url[:60]
    return base64.b64decode(url[len(prefix) :])


def user_content(request: RecordedRequest) -> list[dict[str, Any]]:
    key = "input" if request.wire_format is WireFormat.OPENAI_RESPONSES else "messages"
    (user,) = [m for m in request.json[key] if m.get("role") == "user"]
    content: list[dict[str, Any]] = user["content"]
    return content


def test_attach_sends_an_image_and_audio_to_the_responses_api(
    server: FakeProviderServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    photo = write_media(tmp_path / "photo", "png")  # no extension: typed by its content
    clip = write_media(tmp_path / "memo.wav", "wav")
    code, out, err = massgen(
        "--backend", "openai", "--model", "gpt-4o", "--base-url", server.openai_base_url,
        "-a", "photo", "--attach", "memo.wav", "What is in this picture?",
        cwd=tmp_path, monkeypatch=monkeypatch, capsys=capsys,
    )  # fmt: skip
    assert code == 0, err
    assert out.strip() == ANSWER
    (call,) = server.model_calls(WireFormat.OPENAI_RESPONSES)
    text, image, audio = user_content(call)
    assert text == {"type": "input_text", "text": "What is in this picture?"}
    assert image["type"] == "input_image" and image["detail"] == "auto"
    assert decoded_data_url(image["image_url"], "image/png") == photo.read_bytes()
    assert audio["type"] == "input_audio" and audio["input_audio"]["format"] == "wav"
    assert base64.b64decode(audio["input_audio"]["data"]) == clip.read_bytes()
    assert "tools" not in call.json  # no documents: no file search
    assert not server.files.files


def test_upload_files_documents_go_to_file_search_once_per_agent(
    server: FakeProviderServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_media(tmp_path / "inputs" / "report.pdf", "pdf")
    write_media(tmp_path / "inputs" / "notes.md", "text")
    write_media(tmp_path / "inputs" / "chart.jpg", "jpeg")
    backend = {
        "type": "openai",
        "model": "gpt-4o",
        "base_url": server.openai_base_url,
        "upload_files": [
            {"file_path": "inputs/report.pdf"},
            {"file_path": "inputs/notes.md"},
            {"image_path": "inputs/chart.jpg"},
        ],
    }
    config = tmp_path / "team.yaml"
    config.write_text(
        json.dumps({"agents": [{"id": "a", "backend": backend}, {"id": "b", "backend": backend}]})
    )
    code, out, err = massgen(
        "--config", str(config), "Summarise the report.", cwd=tmp_path, monkeypatch=monkeypatch, capsys=capsys
    )
    assert code == 0, err
    assert out.strip() == ANSWER
    calls = server.model_calls(WireFormat.OPENAI_RESPONSES)
    assert len(calls) > 2  # answers, votes and the presentation: every turn gets the files
    uploads = server.files.files
    assert len(uploads) == 4  # two documents, uploaded once by each agent's backend
    by_name: dict[str, list[bytes]] = {}
    for uploaded in uploads.values():
        assert uploaded.purpose == "assistants"
        by_name.setdefault(uploaded.filename, []).append(uploaded.data)
    assert by_name == {
        "report.pdf": [SAMPLES["pdf"]] * 2,
        "notes.md": [SAMPLES["text"]] * 2,
    }
    stores = server.files.vector_stores
    assert len(stores) == 2 and all(len(s.file_ids) == 2 for s in stores.values())
    for call in calls:
        (search,) = [t for t in call.json["tools"] if t["type"] == "file_search"]
        (store_id,) = search["vector_store_ids"]
        assert store_id in stores
        content = user_content(call)
        assert not [c for c in content if c["type"] == "input_file"]  # not in the prompt
        (image,) = [c for c in content if c["type"] == "input_image"]
        assert decoded_data_url(image["image_url"], "image/jpeg") == SAMPLES["jpeg"]
        (note,) = [c["text"] for c in content if "Documents attached" in c.get("text", "")]
        assert "report.pdf, notes.md" in note and "file_search" in note
    # the run's end closes the backends, which delete what they uploaded
    assert sorted(server.files.deleted) == sorted([*stores, *uploads])


def test_chatcompletion_sends_audio_and_video_and_text_documents_inline(
    server: FakeProviderServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_media(tmp_path / "song", "mp3")
    write_media(tmp_path / "clip.mov", "mp4")  # the content says mp4, whatever the name
    write_media(tmp_path / "notes.txt", "text")
    code, _, err = massgen(
        "--backend", "chatcompletion", "--model", "qwen-vl", "--base-url", server.openai_base_url,
        "-a", "song", "-a", "clip.mov", "-a", "notes.txt", "What do you hear and see?",
        cwd=tmp_path, monkeypatch=monkeypatch, capsys=capsys,
    )  # fmt: skip
    assert code == 0, err
    (call,) = server.model_calls(WireFormat.OPENAI_CHAT)
    text, audio, video, document = user_content(call)
    assert text == {"type": "text", "text": "What do you hear and see?"}
    assert audio["type"] == "input_audio" and audio["input_audio"]["format"] == "mp3"
    assert base64.b64decode(audio["input_audio"]["data"]) == SAMPLES["mp3"]
    assert video["type"] == "video_url"
    assert decoded_data_url(video["video_url"]["url"], "video/mp4") == SAMPLES["mp4"]
    assert document == {
        "type": "text",
        "text": '<document name="notes.txt">\n' + SAMPLES["text"].decode() + "\n</document>",
    }


def test_azure_openai_gets_images_as_data_urls(
    server: FakeProviderServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_media(tmp_path / "scan.webp", "webp")
    code, out, err = massgen(
        "--backend", "azure_openai", "--model", "my-deployment", "--base-url", server.url,
        "-a", "scan.webp", "Read the scan.",
        cwd=tmp_path, monkeypatch=monkeypatch, capsys=capsys,
    )  # fmt: skip
    assert code == 0, err
    assert out.strip() == ANSWER
    (call,) = server.model_calls(WireFormat.OPENAI_CHAT)
    assert call.path == "/openai/v1/chat/completions"
    _, image = user_content(call)
    assert image["type"] == "image_url"
    assert decoded_data_url(image["image_url"]["url"], "image/webp") == SAMPLES["webp"]


def test_a_backend_without_the_capability_is_refused_before_any_request(
    server: FakeProviderServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_media(tmp_path / "photo.png", "png")
    write_media(tmp_path / "report.pdf", "pdf")
    code, _, err = massgen(
        "--backend", "grok", "--model", "grok-4", "--base-url", server.openai_base_url, "-a", "photo.png", "q",
        cwd=tmp_path, monkeypatch=monkeypatch, capsys=capsys,
    )  # fmt: skip
    assert code == 1
    assert "attachment photo.png: backend 'grok' with model 'grok-4' does not accept image input" in err
    assert "backends with it: " in err and "openai" in err
    config = tmp_path / "team.yaml"
    config.write_text(
        "agent:\n  backend:\n    type: chatcompletion\n    model: qwen-vl\n"
        "    upload_files:\n      - file_path: report.pdf\n      - image_path: photo.png\n"
    )
    code, _, err = massgen("validate", str(config), cwd=tmp_path, monkeypatch=monkeypatch, capsys=capsys)
    assert code != 0
    assert f"{config}:6:20: agent.backend.upload_files[0].file_path: " in err
    assert "cannot read a PDF (no 'document_understanding' or 'file_search' capability)" in err
    assert f"{config}:7:21: agent.backend.upload_files[1].image_path: " in err
    assert "does not accept image input (no 'image_understanding' capability)" in err
    assert not server.model_calls()
