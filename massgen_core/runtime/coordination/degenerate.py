"""Cheap checks that a final presentation is not worse than the answer it presents.

The winner's presentation is meant to be the winning answer, improved. Small models often do
worse: they echo the prompt's markup, loop, or rewrite a correct answer into nonsense. The
orchestrator then presents the winning answer as given, and says why. The checks are
deliberately coarse, so a genuine rewrite passes:

* **empty**: nothing is left once the coordination markup is taken out;
* **loops**: a long text that compresses to almost nothing (the same lines over and over);
* **drops the substance**: the winning answer names things (capitalised words that do not start
  a sentence, numbers) and the presentation keeps fewer than half of them: "The capital of
  France is Paris." presented without "Paris" or "France";
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
    return {w.lower() for w in _WORD.findall(text)}


def presentation_problem(presented: str, winning: str) -> str | None:
    """Why ``presented`` should not replace ``winning`` (see the module docstring), or ``None``."""
    text = strip_markup(presented)
    if not text:
        return "it held nothing but coordination markup"
    if len(text) >= _LOOP_MIN_CHARS and len(zlib.compress(text.encode())) / len(text.encode()) < _LOOP_RATIO:
        return "it repeats itself"
    names = _names(winning)
    if len(names) >= 1:
        kept = names & _words(text)
        if len(kept) * 2 < len(names):
            missing = ", ".join(sorted(names - kept)[:5])
            return f"it leaves out what the winning answer names ({missing})"
    if len(winning) >= _SHRINK_MIN_CHARS and len(text) < _SHRINK_SHARE * len(winning):
        return "it is a fraction of the winning answer's length"
    return None
