"""Options of the ``scripted`` backend (kept apart so declaring it imports nothing heavy)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import attrs

from ..plugin.options import BackendOptions, option


def _replies(value: Any) -> tuple[Mapping[str, Any], ...]:
    if value is None:
        return ()
    if isinstance(value, str | Mapping):
        value = [value]
    return tuple({"text": v} if isinstance(v, str) else dict(v) for v in value)


@attrs.frozen(kw_only=True)
class ScriptedOptions(BackendOptions):
    """Each reply is a string (the answer text) or a mapping with any of: ``text``,
    ``reasoning``, ``tool_calls`` (list of ``{name, arguments}``), ``error``
    (``{kind, message}``; kinds: authentication, rate_limit, server_error, timeout,
    invalid_request, model_not_found, connection), ``delay`` (seconds before the reply),
    ``usage`` (``{input_tokens, output_tokens}``). Replies are used in order; after the last one
    the backend follows ``then``: ``"echo"`` repeats the last user text, ``"repeat"`` repeats
    the last reply, ``"coordinate"`` plays a simple coordination agent (answers with
    ``answer``, then votes for the longest answer)."""

    replies: Any = attrs.field(
        default=(), converter=_replies, metadata={"massgen_help": "Scripted replies, in order."}
    )
    then: Literal["echo", "repeat", "coordinate"] = option(
        "echo", help="After the replies: echo | repeat | coordinate."
    )
    answer: str | None = option(
        None, help="The answer given with then: coordinate (default: a labelled placeholder)."
    )
    chunk_delay: float = option(0.0, help="Seconds between streamed chunks.")
    chunk_words: int = option(3, help="Words per streamed text chunk.")
