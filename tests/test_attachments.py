"""Files given with the question: ``upload_files`` (config), ``massgen -a`` and ``attachments=``.

The core's part: typing a file by its content, checking each entry against the backend's and
model's capabilities at load time (with file:line:column), and giving text documents inline to
backends without file search. Each provider's native wire format is tested in its plugin.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import massgen_core
from massgen_core.config.uploads import AttachmentError
from massgen_core.plugin import INLINE_TEXT_LIMIT, ConfigError, MediaPart, guess_mime, sniff_mime
from massgen_core.testing.cli import massgen_main, run_massgen
from massgen_core.testing.media import SAMPLES, write_media

SNIFFED = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "mp4": "video/mp4",
    "webm": "video/webm",
    "pdf": "application/pdf",
}


@pytest.mark.parametrize(("sample", "mime"), sorted(SNIFFED.items()))
def test_the_type_comes_from_the_content(sample: str, mime: str, tmp_path: Path) -> None:
    assert sniff_mime(SAMPLES[sample][:64]) == mime  # type: ignore[index]
    misnamed = write_media(tmp_path / "upload.txt", sample)  # type: ignore[arg-type]
    part = MediaPart.from_path(misnamed)
    assert part.mime_type == mime and part.kind == mime.split("/")[0].replace("application", "file")


def test_without_a_signature_the_name_then_the_text_decide(tmp_path: Path) -> None:
    assert guess_mime("notes.md", b"# Title\n") == "text/markdown"
    assert guess_mime("notes", b"plain words\n") == "text/plain"
    assert guess_mime("blob", b"\x00\x01\x02") is None
    assert guess_mime("https://example.com/a/cat.jpg?size=2", None) == "image/jpeg"
    part = MediaPart.from_path(write_media(tmp_path / "notes", "text"))
    assert (part.kind, part.mime_type) == ("file", "text/plain")


def test_media_part_reads_files_urls_and_data_urls(tmp_path: Path) -> None:
    photo = write_media(tmp_path / "photo", "png")
    part = MediaPart.from_source("photo", base_dir=tmp_path)
    assert part.path == str(photo) and part.read_bytes() == SAMPLES["png"]
    assert part.data_url().startswith("data:image/png;base64,")
    inline = MediaPart.from_url(part.data_url())
    assert inline.read_bytes() == SAMPLES["png"] and inline.media_type == "image/png"
    assert not inline.is_remote and inline.filename == "image"
    remote = MediaPart.from_source("https://img.example/cat.webp")
    assert remote.is_remote and (remote.kind, remote.media_type, remote.filename) == (
        "image",
        "image/webp",
        "cat.webp",
    )
    with pytest.raises(ValueError, match="URL only"):
        remote.read_bytes()
    big = MediaPart(kind="file", data=b"x" * 11, path=None, mime_type="text/plain")
    with pytest.raises(ValueError, match="over the 10-byte limit"):
        big.text(limit=10)


# -- upload_files at validation --------------------------------------------------------------------


def write_config(folder: Path, uploads: list[dict[str, Any]], **backend: Any) -> Path:
    lines = ["agent:", "  backend:", "    type: scripted"]
    lines += [f"    {key}: {json.dumps(value)}" for key, value in backend.items()]
    lines.append("    upload_files:")
    lines += [f"      - {key}: {json.dumps(value)}" for entry in uploads for key, value in entry.items()]
    path = folder / "team.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_upload_problems_are_reported_at_their_position(tmp_path: Path) -> None:
    write_media(tmp_path / "photo.png", "png")
    write_media(tmp_path / "big.md", "text", extra=b"x" * INLINE_TEXT_LIMIT)
    config = write_config(
        tmp_path,
        [
            {"image_path": "photo.png"},  # line 5: scripted has no image understanding
            {"file_path": "missing.md"},  # line 6
            {"file_path": "big.md"},  # line 7: over the inline limit
            {"audio_path": "photo.png"},  # line 8: an image given as audio
            {"image_url": "photo.png"},  # line 9: not an upload key
        ],
    )
    result = run_massgen("validate", "--strict", str(config), cwd=tmp_path)  # a missing file is an error
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if "team.yaml:" in line]
    assert len(lines) == 5, result.stderr
    image, missing, big, audio, unknown = lines
    assert image.startswith(f"{config}:5:21: agent.backend.upload_files[0].image_path: ")
    assert "does not accept image input (no 'image_understanding' capability)" in image
    assert missing.startswith(f"{config}:6:20: ") and "missing.md: no such file" in missing
    assert big.startswith(f"{config}:7:20: ")
    assert f"up to {INLINE_TEXT_LIMIT:,} bytes (256 KiB)" in big and "file search" in big
    assert audio.startswith(f"{config}:8:21: ") and "is image/png, not audio; give it as image_path" in audio
    assert unknown.startswith(f"{config}:9:9: ") and "unknown upload key 'image_url'" in unknown


def test_relative_upload_paths_are_taken_from_the_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "configs"
    write_media(folder / "docs" / "notes.md", "text")
    config = write_config(folder, [{"file_path": "docs/notes.md"}])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code = massgen_main("--config", str(config), "--no-display", "--no-logs", "Summarise the notes.")
    out, err = capsys.readouterr()
    assert code == 0, err
    # the scripted backend echoes the question's text: the document came inline, named
    assert "Summarise the notes." in out
    assert '<document name="notes.md">\n' + SAMPLES["text"].decode() + "\n</document>" in out


def test_upload_files_must_be_a_list_of_single_key_entries(tmp_path: Path) -> None:
    config = tmp_path / "team.yaml"
    config.write_text("agent:\n  backend:\n    type: scripted\n    upload_files: photo.png\n")
    with pytest.raises(ConfigError) as caught:
        massgen_core.config.load_config(config)
    issue = caught.value.first
    assert (issue.line, issue.column) == (4, 19) and "expected a list of entries" in issue.message


# -- massgen -a and attachments= -------------------------------------------------------------------


def test_attach_gives_a_text_document_inline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_media(tmp_path / "minutes", "text")  # no extension: read as text from its content
    monkeypatch.chdir(tmp_path)
    code = massgen_main(
        "--backend", "scripted", "-a", "minutes", "--no-display", "--no-logs", "When is the launch?"
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert '<document name="minutes">\n' + SAMPLES["text"].decode() in out


def test_attach_errors_say_what_is_wrong_before_any_run(tmp_path: Path) -> None:
    write_media(tmp_path / "photo.jpg", "jpeg")
    write_media(tmp_path / "huge.txt", "text", extra=b"y" * INLINE_TEXT_LIMIT)
    missing = run_massgen("--backend", "scripted", "-a", "nope.png", "--no-display", "q", cwd=tmp_path)
    assert missing.returncode == 1 and missing.stderr.strip() == "error: attachment nope.png: no such file"
    image = run_massgen("--backend", "scripted", "--attach", "photo.jpg", "--no-display", "q", cwd=tmp_path)
    assert image.returncode == 1 and "Traceback" not in image.stderr
    assert image.stderr.startswith(
        "error: attachment photo.jpg: backend 'scripted' with model 'scripted' does not"
    )
    assert "no 'image_understanding' capability" in image.stderr
    huge = run_massgen("--backend", "scripted", "-a", "huge.txt", "--no-display", "q", cwd=tmp_path)
    assert huge.returncode == 1 and f"up to {INLINE_TEXT_LIMIT:,} bytes" in huge.stderr
    assert not (tmp_path / ".massgen" / "sessions").exists() or not any(
        (tmp_path / ".massgen" / "sessions").iterdir()
    )


def test_the_python_api_takes_attachments(tmp_path: Path) -> None:
    notes = write_media(tmp_path / "notes.txt", "text")
    config = {"agent": {"backend": {"type": "scripted"}}, "ui": {"logging_enabled": False}}
    result = massgen_core.run_sync(config, "What moved?", attachments=[notes])
    assert "the launch moved to May" in result.final_answer
    with pytest.raises(AttachmentError, match="image_understanding"):
        massgen_core.run_sync(config, "What is this?", attachments=[write_media(tmp_path / "p.gif", "gif")])


def test_every_agent_of_a_team_gets_the_attachment(tmp_path: Path) -> None:
    notes = write_media(tmp_path / "notes.txt", "text")
    seen: list[str] = []
    config = {
        "agents": [
            {"id": "a", "backend": {"type": "scripted", "then": "coordinate", "answer": "May."}},
            {"id": "b", "backend": {"type": "scripted", "then": "coordinate", "answer": "In May."}},
        ],
        "ui": {"logging_enabled": False},
    }

    async def main() -> None:
        async with massgen_core.Team(config) as team:
            given = team.attachments([notes])
            for agent_id in ("a", "b"):
                (part,) = given[agent_id]
                seen.append(getattr(part, "text", ""))
            result = await team.run("When is the launch?", attachments=[notes])
            assert result.final_answer in ("May.", "In May.")
            for agent in (await team._assemble()).agents:
                requests = agent.backend.requests  # type: ignore[attr-defined]
                assert requests and all(
                    "the launch moved to May" in next(m for m in r.messages if m.role == "user").text
                    for r in requests
                )

    import asyncio

    asyncio.run(main())
    assert all(text.startswith('<document name="notes.txt">') for text in seen) and len(seen) == 2


def test_a_misspelt_upload_files_gets_the_right_name(tmp_path: Path) -> None:
    config = tmp_path / "team.yaml"
    config.write_text(
        "agent:\n  backend:\n    type: scripted\n    upload_file:\n      - file_path: notes.md\n"
    )
    with pytest.raises(ConfigError) as caught:
        massgen_core.config.load_config(config)
    issue = caught.value.first
    assert (issue.line, issue.column) == (4, 5) and "did you mean 'upload_files'?" in issue.message


def test_a_dumped_config_keeps_its_uploads(tmp_path: Path) -> None:
    write_media(tmp_path / "notes.md", "text")
    config = massgen_core.config.load_config(write_config(tmp_path, [{"file_path": "notes.md"}]))
    dumped = massgen_core.config.dump_config(config)
    assert dumped["agents"][0]["backend"]["upload_files"] == [{"file_path": str(tmp_path / "notes.md")}]
    assert massgen_core.config.load_config(dumped) == config
