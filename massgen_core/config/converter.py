"""The strict cattrs converter used to structure config sections and backend options.

It forbids unknown keys and checks types strictly: YAML ``"10"`` is not an integer, ``1`` is
not a string, a string is not a list of strings, ``1`` is not ``true``. Its errors
(:class:`Mismatch`, and lists and mappings of them) describe the expected type and the *kind*
of value given, never the value itself (it may be a secret).
"""

from __future__ import annotations

import collections.abc as cabc
import enum
import types
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

import attrs
import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError
from cattrs.gen import make_dict_structure_fn

from .issues import nearest
from .model import InvalidValue

__all__ = ["Mismatch", "NestedErrors", "describe", "get_converter", "kind_of"]

Hook = Callable[[Any, Any], Any]

_SEQUENCES: dict[Any, Callable[[list[Any]], Any]] = {
    list: list,
    tuple: tuple,
    cabc.Sequence: tuple,
    cabc.MutableSequence: list,
    set: set,
    frozenset: frozenset,
    cabc.Set: frozenset,
    cabc.MutableSet: set,
}
_MAPPINGS = (dict, cabc.Mapping, cabc.MutableMapping)
_PLURALS = {str: "strings", int: "integers", float: "numbers", bool: "booleans"}


class Mismatch(TypeError):
    """A value of the wrong type (raised by the strict hooks)."""

    def __init__(self, expected: str, value: Any, *, hint: str = "", show: bool = False) -> None:
        self.expected = expected
        self.hint = hint
        got = shown(value) if show else kind_of(value)
        self.message = f"expected {expected}, got {got}{hint}"
        super().__init__(self.message)


class NestedErrors(Exception):
    """Errors of several items of a list or mapping, by index or key."""

    def __init__(self, errors: list[tuple[str | int, BaseException]]) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} invalid item(s)")


def shown(value: Any) -> str:
    """A short string or number as written (for a choice among names, where seeing the typo is
    the point), else only its kind (:func:`kind_of`). Known secrets are masked wherever the core
    prints."""
    if isinstance(value, str) and len(value) <= 40 and value.isprintable():
        return repr(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value)
    return kind_of(value)


