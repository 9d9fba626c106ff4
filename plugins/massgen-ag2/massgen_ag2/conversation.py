"""MassGen messages and tools in the OpenAI message format AG2 agents take (no AG2 import).

Every function builds new dicts: the caller's messages are never modified (the original
MassGen adapter mutated them).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from massgen_core.plugin import Message, TextPart, ToolCallPart, ToolDefinition, ToolResultPart

__all__ = ["oai_messages", "system_text", "tool_schema", "transcript"]


def system_text(messages: Iterable[Message]) -> str:
    """The text of the conversation's system messages (MassGen's instructions for this turn)."""
    return "\n\n".join(m.text for m in messages if m.role == "system" and m.text)


def _call(part: ToolCallPart) -> dict[str, Any]:
    return {
        "id": part.id,
        "type": "function",
        "function": {"name": part.name, "arguments": json.dumps(dict(part.arguments))},
    }


def oai_messages(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """The non-system messages as OpenAI chat messages (tool calls and results kept paired)."""
    out: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            continue
        if message.role == "tool":
            out += [
                {"role": "tool", "tool_call_id": r.call_id, "content": r.content}
                for r in message.parts
                if isinstance(r, ToolResultPart)
            ]
            continue
        text = "".join(p.text for p in message.parts if isinstance(p, TextPart))
        if message.role == "assistant":
            entry: dict[str, Any] = {"role": "assistant", "content": text or None}
            calls = [_call(p) for p in message.parts if isinstance(p, ToolCallPart)]
            if calls:
                entry["tool_calls"] = calls
            out.append(entry)
        else:
            out.append({"role": "user", "content": text})
    return out


def transcript(messages: Sequence[Message]) -> str:
    """The non-system messages as one text, for a group chat (which starts from one message).

    A first turn is just the user's message; later turns (after a reminder or a refused
    workflow call) show what the group said and what it was told.
    """
    turns = [m for m in messages if m.role != "system"]
    if len(turns) == 1 and turns[0].role == "user":
        return turns[0].text
    lines: list[str] = []
    for message in turns:
        if message.role == "user":
            lines.append(message.text)
            continue
        for part in message.parts:
            if isinstance(part, TextPart) and part.text:
                lines.append(f"[your group said]\n{part.text}")
            elif isinstance(part, ToolCallPart):
                lines.append(f"[your group called {part.name}({json.dumps(dict(part.arguments))})]")
            elif isinstance(part, ToolResultPart):
                lines.append(f"[result of {part.name}]\n{part.content}")
    return "\n\n".join(lines)


def tool_schema(definition: ToolDefinition) -> dict[str, Any]:
    """A tool in the OpenAI ``tools`` format."""
    return {
        "type": "function",
        "function": {
            "name": definition.name,
            "description": definition.description,
            "parameters": dict(definition.parameters),
        },
    }
