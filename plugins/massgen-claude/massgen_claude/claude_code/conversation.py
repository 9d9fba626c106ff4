"""A request's conversation as Claude Code takes it: a system prompt, a prompt, maybe a session.

Claude Code keeps its own transcript (tool calls and results included) in a session. When the
request continues a conversation this backend answered (its last assistant message carries the
session id in ``provider_state``), the session is resumed and only what came after is sent:
the results MassGen gave for the calls that ended the turn, or a reminder. Otherwise a new
session starts, with earlier turns (a multi-turn session's questions and answers) written into
the prompt.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
from massgen_core.plugin import Message, TextPart, ToolResultPart

__all__ = ["STATE_KEY", "Conversation", "conversation", "session_of"]

#: The key of this backend's entry in a message's ``provider_state``.
STATE_KEY = "claude_code"


@attrs.frozen
class Conversation:
    """:param system: appended to Claude Code's own system prompt ("" for none).
    :param prompt: the user turn to send.
    :param resume: the session to continue, if any.
    """

    system: str
    prompt: str
    resume: str | None = None


def session_of(message: Message) -> str | None:
    state = message.provider_state.get(STATE_KEY)
    session = state.get("session_id") if isinstance(state, dict) else None
    return session if isinstance(session, str) and session else None


def _text(message: Message) -> str:
    return "".join(p.text for p in message.parts if isinstance(p, TextPart))


def _result_text(result: ToolResultPart) -> str:
    outcome = "failed" if result.is_error else "returned"
    return f"Your {result.name} call {outcome}:\n{result.content}"


def _render(message: Message) -> str:
    if message.role == "tool":
        return "\n\n".join(_result_text(p) for p in message.parts if isinstance(p, ToolResultPart))
    return _text(message)


def conversation(messages: Sequence[Message], *, resumable: set[str] | None = None) -> Conversation:
    """Split ``messages`` into what Claude Code is sent.

    :param resumable: sessions that can be resumed here (their transcripts exist); a session id
        found in the conversation but not in this set means starting over.
    """
    system = "\n\n".join(_text(m) for m in messages if m.role == "system" and _text(m))
    turns = [m for m in messages if m.role != "system"]
    for index in range(len(turns) - 1, -1, -1):
        message = turns[index]
        if message.role != "assistant":
            continue
        session = session_of(message)
        if session is not None and resumable is not None and session in resumable:
            later = [text for m in turns[index + 1 :] if (text := _render(m))]
            if later:
                return Conversation(system, "\n\n".join(later), session)
        break
    if not turns:
        return Conversation(system, "")
    *earlier, last = turns
    prompt = _render(last)
    if earlier:
        lines = ["Earlier in this conversation:"]
        for message in earlier:
            text = _render(message)
            if text:
                who = {"user": "User", "assistant": "You", "tool": "Tool results"}[message.role]
                lines.append(f"{who}: {text}")
        prompt = "\n\n".join(["\n\n".join(lines), f"Now: {prompt}" if prompt else ""]).strip()
    return Conversation(system, prompt)
