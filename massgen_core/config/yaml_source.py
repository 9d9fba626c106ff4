"""Read YAML text into plain Python data, recording where every key and value starts.

ruamel.yaml's round-trip loader keeps node positions (``node.lc``, 0-based); they are copied
into a :class:`~massgen_core.config.issues.Positions` table (1-based) keyed by path, and the
document is turned into plain ``dict``/``list``/scalars so that nothing downstream depends on
ruamel types. Syntax errors become a :class:`ConfigError` with the parser's line:column and a
one-line message.
"""

from __future__ import annotations

import datetime
import re
import warnings
from collections.abc import Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from ..plugin.errors import ConfigError, ConfigIssue
from .issues import ConfigPath, IssueList

if TYPE_CHECKING:
    from ruamel.yaml.composer import Composer

__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_NODES", "MAX_VALUES", "load_yaml", "too_large"]

MAX_BYTES = 1024 * 1024
"""A longer config is an error (the YAML parser is pure Python: about 10 s per MB of keys)."""
MAX_NODES = 10_000
"""More values *written* in the document than this is an error, found while parsing."""
MAX_VALUES = 100_000
"""More values once aliases are expanded (an alias "billion laughs") is an error."""
MAX_DEPTH = 64
"""Deeper nesting than this is an error, found while parsing."""

_DUPLICATE = re.compile(r'found duplicate key "(?P<key>.*?)" with value')


class _TooLarge(Exception):
    def __init__(self, path: ConfigPath) -> None:
        self.path = path


class _TooManyNodes(Exception):
    def __init__(self, line: int, column: int) -> None:
        self.line = line
        self.column = column


@cache
def _counting_composer() -> type[Composer]:
    from ruamel.yaml.composer import Composer

    class CountingComposer(Composer):
        """ruamel's composer, stopping after :data:`MAX_NODES` nodes (not after reading them all)."""

        nodes = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            self.nodes += 1
            if self.nodes > MAX_NODES:
                mark = self.parser.peek_event().start_mark
                raise _TooManyNodes(mark.line + 1, mark.column + 1)
            return super().compose_node(parent, index)

    return CountingComposer


def too_large(file: str | None, line: int, column: int) -> ConfigIssue:
    """The issue for a config longer than :data:`MAX_BYTES` (placed where the limit is crossed)."""
    message = (
        f"the config is larger than {MAX_BYTES // 1024} KiB, the limit: is this the right file? "
        "(a config lists agents and settings)"
    )
    return ConfigIssue(message, file=file, line=line, column=column)


