"""Small media files for tests: each starts with its format's real signature, so the type comes
from the content (as ``massgen -a`` reads it), and each is distinct, so a test can check that the
provider got exactly these bytes.

    from massgen_core.testing.media import write_media

    photo = write_media(tmp_path / "photo", "png")   # no extension: typed by its content
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Literal

__all__ = ["SAMPLES", "MediaSample", "write_media"]

MediaSample = Literal["png", "jpeg", "gif", "webp", "wav", "mp3", "mp4", "webm", "pdf", "text"]


def _riff(form: bytes, body: bytes) -> bytes:
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + form + body


#: the bytes of each sample format
SAMPLES: dict[MediaSample, bytes] = {
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00 test png",
    "jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00 test jpeg \xff\xd9",
    "gif": b"GIF89a\x01\x00\x01\x00\x80\x00\x00 test gif;",
    "webp": _riff(b"WEBP", b"VP8 \x0c\x00\x00\x00 test webp!"),
    "wav": _riff(
        b"WAVE", b"fmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00"
    ),
    "mp3": b"ID3\x04\x00\x00\x00\x00\x00\x00\xff\xfb\x90\x64 test mp3",
    "mp4": b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom test mp4",
    "webm": b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01 test webm",
    "pdf": b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% test pdf\n%%EOF\n",
    "text": b"Quarterly notes\n- revenue up 12%\n- the launch moved to May\n",
}


def write_media(path: Path, sample: MediaSample, *, extra: bytes = b"") -> Path:
    """Write the ``sample`` bytes (then ``extra``) to ``path``; returns ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(SAMPLES[sample] + extra)
    return path