def kind_of(value: Any) -> str:
    """What kind of YAML value ``value`` is (``"a string"``), without showing it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return f"a {type(value).__name__}"


def _origin(t: Any) -> Any:
    return typing.get_origin(t)


def _is_union(t: Any) -> bool:
    return _origin(t) in (typing.Union, types.UnionType)


def _is_literal(t: Any) -> bool:
    return _origin(t) is Literal


def _is_sequence(t: Any) -> bool:
    return (_origin(t) or t) in _SEQUENCES


def _is_mapping(t: Any) -> bool:
    return (_origin(t) or t) in _MAPPINGS


def _is_enum(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, enum.Enum)


def describe(t: Any) -> str:
    """A short description of the type ``t`` for messages (``"a list of strings"``)."""
    if t is type(None) or t is None:
        return "null"
    simple = {str: "a string", int: "an integer", float: "a number", bool: "true or false", Path: "a path"}
    if t in simple:
        return simple[t]
    if t is Any or t is object:
        return "any value"
    if _is_literal(t):
        return "one of " + ", ".join(repr(v) for v in typing.get_args(t))
    if _is_enum(t):
        return "one of " + ", ".join(repr(m.value) for m in t)
    if _is_union(t):
        return " or ".join(describe(m) for m in typing.get_args(t))
    if _is_sequence(t):
        args = typing.get_args(t)
        item = args[0] if args and (len(args) == 1 or args[1:] == (Ellipsis,)) else None
        if item is None or item is Any:
            return "a list"
        return f"a list of {_PLURALS[item]}" if item in _PLURALS else f"a list (each {describe(item)})"
    if _is_mapping(t) or attrs.has(t):
        return "a mapping"
    return getattr(t, "__name__", str(t))


# -- strict hooks -----------------------------------------------------------------------------
def _str(value: Any, _t: Any) -> str:
    if not isinstance(value, str):
        raise Mismatch("a string", value)
    return value


def _bool(value: Any, _t: Any) -> bool:
    if not isinstance(value, bool):
        raise Mismatch("true or false", value)
    return value


def _int(value: Any, _t: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise Mismatch("an integer", value)
    return int(value)


def _float(value: Any, _t: Any) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise Mismatch("a number", value)
    return float(value)


def _path(value: Any, _t: Any) -> Path:
    if isinstance(value, Path):
        return value
    if not isinstance(value, str) or not value:
        raise Mismatch("a path (a non-empty string)", value)
    return Path(value)


def _none(value: Any, _t: Any) -> None:
    if value is not None:
        raise Mismatch("null", value)
    return None


def _literal_hook(t: Any) -> Hook:
    choices = typing.get_args(t)

    def hook(value: Any, _t: Any) -> Any:
        for choice in choices:
            if type(value) is type(choice) and value == choice:
                return choice
        close = nearest(value, [c for c in choices if isinstance(c, str)]) if isinstance(value, str) else None
        raise Mismatch(describe(t), value, hint=f"; did you mean {close!r}?" if close else "", show=True)

    return hook


def _enum_hook(t: Any) -> Hook:
    def hook(value: Any, _t: Any) -> Any:
        for member in t:
            if type(value) is type(member.value) and value == member.value:
                return member
        raise Mismatch(describe(t), value, show=True)

    return hook


def _union_hook(converter: cattrs.Converter, t: Any) -> Hook:
    members = typing.get_args(t)
    others = [m for m in members if m is not type(None)]
    optional = len(others) < len(members)

    def hook(value: Any, _t: Any) -> Any:
        if value is None and optional:
            return None
        if len(others) == 1:  # keep the member's detailed errors (of a section, a list...)
            try:
                return converter.structure(value, others[0])
            except Mismatch as exc:
                raise Mismatch(describe(t), value, hint=exc.hint) from None
        shaped = _by_shape(others, value)
        if shaped is not None:  # a section, or a list of sections: keep its detailed errors
            return converter.structure(value, shaped)
        exact = [m for m in others if isinstance(m, type) and type(value) is m]
        for member in exact + [m for m in others if m not in exact]:
            try:
                return converter.structure(value, member)
            except Exception:
                continue
        raise Mismatch(describe(t), value)

    return hook


def _by_shape(members: list[Any], value: Any) -> Any:
    """The one member that is a section (an attrs class) for a mapping, or a list of sections for
    a list (``Settings | tuple[Settings, ...]``); ``None`` when it is not that clear."""
    if isinstance(value, Mapping):
        found = [m for m in members if attrs.has(m)]
    elif isinstance(value, list | tuple):
        found = [m for m in members if _is_sequence(m) and any(attrs.has(a) for a in typing.get_args(m))]
    else:
        return None
    return found[0] if len(found) == 1 else None


def _sequence_hook(converter: cattrs.Converter, t: Any) -> Hook:
    build = _SEQUENCES[_origin(t) or t]
    args = typing.get_args(t)
    fixed: tuple[Any, ...] | None = None
    item: Any = Any
    if args and args[1:] == (Ellipsis,):
        item = args[0]
    elif args and (_origin(t) or t) is tuple:
        fixed = args
    elif args:
        item = args[0]

    def hook(value: Any, _t: Any) -> Any:
        if not isinstance(value, list | tuple):
            raise Mismatch(describe(t), value)
        if fixed is not None and len(value) != len(fixed):
            raise Mismatch(f"a list of {len(fixed)} items", value)
        out: list[Any] = []
        errors: list[tuple[str | int, BaseException]] = []
        for index, element in enumerate(value):
            try:
                out.append(converter.structure(element, fixed[index] if fixed is not None else item))
            except Exception as exc:
                errors.append((index, exc))
        if errors:
            raise NestedErrors(errors)
        try:
            return build(out)
        except TypeError:  # unhashable items in a set
            raise Mismatch(describe(t), value) from None

    return hook


def _mapping_hook(converter: cattrs.Converter, t: Any) -> Hook:
    args = typing.get_args(t)
    key_type, value_type = (args[0], args[1]) if len(args) == 2 else (Any, Any)

    def hook(value: Any, _t: Any) -> Any:
        if not isinstance(value, Mapping):
            raise Mismatch("a mapping", value)
        out: dict[Any, Any] = {}
        errors: list[tuple[str | int, BaseException]] = []
        for key, element in value.items():
            label = key if isinstance(key, str | int) else str(key)
            try:
                k = converter.structure(key, key_type)
                out[k] = converter.structure(element, value_type)
            except Exception as exc:
                errors.append((label, exc))
        if errors:
            raise NestedErrors(errors)
        return out

    return hook


def _attrs_hook(converter: cattrs.Converter, t: Any) -> Hook:
    generated = make_dict_structure_fn(t, converter)

    def hook(value: Any, _t: Any) -> Any:
        if not isinstance(value, Mapping):
            raise Mismatch("a mapping", value)
        try:
            return generated(value, t)
        except ClassValidationError as exc:
            # attrs validators only run once every field is fine; run them now so that all
            # problems of the class are reported at once
            more = _validator_errors(converter, t, value, exc)
            if more:
                raise ClassValidationError(exc.message, [*exc.exceptions, *more], exc.cl) from None
            raise

    return hook


def _validator_errors(
    converter: cattrs.Converter, t: Any, value: Mapping[str, Any], exc: ClassValidationError
) -> list[Exception]:
    with_notes, without = exc.group_exceptions()
    if any(not isinstance(e, ForbiddenExtraKeysError) for e in without):
        return []  # the class was built, so its validators have run
    failed = {note.name for _, note in with_notes}
    errors: list[Exception] = []
    for field in attrs.fields(t):
        if field.validator is None or field.name not in value or field.name in failed:
            continue
        try:
            field.validator(None, field, converter.structure(value[field.name], field.type))
        except InvalidValue as error:
            errors.append(error)
        except Exception:  # a validator that needs the instance: it runs when the rest is fixed
            continue
    return errors


def _make_converter() -> cattrs.Converter:
    c = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    c.register_structure_hook(str, _str)
    c.register_structure_hook(bool, _bool)
    c.register_structure_hook(int, _int)
    c.register_structure_hook(float, _float)
    c.register_structure_hook(Path, _path)
    c.register_structure_hook(type(None), _none)
    c.register_structure_hook_factory(_is_enum, _enum_hook)
    c.register_structure_hook_factory(attrs.has, lambda t: _attrs_hook(c, t))
    c.register_structure_hook_factory(_is_mapping, lambda t: _mapping_hook(c, t))
    c.register_structure_hook_factory(_is_sequence, lambda t: _sequence_hook(c, t))
    c.register_structure_hook_factory(_is_literal, _literal_hook)
    c.register_structure_hook_factory(_is_union, lambda t: _union_hook(c, t))
    return c


_CONVERTER: cattrs.Converter | None = None


def get_converter() -> cattrs.Converter:
    """The process-wide strict converter."""
    global _CONVERTER
    if _CONVERTER is None:
        _CONVERTER = _make_converter()
    return _CONVERTER