def load_yaml(text: str, issues: IssueList) -> Any:
    """Parse ``text``; returns plain data and fills ``issues.positions``.

    Raises :class:`ConfigError` for invalid YAML. Values that YAML allows but a config cannot
    hold (non-string keys, unknown tags, binary) are reported in ``issues``.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.composer import MaxDepthExceededError
    from ruamel.yaml.error import MarkedYAMLError
    from ruamel.yaml.reader import ReaderError

    file = issues.positions.file
    if len(text) > MAX_BYTES:
        line, column = _line_column(text, MAX_BYTES)
        raise ConfigError([too_large(file, line, column)])
    yaml = YAML(typ="rt")
    yaml.max_depth = MAX_DEPTH + 1
    yaml.Composer = _counting_composer()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            document = yaml.load(text)
    except MaxDepthExceededError as exc:
        mark = exc.problem_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        message = f"nested more than {MAX_DEPTH} levels deep: a config is never this deep"
        raise ConfigError([ConfigIssue(message, file=file, line=line, column=column)]) from None
    except _TooManyNodes as exc:
        message = f"the config holds more than {MAX_NODES} values: is this the right file?"
        raise ConfigError([ConfigIssue(message, file=file, line=exc.line, column=exc.column)]) from None
    except MarkedYAMLError as exc:
        raise ConfigError([_marked_issue(exc, file)]) from None
    except ReaderError as exc:
        line, column = _line_column(text, exc.position)
        message = f"invalid YAML: {str(exc).splitlines()[0]}"
        raise ConfigError([ConfigIssue(message, file=file, line=line, column=column)]) from None
    except RecursionError:
        raise ConfigError(
            [ConfigIssue("invalid YAML: nested too deeply", file=file, line=1, column=1)]
        ) from None
    except Exception as exc:  # other YAMLErrors, and the odd non-YAML exception on strange input
        message = f"invalid YAML: {type(exc).__name__}: {_first_line(str(exc))}"
        raise ConfigError([ConfigIssue(message, file=file, line=1, column=1)]) from None

    lc = getattr(document, "lc", None)
    root_line = getattr(lc, "line", None)
    root_col = getattr(lc, "col", None)
    if isinstance(root_line, int) and isinstance(root_col, int):
        issues.positions.values[()] = (root_line + 1, root_col + 1)
    else:
        issues.positions.values[()] = (1, 1)
    try:
        return _Plain(issues).convert(document, ())
    except _TooLarge as exc:
        issues.at_value(
            exc.path, f"the document holds more than {MAX_VALUES} values once its aliases are expanded"
        )
        raise issues.error() from None


def _first_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[0].strip() if lines else "unknown error"


def _line_column(text: str, position: int | None) -> tuple[int, int]:
    if not isinstance(position, int) or position < 0:
        return 1, 1
    before = text[:position]
    line = before.count("\n") + 1
    column = position - (before.rfind("\n") + 1) + 1
    return line, column


def _marked_issue(exc: Any, file: str | None) -> ConfigIssue:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else 1
    column = mark.column + 1 if mark is not None else 1
    problem = exc.problem or ""
    duplicate = _DUPLICATE.search(problem)
    if duplicate:
        # ruamel's text repeats both values; a value may be a secret, so only the key is named
        message = f"duplicate key {duplicate.group('key')!r}"
        if exc.context_mark is not None:
            message += f" in the mapping that starts at line {exc.context_mark.line + 1}"
        return ConfigIssue(message, file=file, line=line, column=column)
    message = f"invalid YAML: {problem or _first_line(str(exc))}"
    context = exc.context
    if context and exc.context_mark is not None and exc.problem_mark is not None:
        message += f" ({context} at line {exc.context_mark.line + 1}, column {exc.context_mark.column + 1})"
    return ConfigIssue(message, file=file, line=line, column=column)


class _Plain:
    """Turns ruamel's round-trip data into plain Python data, recording positions."""

    def __init__(self, issues: IssueList) -> None:
        self.issues = issues
        self.positions = issues.positions
        self.count = 0
        self.open: set[int] = set()

    def convert(self, node: Any, path: ConfigPath) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            raise _TooLarge(path)
        if isinstance(node, Mapping | list):
            if len(path) > MAX_DEPTH:
                self.issues.at_value(path, f"nested more than {MAX_DEPTH} levels deep")
                return None
            if id(node) in self.open:
                self.issues.at_value(path, "a recursive alias cannot be used in a config")
                return None
            self.open.add(id(node))
            try:
                if isinstance(node, Mapping):
                    return self._mapping(node, path)
                return self._sequence(node, path)
            finally:
                self.open.discard(id(node))
        return self._scalar(node, path)

    def _mapping(self, node: Mapping[Any, Any], path: ConfigPath) -> dict[str, Any]:
        lc = getattr(node, "lc", None)
        out: dict[str, Any] = {}
        for key in node:
            sub: ConfigPath = (*path, key if isinstance(key, str) else _key_text(key))
            self._record(lc, key, sub)
            if not isinstance(key, str):
                self.issues.at_key(sub, "mapping keys must be strings: put the key in quotes")
                continue
            out[str(key)] = self.convert(node[key], sub)
        return out

    def _record(self, lc: Any, key: Any, sub: ConfigPath) -> None:
        if lc is None:
            return
        try:
            line, col = lc.key(key)
            self.positions.keys[sub] = (line + 1, col + 1)
            line, col = lc.value(key)
            self.positions.values[sub] = (line + 1, col + 1)
        except Exception:  # keys merged in with "<<" have no position of their own
            pass

    def _sequence(self, node: Sequence[Any], path: ConfigPath) -> list[Any]:
        lc = getattr(node, "lc", None)
        out: list[Any] = []
        for index, item in enumerate(node):
            sub: ConfigPath = (*path, index)
            if lc is not None:
                try:
                    line, col = lc.item(index)
                    self.positions.values[sub] = (line + 1, col + 1)
                except Exception:
                    pass
            out.append(self.convert(item, sub))
        return out

    def _scalar(self, node: Any, path: ConfigPath) -> Any:
        if node is None or isinstance(node, bool):
            return node
        if isinstance(node, str):
            return str(node)
        if isinstance(node, int):
            text = type(node).__name__
            return bool(node) if text == "ScalarBoolean" else int(node)
        if isinstance(node, float):
            return float(node)
        if isinstance(node, datetime.date):
            # YAML reads 2024-02-15 as a date; a config only has strings there
            return node.isoformat()
        tag = getattr(node, "tag", None)
        what = f"the YAML tag {getattr(tag, 'value', tag)}" if tag is not None else type(node).__name__
        self.issues.at_value(path, f"unsupported value: {what} cannot be used in a config")
        return None


def _key_text(key: Any) -> str:
    if isinstance(key, tuple | list):
        return "[...]"
    if isinstance(key, Mapping):
        return "{...}"
    return str(key)
