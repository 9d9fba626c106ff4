"""Scorers: whether an arm's answer is right, and the answer it gives (the ``majority`` arm votes
on that).

Built in: ``exact`` (the same text, spaces around it aside), ``normalized`` (the same text after
:func:`normalize`: case, punctuation, articles and extra spaces aside), ``contains`` (the expected
text appears in the answer, as whole words, both normalized), ``numeric`` (the answer's number,
the one after ``####`` or else its last, is the expected one within the line's ``tolerance``,
absolute, default 1e-6, or ``relative_tolerance``), ``choice`` (the letter a multiple-choice answer
picks) and ``regex`` (the expected answer is a regular expression found in the answer). Plugins add
more through the ``massgen_scorers`` hook. ``auto`` (the default) picks ``choice`` for a line with
``choices``, ``numeric`` when the expected answer is a number, else ``normalized``.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ..plugin.errors import MassgenError

if TYPE_CHECKING:
    from ..plugin.specs import ExtractFunction, ScoreFunction

__all__ = [
    "AUTO",
    "BUILTIN",
    "Scorer",
    "auto_scorer",
    "choice_letter",
    "load_scorers",
    "normalize",
    "number_in",
    "unknown_scorer",
]

AUTO = "auto"
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans(dict.fromkeys(string.punctuation + "\u2018\u2019\u201c\u201d", " "))
_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?|[-+]?\.\d+")
_GSM8K = re.compile(r"####\s*([^\n]*)")
_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")


def normalize(text: str) -> str:
    """Lower case, no punctuation, no articles (a, an, the), single spaces."""
    text = unicodedata.normalize("NFKC", text).lower().translate(_PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def number_in(text: str) -> float | None:
    """The number an answer gives: the one after ``####`` (GSM8K's convention), else the last
    number in it (``1,234.5`` reads as 1234.5); ``None`` when there is none."""
    marked = _GSM8K.search(text)
    if marked is not None and (found := _NUMBER.findall(marked.group(1))):
        return float(found[0].replace(",", ""))
    found = _NUMBER.findall(text)
    return float(found[-1].replace(",", "")) if found else None


def _number_text(value: float | None) -> str:
    return "" if value is None else f"{value:.10g}"


def _tolerance(fields: Mapping[str, Any], key: str, default: float) -> float:
    value = fields.get(key, default)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default


def score_numeric(response: str, expected: str, fields: Mapping[str, Any]) -> bool:
    got, want = number_in(response), number_in(expected)
    if got is None or want is None:
        return False
    allowed = max(
        _tolerance(fields, "tolerance", 1e-6), _tolerance(fields, "relative_tolerance", 0.0) * abs(want)
    )
    return abs(got - want) <= allowed


_LETTER_PATTERNS = (
    re.compile(r"answer\s*(?:is|:)?\s*[:\-]?\s*\(?\b([A-Z])\b\)?", re.I),
    re.compile(r"^\s*\(?([A-Z])\)?(?:[.):,]|\s|$)"),
    re.compile(r"\(([A-Z])\)"),
    re.compile(r"\b(?:option|choice)\s+\(?([A-Z])\b", re.I),
)


def _choices(fields: Mapping[str, Any]) -> dict[str, str]:
    choices = fields.get("choices")
    if isinstance(choices, Mapping):
        return {str(k).upper(): str(v) for k, v in choices.items()}
    if isinstance(choices, list):
        return {string.ascii_uppercase[i]: str(v) for i, v in enumerate(choices[:26])}
    return {}


def choice_letter(response: str, fields: Mapping[str, Any]) -> str:
    """The letter a multiple-choice answer picks (``B``, ``(B)``, ``B.``, ``the answer is B``...), or
    the letter of the one choice whose text it gives; ``""`` when it picks none."""
    choices = _choices(fields)
    for pattern in _LETTER_PATTERNS:
        for match in pattern.finditer(response.strip()):
            letter = match.group(1).upper()
            if not choices or letter in choices:
                return letter
    said = f" {normalize(response)} "
    named = [letter for letter, text in choices.items() if normalize(text) and f" {normalize(text)} " in said]
    return named[0] if len(named) == 1 else ""


def score_choice(response: str, expected: str, fields: Mapping[str, Any]) -> bool:
    return choice_letter(response, fields) == expected.strip().upper()


def score_regex(response: str, expected: str, fields: Mapping[str, Any]) -> bool:
    return re.search(expected, response) is not None


def _extract_regex(response: str, fields: Mapping[str, Any]) -> str:
    match = re.search(str(fields.get("answer", "")), response) if fields.get("answer") else None
    return normalize(match.group(0)) if match else normalize(response)


def _extract_contains(response: str, fields: Mapping[str, Any]) -> str:
    expected = normalize(str(fields.get("answer", "")))
    return expected if expected and f" {expected} " in f" {normalize(response)} " else normalize(response)


@attrs.frozen
class Scorer:
    """A scorer ready to use: ``score(response, expected, fields)`` and ``extract(response, fields)``."""

    name: str
    help: str
    score: ScoreFunction
    extract: ExtractFunction
    plugin: str | None = None


BUILTIN: dict[str, Scorer] = {
    s.name: s
    for s in (
        Scorer(
            "exact",
            "the same text (spaces around it aside)",
            lambda r, e, f: r.strip() == e.strip(),
            lambda r, f: r.strip(),
        ),
        Scorer(
            "normalized",
            "the same text, case, punctuation, articles and extra spaces aside",
            lambda r, e, f: normalize(r) == normalize(e),
            lambda r, f: normalize(r),
        ),
        Scorer(
            "contains",
            "the expected text appears in the answer as whole words (normalized)",
            lambda r, e, f: bool(normalize(e)) and f" {normalize(e)} " in f" {normalize(r)} ",
            _extract_contains,
        ),
        Scorer(
            "numeric",
            "the answer's number (after ####, else its last) within the line's tolerance",
            score_numeric,
            lambda r, f: _number_text(number_in(r)),
        ),
        Scorer("choice", "the letter a multiple-choice answer picks", score_choice, choice_letter),
        Scorer(
            "regex",
            "the expected answer is a regular expression found in the answer",
            score_regex,
            _extract_regex,
        ),
    )
}


def auto_scorer(expected: str, fields: Mapping[str, Any]) -> str:
    """What ``auto`` picks for a line: ``choice``, ``numeric`` or ``normalized``."""
    if _choices(fields):
        return "choice"
    if _NUMBER.fullmatch(expected.strip()):
        return "numeric"
    return "normalized"


def _plugin_scorer(plugin: str, spec: Any) -> Scorer:
    score = spec.load_score()
    extract = spec.load_extract() or (lambda r, f: normalize(r))
    return Scorer(spec.name, spec.help, score, extract, plugin=plugin)


def load_scorers(*, plugins: bool = True) -> dict[str, Scorer]:
    """The built-in scorers and those the plugins add (``massgen_scorers``). A plugin's scorer
    whose name is taken (by a built-in or another plugin) or malformed is reported against the
    plugin (``massgen plugins`` shows it) and not used."""
    scorers = dict(BUILTIN)
    if not plugins:
        return scorers
    from ..host.plugin_host import get_host
    from ..plugin.specs import ScorerSpec

    host = get_host()
    claims: dict[str, list[tuple[str, ScorerSpec]]] = {}
    for plugin, spec in host.collect("massgen_scorers", ScorerSpec):
        if not _NAME.match(spec.name) or spec.name == AUTO:
            host.report(
                plugin,
                f"scorer {spec.name!r}: a scorer name is a lower-case word (letters, digits, '-', '_')",
            )
        elif spec.name in BUILTIN:
            host.report(plugin, f"scorer {spec.name!r} is a built-in scorer; pick another name")
        else:
            claims.setdefault(spec.name, []).append((plugin, spec))
    for name, entries in sorted(claims.items()):
        if len(entries) > 1:
            for plugin, _ in entries:
                others = ", ".join(p for p, _ in entries if p != plugin)
                host.report(plugin, f"scorer {name!r} is also declared by {others}")
            continue
        plugin, spec = entries[0]
        try:
            scorers[name] = _plugin_scorer(plugin, spec)
        except Exception as exc:
            host.report(plugin, f"scorer {name!r} could not be loaded: {type(exc).__name__}: {exc}", exc)
    return scorers


def unknown_scorer(name: str, scorers: Mapping[str, Scorer]) -> MassgenError:
    """The error for a scorer name nobody declares."""
    known = ", ".join([AUTO, *scorers])
    return MassgenError(
        f"unknown scorer {name!r}; choose one of: {known} (plugins add more: massgen plugins)"
    )
