"""What the embedded backend reads from a GGUF file's header, without loading the model (pure Python).

The header is a list of typed key/value pairs (GGUF v2 and v3, little-endian). We need the chat
template and the text of the BOS/EOS tokens a template may write; :func:`read_gguf_info` also tells a
file that is not a GGUF model apart, so ``massgen validate`` and the backend can say so plainly.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import IO, Any

import attrs

__all__ = ["GGUFError", "GGUFInfo", "read_gguf_info", "read_magic"]

MAGIC = b"GGUF"

# value types (gguf_type)
_SCALARS: dict[int, str] = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}
_STRING, _ARRAY = 8, 9


class GGUFError(ValueError):
    """The file is not a GGUF model this reader understands."""


@attrs.frozen(kw_only=True)
class GGUFInfo:
    chat_template: str | None
    bos_token: str
    eos_token: str
    context_length: int | None
    adds_bos: bool = False
    """The file says llama.cpp adds the BOS token itself when it tokenizes a prompt."""


class _Reader:
    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream

    def take(self, size: int) -> bytes:
        data = self.stream.read(size)
        if len(data) != size:
            raise GGUFError("the file ends inside its header (truncated?)")
        return data

    def scalar(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        return self.take(self.scalar("<Q")).decode("utf-8", errors="replace")

    def skip_string(self) -> None:
        self.stream.seek(self.scalar("<Q"), 1)

    def value(self, kind: int, *, keep: bool) -> Any:
        if kind in _SCALARS:
            return self.scalar(_SCALARS[kind])
        if kind == _STRING:
            if keep:
                return self.string()
            self.skip_string()
            return None
        if kind == _ARRAY:
            item_kind, count = self.scalar("<I"), self.scalar("<Q")
            if keep:
                return [self.value(item_kind, keep=True) for _ in range(count)]
            if item_kind in _SCALARS:
                self.stream.seek(struct.calcsize(_SCALARS[item_kind]) * count, 1)
            else:
                for _ in range(count):
                    self.value(item_kind, keep=False)
            return None
        raise GGUFError(f"unknown value type {kind} in the header")


def _check_start(reader: _Reader) -> None:
    if reader.take(4) != MAGIC:
        raise GGUFError("not a GGUF file (it does not start with 'GGUF')")
    version = reader.scalar("<I")
    if version not in (2, 3):
        raise GGUFError(f"GGUF version {version} is not supported (2 or 3 are)")


def read_magic(path: Path) -> None:
    """Raise :class:`GGUFError` unless ``path`` starts like a GGUF model (:class:`OSError`: unreadable)."""
    with path.open("rb") as stream:
        _check_start(_Reader(stream))


def read_gguf_info(path: Path) -> GGUFInfo:
    """The chat template, BOS/EOS texts and context length of the GGUF model at ``path``.

    Raises :class:`GGUFError` when the file is not a GGUF model, :class:`OSError` when it cannot be read.
    """
    wanted = (
        "tokenizer.chat_template",
        "tokenizer.ggml.bos_token_id",
        "tokenizer.ggml.eos_token_id",
        "tokenizer.ggml.add_bos_token",
    )
    with path.open("rb") as stream:
        reader = _Reader(stream)
        _check_start(reader)
        reader.scalar("<Q")  # tensor count
        n_kv = reader.scalar("<Q")
        found: dict[str, Any] = {}
        tokens: list[str] = []
        for _ in range(n_kv):
            key = reader.string()
            kind = reader.scalar("<I")
            if key == "tokenizer.ggml.tokens":
                tokens = reader.value(kind, keep=True)
            else:
                keep = key in wanted or key.endswith(".context_length")
                value = reader.value(kind, keep=keep)
                if keep:
                    found[key] = value

    def token_text(key: str) -> str:
        index = found.get(key)
        return tokens[index] if isinstance(index, int) and 0 <= index < len(tokens) else ""

    context = next(
        (v for k, v in found.items() if k.endswith(".context_length") and isinstance(v, int)), None
    )
    template = found.get("tokenizer.chat_template")
    return GGUFInfo(
        chat_template=template if isinstance(template, str) and template.strip() else None,
        bos_token=token_text("tokenizer.ggml.bos_token_id"),
        eos_token=token_text("tokenizer.ggml.eos_token_id"),
        context_length=context,
        adds_bos=found.get("tokenizer.ggml.add_bos_token") is True,
    )
