"""A :class:`ChatRequest` as the ``messages`` a GGUF chat template renders (pure; no llama_cpp).

Small instruct models' templates know system/user/assistant only, so tools are described in the
system message and calls travel as the JSON object the model is asked to write
(``{"name": ..., "arguments": {...}}``); tool results come back as user messages. Consecutive
messages of one role are merged (some templates insist on alternating roles).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from massgen_core.plugin import (
    MediaPart,
    Message,
    TextPart,
    ToolCallPart,
    ToolDefinition,
    ToolResultPart,
)

__all__ = ["call_json", "chat_messages", "tools_instruction"]


def call_json(name: str, arguments: Any) -> str:
    """A tool call written the way the model is asked to write one."""
    return json.dumps({"name": name, "arguments": arguments}, ensure_ascii=False)


def _describe(tool: ToolDefinition) -> str:
    params = json.dumps(dict(tool.parameters), ensure_ascii=False, separators=(",", ":"))
    return f"- {tool.name}: {tool.description}\n  arguments (JSON Schema): {params}"


def tools_instruction(tools: Sequence[ToolDefinition], *, forced: bool) -> str:
    """The system-message section that offers ``tools``."""
    how = (
        "Reply with only a JSON object that calls one of these tools"
        if forced
        else "To call a tool, reply with only a JSON object"
    )
    listing = "\n".join(_describe(t) for t in tools)
    return f'# Tools\n{how}: {{"name": "<tool name>", "arguments": {{<the arguments>}}}}.\n{listing}'


def _user_text(message: Message) -> str:
    pieces = []
    for part in message.parts:
        if isinstance(part, TextPart):
            pieces.append(part.text)
        elif isinstance(part, MediaPart):
            pieces.append(f"[a {part.kind} attachment: this model reads text only]")
    return "\n".join(pieces)


def _assistant_text(message: Message) -> str:
    pieces = [message.text] if message.text else []
    pieces += [call_json(p.name, dict(p.arguments)) for p in message.parts if isinstance(p, ToolCallPart)]
    return "\n".join(pieces)


def _tool_results_text(message: Message) -> str:
    return "\n\n".join(
        f"Result of the tool {p.name}" + (" (error)" if p.is_error else "") + f":\n{p.content}"
        for p in message.parts
        if isinstance(p, ToolResultPart)
    )


def _merged(entries: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for role, content in entries:
        if not content:
            continue
        if out and out[-1]["role"] == role:
            out[-1]["content"] += "\n\n" + content
        else:
            out.append({"role": role, "content": content})
    return out


def chat_messages(messages: Sequence[Message], tools_section: str | None = None) -> list[dict[str, str]]:
    """The conversation as template messages, with ``tools_section`` appended to the system message."""
    system = [m.text for m in messages if m.role == "system" and m.text]
    if tools_section:
        system.append(tools_section)
    entries: list[tuple[str, str]] = []
    for message in messages:
        if message.role == "user":
            entries.append(("user", _user_text(message)))
        elif message.role == "assistant":
            entries.append(("assistant", _assistant_text(message)))
        elif message.role == "tool":
            entries.append(("user", _tool_results_text(message)))
    head = [{"role": "system", "content": "\n\n".join(system)}] if system else []
    return head + _merged(entries)
