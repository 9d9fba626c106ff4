"""Tool names the model sees: ``mcp__<server>__<tool>``, valid for every provider."""

from __future__ import annotations

import hashlib
import re

__all__ = ["MAX_NAME", "exposed_name"]

#: OpenAI's limit for function names (the strictest of the providers).
MAX_NAME = 64
_INVALID = re.compile(r"[^A-Za-z0-9_-]")


def exposed_name(server: str, tool: str) -> str:
    """``mcp__<server>__<tool>``; characters providers refuse become ``_``, and then (or when the
    name is over 64 characters) a hash of the original name is appended so it stays unique."""
    clean = _INVALID.sub("_", tool)
    name = f"mcp__{server}__{clean}"
    if clean == tool and len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha256(f"{server}/{tool}".encode()).hexdigest()[:8]
    return f"{name[: MAX_NAME - 9]}_{digest}"
