"""Tool calls a local model writes as JSON: the schema that constrains them, and reading them back.

Pure (no llama.cpp). A forced call is generated under a grammar made from :func:`call_schema`, so
the text is always a prefix of valid JSON; when ``max_tokens`` cuts it short, :func:`complete_json`
closes the open strings and brackets so the call still arrives (with a shorter argument) instead of
being lost.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
from massgen_core.plugin import ToolCallPart, ToolDefinition

__all__ = [
    "CALL_ORDER",
    "call_schema",
    "complete_json",
    "may_be_call",
    "parse_call",
    "sole_text_parameter",
    "with_draft",
]

#: the order the model writes a call's keys in
CALL_ORDER = ("name", "arguments")

_STRING_CONSTRAINTS = ("minLength", "enum", "const", "pattern", "format")


def _free_text(prop: Any) -> bool:
    """Whether a parameter's schema is a string the model may fill with any text."""
    return (
        isinstance(prop, Mapping)
        and prop.get("type") == "string"
        and not any(k in prop for k in _STRING_CONSTRAINTS)
    )


def _arguments_schema(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """``parameters`` with required free-text strings made non-empty (a weak model's favourite
    way to fail is an empty ``content``), and no keys beyond its properties unless it allows them
    (the grammar would otherwise let a small model append keys of its own)."""
    schema = dict(parameters)
    schema.setdefault("type", "object")
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        return schema
    schema.setdefault("additionalProperties", False)
    required = set(schema.get("required") or ())
    fixed: dict[str, Any] = {}
    for name, prop in properties.items():
        if name in required and _free_text(prop):
            prop = {**prop, "minLength": 1}
        fixed[name] = prop
    schema["properties"] = fixed
    return schema


def sole_text_parameter(tool: ToolDefinition) -> str | None:
    """The name of ``tool``'s parameter when it has exactly one, a free-text string
    (``new_answer(content)``); otherwise None."""
    properties = tool.parameters.get("properties")
    if not isinstance(properties, Mapping) or len(properties) != 1:
        return None
    ((name, prop),) = properties.items()
    return str(name) if _free_text(prop) else None


def with_draft(call: ToolCallPart, tools: Sequence[ToolDefinition], draft: str) -> ToolCallPart:
    """``call`` with the model's drafted reply as its argument, when its tool takes one free-text
    string: the draft is what the model meant to say, and a small model copies it into JSON badly
    (it drafts "The capital of France is Paris." and then writes ``{"content": "1234567890"}``)."""
    tool = next((t for t in tools if t.name == call.name), None)
    parameter = sole_text_parameter(tool) if tool is not None else None
    text = draft.strip()
    if parameter is None or not text:
        return call
    return attrs.evolve(call, arguments={parameter: text})


def _one_call(tool: ToolDefinition) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"name": {"const": tool.name}, "arguments": _arguments_schema(tool.parameters)},
        "required": ["name", "arguments"],
        "additionalProperties": False,
    }


def call_schema(tools: Sequence[ToolDefinition]) -> dict[str, Any]:
    """The JSON Schema of one call of one of ``tools``: ``{"name": ..., "arguments": {...}}``."""
    if len(tools) == 1:
        return _one_call(tools[0])
    return {"oneOf": [_one_call(t) for t in tools]}


def complete_json(text: str) -> str:
    """``text``, a prefix of a JSON value, closed into a complete one (best effort).

    Drops a dangling escape or a half-written ``\\uXXXX``, closes an open string, drops a
    trailing ``,`` / ``:`` / half-written key, and closes every open object and array.
    """
    stack: list[str] = []
    in_string = False
    escape = False
    last_string_start = -1
    for i, ch in enumerate(text):
        if in_string:
            if escape:
                escape = False
            elif ch == "\\":
                escape = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
            last_string_start = i
        elif ch in "{[":
            stack.append("}" if ch == "{" else "]")
        elif ch in "}]" and stack:
            stack.pop()
    out = text
    if in_string:
        if escape:
            out = out[:-1]
        tail = out[out.rfind("\\u") :] if "\\u" in out[last_string_start:] else ""
        if tail and len(tail) < 6:
            out = out[: -len(tail)]
        out += '"'
    in_object = bool(stack) and stack[-1] == "}"
    while True:
        out = out.rstrip()
        if out.endswith((",", ":")):
            out = out[:-1]
        elif (partial := _PARTIAL_LITERAL.search(out)) is not None:
            out = out[: partial.start(1)]
        elif (
            in_object
            and out.endswith('"')
            and (start := _string_start(out)) is not None
            and _is_key(out, start)
        ):
            out = out[:start]
        else:
            break
    return out + "".join(reversed(stack))


#: a number or literal cut short (``-``, ``1.``, ``2e``, ``tr``, ``nu``), after a delimiter
_PARTIAL_LITERAL = re.compile(
    r"(?:^|[\s\[{,:])((?:-|\d+\.|\d+(?:\.\d+)?[eE][+-]?|t|tr|tru|f|fa|fal|fals|n|nu|nul))$"
)


def _string_start(text: str) -> int | None:
    """Where the JSON string that ends ``text`` starts."""
    i = len(text) - 2
    while i >= 0:
        if text[i] == '"':
            backslashes = 0
            j = i - 1
            while j >= 0 and text[j] == "\\":
                backslashes += 1
                j -= 1
            if backslashes % 2 == 0:
                return i
        i -= 1
    return None


def _is_key(text: str, start: int) -> bool:
    """Whether the string starting at ``start`` is an object key (it follows ``{`` or ``,``)."""
    before = text[:start].rstrip()
    return before.endswith(("{", ","))


def parse_call(text: str, tools: Sequence[ToolDefinition]) -> ToolCallPart | None:
    """The call ``text`` writes, if it names one of ``tools`` (cut-short JSON is completed first)."""
    body = _strip_fences(text)
    if not body.startswith("{"):
        return None
    try:
        value = json.loads(
            complete_json(body), strict=False
        )  # raw newlines in strings: the grammar allows them
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    name = value.get("name")
    arguments = value.get("arguments", value.get("parameters", {}))
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments, strict=False)
        except ValueError:
            arguments = {"_raw": arguments}
    if not isinstance(name, str) or name not in {t.name for t in tools} or not isinstance(arguments, dict):
        return None
    return ToolCallPart(id=f"call_{uuid.uuid4().hex[:12]}", name=name, arguments=arguments)


_OPENERS = ("{", "```json", "```", "<tool_call>")


def _strip_fences(text: str) -> str:
    body = text.strip()
    for opener in _OPENERS[1:]:
        if body.startswith(opener):
            body = body[len(opener) :].strip()
            break
    for closer in ("```", "</tool_call>"):
        if body.endswith(closer):
            body = body[: -len(closer)].strip()
    return body


def may_be_call(text: str) -> bool:
    """Whether free output that starts with ``text`` may still turn out to be a tool call
    (so a streaming backend holds it back instead of showing it as answer text)."""
    head = text.lstrip()
    if not head:
        return True
    return any(head.startswith(o) or o.startswith(head) for o in _OPENERS)
