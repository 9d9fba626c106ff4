"""Keeping the coordination's own markup out of what the user gets.

Models, small ones above all, echo the prompts: the answer tags (``<agent2>``, ``<end of
agent3>``), the section tags (``<ORIGINAL MESSAGE>``, ``<CURRENT ANSWERS from the agents>``),
the ``VOTING RESULTS`` header, or sentences about the workflow tools ("can be found by calling
`new_answer`"). :func:`strip_markup` removes them from a final answer:

* every tag the prompts use, in any case and spacing, also as a closing ``</...>`` tag;
* a line that is nothing but a tag in the prompts' style, several upper-case words in angle
  brackets (``<FINAL ANSWER>``, ``<OPTIONABLE RESPONSE>``): small models invent such tags;
* a line that starts with ``VOTING RESULTS``;
* a label the prompts put before a voter's reason, at the start of a line (``- agent1: ``);
* a sentence that names a workflow tool: ``new_answer`` anywhere, ``vote`` when written as a
  tool (in backticks, as a call ``vote(``, or "the vote tool"); ordinary uses of the word
  "vote" stay. Code blocks (between ``` fences) keep their sentences: code may well have a
  ``vote(`` of its own;
* a fence that opens no code at all: the last line, or followed only by blank lines (small
  models end an answer with a stray ```).

What is left is stripped of surrounding blank lines; it may be empty, in which case the caller
falls back to another answer.
"""

from __future__ import annotations

import re

__all__ = ["names_workflow_tool", "strip_markup"]

_TAG = re.compile(
    r"<\s*/?\s*(?:end\s+of\s+)?"
    r"(?:agent\s*\d+|original\s+message|current\s+answers(?:\s+from\s+the\s+agents)?)\s*>",
    re.IGNORECASE,
)
_CAPS_TAG_LINE = re.compile(r"^\s*<\s*/?\s*[A-Z][A-Z0-9_-]*(?:\s+[A-Z0-9_-]+)+\s*>\s*$")
_VOTING_RESULTS = re.compile(r"^\s*VOTING RESULTS\b.*$", re.IGNORECASE | re.MULTILINE)
_LABEL_PREFIX = re.compile(r"^\s*[-*]?\s*agent\s*\d+\s*:\s*", re.IGNORECASE)
_TOOL_MENTION = re.compile(  # the lookahead skips the positions no mention starts at: 5x faster
    r"(?=[`nv])(?:new_answer|`\s*vote\s*`|\bvote\s*\(|\bvote\s+tool\b|\bvote\s+function\b)",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_FENCE = re.compile(r"^\s*(```|~~~)")
_BLANK_RUNS = re.compile(r"\n{3,}")


def _without_tool_sentences(line: str) -> str:
    if not _TOOL_MENTION.search(line):
        return line
    indent = line[: len(line) - len(line.lstrip())]
    kept = [s for s in _SENTENCE_END.split(line.strip()) if not _TOOL_MENTION.search(s)]
    return indent + " ".join(kept) if kept else ""


def names_workflow_tool(text: str) -> bool:
    """Whether ``text`` names a workflow tool anywhere, code blocks included (see the module docstring)."""
    return _TOOL_MENTION.search(text) is not None


def strip_markup(text: str) -> str:
    """``text`` without coordination markup (see the module docstring)."""
    lines: list[str] = []
    in_code = False
    opened = -1  # where the code block still open starts, in ``lines``
    for line in text.split("\n"):
        cleaned = _LABEL_PREFIX.sub("", _VOTING_RESULTS.sub("", _TAG.sub("", line)))
        if _FENCE.match(line):
            in_code = not in_code
            opened = len(lines) if in_code else -1
        elif not in_code:
            cleaned = "" if _CAPS_TAG_LINE.match(cleaned) else _without_tool_sentences(cleaned)
        if cleaned.strip() or not line.strip():  # keep blank lines, drop lines that became blank
            lines.append(cleaned.rstrip())
    if in_code and not any(line.strip() for line in lines[opened + 1 :]):
        del lines[opened:]  # a stray fence: it opens nothing
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()
