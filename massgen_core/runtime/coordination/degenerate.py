"""Cheap checks that a final presentation is not worse than the answer it presents.

The winner's presentation is meant to be the winning answer, improved. Small models often do
worse: they echo the prompt's markup, loop, or rewrite a correct answer into nonsense. The
orchestrator then presents the winning answer as given, and says why. The checks are
deliberately coarse, so a genuine rewrite passes:

* **empty**: nothing is left once the coordination markup is taken out;
* **loops**: a long text that compresses to almost nothing (the same lines over and over);
* **talks about the coordination**: it speaks of the prompt's own sections ("the original
  message", "the current answers", "voting results"), of the agents ("agent3", "the other
  agents") or of the workflow tools (``new_answer``, even in code) instead of answering, or
  repeats the prompt's instructions (any six words in a row of :data:`~.prompts.INSTRUCTIONS`:
  "Your own answer is agent1; the agents chose it. Here it is again:");
* **drops the substance**: the winning answer names things (capitalised words that do not start
  a sentence, numbers) and the presentation keeps none of them, not even in part (``REPORT.md``
  is kept by "report"; an answer of three words or fewer names all its words): "The capital of
  France is Paris." presented without "Paris" and without "France";
* **shrinks**: the winning answer is substantial and the presentation keeps less than a fifth of
  its length.
"""

from __future__ import annotations

import re
import zlib

from .markup import names_workflow_tool, strip_markup
from .prompts import INSTRUCTIONS

__all__ = ["echoes_instructions", "presentation_problem"]

#: a text this long that compresses below this ratio is a loop
_LOOP_MIN_CHARS = 600
_LOOP_RATIO = 0.12
#: a winning answer this long must keep at least this share of its length
_SHRINK_MIN_CHARS = 300
_SHRINK_SHARE = 0.2
#: a name or number: a capitalised word not at a sentence start, or a number
_WORD = re.compile(r"[^\W_]+(?:[.,'][^\W_]+)*", re.UNICODE)
_PART = re.compile(r"[^\W_]+", re.UNICODE)
#: the prompt's own sections and the agents, as a model retelling the prompt names them
_PROMPT_TALK = re.compile(
    r"\b(?:original message|current answers|voting results|agent\d+|(?:the|other|another) agents?)\b",
    re.IGNORECASE,
)
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|\n\s*(?:[-*#>]+\s*|\d+[.)]\s*)?)$")
#: this many words in a row, as the prompts' instructions have them, are an echo of the prompt
_ECHO_WORDS = 6
_ECHO_WORD = re.compile(r"[a-z0-9_]+")
_LABEL = re.compile(r"agent\d+")


def _runs(text: str) -> set[tuple[str, ...]]:
    """Every run of :data:`_ECHO_WORDS` words of ``text`` (lower case, labels as ``agent``)."""
    words = [_LABEL.sub("agent", w) for w in _ECHO_WORD.findall(text.lower())]
    return {tuple(words[i : i + _ECHO_WORDS]) for i in range(len(words) - _ECHO_WORDS + 1)}


_INSTRUCTION_RUNS = frozenset().union(*(_runs(text.replace("{label}", "agent1")) for text in INSTRUCTIONS))


def echoes_instructions(text: str) -> bool:
    """Whether ``text`` repeats the prompts' instructions (six words in a row of one of them)."""
    return not _runs(text).isdisjoint(_INSTRUCTION_RUNS)


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


def _short_answer_words(text: str) -> set[str]:
    """The words of an answer of at most three words ("Paris."), which are all it names."""
    words = _WORD.findall(text)
    return {w.lower() for w in words if len(w) >= 3} if len(words) <= 3 else set()


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
    if (
        (_PROMPT_TALK.search(text) and not _PROMPT_TALK.search(winning))
        or (echoes_instructions(text) and not echoes_instructions(winning))
        or (names_workflow_tool(presented) and not names_workflow_tool(winning))
    ):
        return "it talks about the coordination instead of answering"
    names = _names(winning) or _short_answer_words(winning)
    words = _words(text)
    if names and not any(_kept(name, words) for name in names):
        return f"it leaves out everything the winning answer names ({', '.join(sorted(names)[:5])})"
    if len(winning) >= _SHRINK_MIN_CHARS and len(text) < _SHRINK_SHARE * len(winning):
        return "it is a fraction of the winning answer's length"
    return None
