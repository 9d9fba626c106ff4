"""A tool's JSON Schema and description from a plain typed Python function.

``def search(query: str, limit: int = 5) -> str`` with a docstring becomes a tool whose
parameters are ``{"query": string (required), "limit": integer (default 5)}``; the docstring's
first paragraph is the tool's description and its ``:param name:`` lines (or a Google-style
``Args:`` section) describe the parameters. The types go through pydantic (already there for
MCP), so ``Literal``, ``list[...]``, ``X | None``, enums and attrs/pydantic/dataclass models all
work. Used when a :class:`~massgen_core.plugin.specs.ToolSpec` leaves ``parameters`` out.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from typing import Any, get_type_hints

__all__ = ["describe_function", "docstring_parts"]

_SPHINX_PARAM = re.compile(r"^\s*:param\s+(?:[^:]*\s)?(\w+)\s*:\s*(.*)$")
_GOOGLE_PARAM = re.compile(r"^\s*(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")
_SECTION = re.compile(r"^\s*(Args|Arguments|Parameters|Returns|Raises|Yields|Examples?|Notes?)\s*:\s*$")


def docstring_parts(doc: str | None) -> tuple[str, dict[str, str]]:
    """The summary (first paragraph) and the per-parameter descriptions of a docstring."""
    text = inspect.cleandoc(doc or "")
    summary = text.split("\n\n", 1)[0].strip() if text else ""
    if summary.startswith(":") or _SECTION.match(summary.splitlines()[0] if summary else ""):
        summary = ""
    params: dict[str, str] = {}
    current: str | None = None
    section: str | None = None
    for line in text.splitlines():
        if m := _SECTION.match(line):
            section, current = m.group(1), None
            continue
        if (m := _SPHINX_PARAM.match(line)) or (
            section in ("Args", "Arguments", "Parameters") and (m := _GOOGLE_PARAM.match(line))
        ):
            current = m.group(1)
            params[current] = m.group(2).strip()
        elif current is not None and line.strip() and line.startswith((" ", "\t")):
            params[current] = f"{params[current]} {line.strip()}".strip()
        elif line.lstrip().startswith(":"):
            current = None
    summary = " ".join(summary.split())
    return summary, params


def describe_function(fn: Callable[..., Any]) -> tuple[str, Mapping[str, Any]]:
    """``(description, parameters)`` for ``fn``: its docstring summary and the JSON Schema of its
    keyword arguments. ``*args``/``**kwargs`` are not offered to the model."""
    from pydantic import Field, create_model

    summary, described = docstring_parts(fn.__doc__)
    try:
        hints = get_type_hints(fn)
    except Exception:  # an annotation that cannot be resolved: fall back to "any value"
        hints = {}
    fields: dict[str, Any] = {}
    for name, param in inspect.signature(fn).parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        annotation = hints.get(name, Any)
        default = ... if param.default is param.empty else param.default
        fields[name] = (annotation, Field(default, description=described.get(name)))
    model = create_model(f"{getattr(fn, '__name__', 'tool')}_arguments", **fields)
    schema = model.model_json_schema()
    schema.pop("title", None)
    for prop in schema.get("properties", {}).values():
        if isinstance(prop, dict):
            prop.pop("title", None)
    schema.setdefault("properties", {})
    return summary, schema
