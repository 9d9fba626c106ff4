"""Structure plain data into attrs classes, and place every error at its config path.

Errors of the strict converter are flattened into :class:`Problem` objects whose ``path`` is
relative to the structured value (attribute names, list indices, mapping keys — the same path
elements as the YAML), so the loader can put each at its ``file:line:column``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeVar

import attrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError

from .converter import Mismatch, NestedErrors, describe, get_converter
from .issues import ConfigPath, IssueList, suggestion
from .model import InvalidValue

__all__ = ["Problem", "flatten", "report", "structure"]

T = TypeVar("T")


@attrs.frozen
class Problem:
    """One structuring error.

    :param path: where, relative to the structured value.
    :param kind: ``"value"`` (a bad value at ``path``), ``"unknown"`` (``path`` ends in a key
        the class does not have) or ``"missing"`` (a required key is missing from ``path``).
    :param message: what is wrong.
    :param owner: for unknown and missing keys, the attrs class the key was looked up in.
    """

    path: ConfigPath
    kind: Literal["value", "unknown", "missing"]
    message: str
    owner: type | None = None


def structure(data: Any, cls: type[T]) -> tuple[T | None, list[Problem]]:
    """``data`` as a ``cls`` instance, or ``None`` and the problems found."""
    try:
        return get_converter().structure(data, cls), []
    except Exception as exc:
        return None, flatten(exc, (), cls)


def flatten(exc: BaseException, rel: ConfigPath, owner: Any = None) -> list[Problem]:
    """The problems in a (nested) structuring exception, with paths relative to the value."""
    out: list[Problem] = []
    if isinstance(exc, ClassValidationError):
        with_notes, without = exc.group_exceptions()
        for sub, note in with_notes:
            if type(sub) is KeyError and sub.args == (note.name,):
                out.append(Problem(rel, "missing", f"missing required key {note.name!r}", exc.cl))
            else:
                out.extend(flatten(sub, (*rel, note.name), note.type))
        for sub in without:
            out.extend(flatten(sub, rel, exc.cl))
    elif isinstance(exc, IterableValidationError):
        with_index, without = exc.group_exceptions()
        for sub, inote in with_index:
            out.extend(flatten(sub, (*rel, inote.index), inote.type))
        for sub in without:
            out.extend(flatten(sub, rel, owner))
    elif isinstance(exc, ForbiddenExtraKeysError):
        names = [a.name for a in attrs.fields(exc.cl)] if attrs.has(exc.cl) else []
        for key in sorted(exc.extra_fields, key=str):
            out.append(
                Problem((*rel, key), "unknown", f"unknown key {key!r}{suggestion(key, names)}", exc.cl)
            )
    elif isinstance(exc, NestedErrors):
        for item, item_error in exc.errors:
            out.extend(flatten(item_error, (*rel, item), None))
    elif isinstance(exc, Mismatch):
        out.append(Problem(rel, "value", exc.message))
    elif isinstance(exc, InvalidValue):
        out.append(Problem((*rel, exc.field), "value", exc.message))
    elif isinstance(exc, BaseExceptionGroup):
        for member in exc.exceptions:
            out.extend(flatten(member, rel, owner))
    else:
        what = f" for {describe(owner)}" if owner is not None and not attrs.has(owner) else ""
        out.append(Problem(rel, "value", f"invalid value{what}: {type(exc).__name__}: {exc}"))
    return out


def report(
    problems: list[Problem],
    base: ConfigPath,
    issues: IssueList,
    *,
    unknown: Callable[[Problem], str] | None = None,
    secret_fields: frozenset[str] = frozenset(),
) -> None:
    """Add ``problems`` (relative to ``base``) to ``issues`` at their key or value.

    :param unknown: builds the message for an unknown key (default: the problem's message).
    :param secret_fields: top-level fields whose value must not be described beyond its type.
    """
    for problem in problems:
        full = (*base, *problem.path)
        if problem.kind == "unknown":
            issues.at_key(full, unknown(problem) if unknown is not None else problem.message, unknown=True)
            continue
        message = problem.message
        if problem.path and problem.path[0] in secret_fields and not message.startswith("expected "):
            message = "invalid value (not shown: the option is secret)"
        issues.at_value(full, message)
