"""Cheap checks that a final presentation is not worse than the answer it presents.

The winner's presentation is meant to be the winning answer, improved. Small models often do
worse: they echo the prompt's markup, loop, or rewrite a correct answer into nonsense. The
orchestrator then presents the winning answer as given, and says why. The checks are
deliberately coarse, so a genuine rewrite passes:

* **empty**: nothing is left once the coordination markup is taken out;
* **loops**: a long text that compresses to almost nothing (the same lines over and over);
* **drops the substance**: the winning answer names two things or more (capitalised words that
  do not start a sentence, numbers) and the presentation keeps none of them: "The capital of
  France is Paris." presented without "Paris" and without "France";
* **shrinks**: the winning answer is substantial and the presentation keeps less than a fifth of
  its length.
"""

from __future__ import annotations

import re
import zlib

from .markup import strip_markup

__all__ = ["presentation_problem"]

#: a text this long that compresses below this ratio is a loop
_LOOP_MIN_CHARS = 600
_LOOP_RATIO = 0.12
#: a winning answer this long must keep at least this share of its length
_SHRINK_MIN_CHARS = 300
_SHRINK_SHARE = 0.2
#: a name or number: a capitalised word not at a sentence start, or a number
_WORD = re.compile(r"[^\W_]+(?:[.,'][^\W_]+)*", re.UNICODE)
_PART = re.compile(r"[^\W_]+", re.UNICODE)
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|\n\s*(?:[-*#>]+\s*|\d+[.)]\s*)?)$")


def _names(text: str) -> set[str]:
    """The words of ``text`` that name something: numbers, and capitalised words that do not
    start a sentence or a line (lower-cased, so the check ignores a change of case)."""
    names: set[str] = set()
    for match in _WORD.finditer(text):
        word = match.group()
        number = any(c.isdigit() for c in word)
        named = word[0].isupper() and len(word) > 1 and not _SENTENCE_START.search(text[: match.start()])
        if number or named:
            names.add(word.lower())
    return names


def _words(text: str) -> set[str]:
    """Every word of ``text`` and every part of one (``REPORT.md``: also ``report``, ``md``)."""
    return {w.lower() for w in _WORD.findall(text)} | {p.lower() for p in _PART.findall(text)}


def _kept(name: str, words: set[str]) -> bool:
    """Whether ``name`` is in ``words``, whole or by its longest part (``report.md`` ~ ``report``)."""
    return name in words or max(_PART.findall(name), key=len) in words


def presentation_problem(presented: str, winning: str) -> str | None:
    """Why ``presented`` should not replace ``winning`` (see the module docstring), or ``None``."""
    text = strip_markup(presented)
    if not text:
        return "it held nothing but coordination markup"
    if len(text) >= _LOOP_MIN_CHARS and len(zlib.compress(text.encode())) / len(text.encode()) < _LOOP_RATIO:
        return "it repeats itself"
    names = _names(winning)
    words = _words(text)
    if len(names) >= 2 and not any(_kept(name, words) for name in names):
        return f"it leaves out everything the winning answer names ({', '.join(sorted(names)[:5])})"
    if len(winning) >= _SHRINK_MIN_CHARS and len(text) < _SHRINK_SHARE * len(winning):
        return "it is a fraction of the winning answer's length"
    return None
