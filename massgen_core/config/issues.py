"""Source positions of a config's keys and values, and the list of issues found in it.

A position is looked up by *path*: the keys and list indices from the document root
(``("agents", 0, "backend", "model")``). Paths that have no recorded position (a key that
came from a YAML merge, a config given as a Python mapping) fall back to the nearest
ancestor that has one, so every issue of a YAML source has a line.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from ..plugin.errors import ConfigError, ConfigIssue

__all__ = ["ConfigPath", "IssueList", "Positions", "format_path", "nearest", "suggestion"]

ConfigPath = tuple[str | int, ...]
Position = tuple[int, int]  # 1-based line, column


def format_path(path: ConfigPath) -> str:
    """``("agents", 0, "backend")`` -> ``"agents[0].backend"``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def nearest(word: str, choices: Iterable[str]) -> str | None:
    """The valid choice closest to ``word`` (difflib), if any is close enough."""
    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def suggestion(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` or `` (valid keys: a, b)``."""
    valid = sorted(choices)
    close = nearest(word, valid)
    if close is not None:
        return f"; did you mean {close!r}?"
    return f"; valid keys: {', '.join(valid)}" if valid else ""


class Positions:
    """Where each key and value of a parsed document starts."""

    __slots__ = ("file", "keys", "values")

    def __init__(self, file: str | None) -> None:
        self.file = file
        self.keys: dict[ConfigPath, Position] = {}
        self.values: dict[ConfigPath, Position] = {}

    def key(self, path: ConfigPath) -> Position | None:
        """Where the key at ``path`` is written (or its nearest located ancestor)."""
        for n in range(len(path), -1, -1):
            sub = path[:n]
            found = self.keys.get(sub) or self.values.get(sub)
            if found is not None:
                return found
        return None

    def value(self, path: ConfigPath) -> Position | None:
        """Where the value at ``path`` starts (or its key, or its nearest located ancestor)."""
        found = self.values.get(path)
        return found if found is not None else self.key(path)


class IssueList:
    """Collects :class:`ConfigIssue` objects, each placed at a key or at a value."""

    def __init__(self, positions: Positions) -> None:
        self.positions = positions
        self.issues: list[ConfigIssue] = []
        #: what this machine lacks for the config (an unset variable, a missing file or program,
        #: no Docker daemon): not a mistake in the file; the loader makes them errors or warnings
        self.machine: list[ConfigIssue] = []
        self._reported: set[ConfigPath] = set()
        self.secrets: set[str] = set()

    def __bool__(self) -> bool:
        return bool(self.issues)

    def _add(
        self,
        path: ConfigPath,
        message: str,
        where: Position | None,
        always: bool = False,
        into: list[ConfigIssue] | None = None,
    ) -> None:
        # A value already reported (e.g. an undefined ${VAR}) is not reported again.
        if not always and any(path[: len(p)] == p for p in self._reported if len(p) <= len(path)):
            return
        line, column = where if where is not None else (None, None)
        (self.issues if into is None else into).append(
            ConfigIssue(message, file=self.positions.file, line=line, column=column, path=format_path(path))
        )

    def at_key(self, path: ConfigPath, message: str, *, unknown: bool = False) -> None:
        """An issue with the key at ``path`` (an ``unknown`` key, an option not allowed here...).

        Unknown keys are reported even when their value already was (it is a separate mistake).
        """
        self._add(path, message, self.positions.key(path), always=unknown)

    def at_value(self, path: ConfigPath, message: str) -> None:
        """An issue with the value at ``path`` (wrong type, bad choice...)."""
        self._add(path, message, self.positions.value(path))

    def on_machine(self, path: ConfigPath, message: str) -> None:
        """A problem with the value at ``path`` that lies in this machine, not in the file (a
        variable not set, a file or program missing here, no Docker daemon): kept apart, in
        :attr:`machine`, so that ``massgen validate`` can warn where a run refuses. ``message``
        says how to fix it."""
        self._add(path, message, self.positions.value(path), into=self.machine)

    def note(self, path: ConfigPath, message: str) -> ConfigIssue:
        """A note about the key at ``path``, placed as an issue would be; it is not an issue
        (the config stays valid): the caller keeps it (see :meth:`BackendOptions.config_notes
        <massgen_core.plugin.options.BackendOptions.config_notes>`)."""
        line, column = self.positions.key(path) or (None, None)
        return ConfigIssue(
            mask_secrets(message, self.secrets),
            file=self.positions.file,
            line=line,
            column=column,
            path=format_path(path),
        )

    def mark_reported(self, path: ConfigPath) -> None:
        """Suppress later issues at ``path`` and below (its problem is already reported)."""
        self._reported.add(path)

    def error(self) -> ConfigError:
        """The issues as one error, sorted by position, with secret values masked."""
        return ConfigError(self.ordered(self.issues))

    def ordered(self, issues: Iterable[ConfigIssue]) -> list[ConfigIssue]:
        """``issues`` sorted by position, with secret values masked."""
        ordered = sorted(
            issues,
            key=lambda i: (i.line if i.line is not None else 0, i.column if i.column is not None else 0),
        )
        for issue in ordered:
            issue.message = mask_secrets(issue.message, self.secrets)
        return ordered

    def raise_if_any(self) -> None:
        if self.issues:
            raise self.error()


def mask_secrets(message: str, secrets: Iterable[str]) -> str:
    """``message`` with every occurrence of a secret value replaced by ``***``."""
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 3:  # shorter "secrets" would mangle every message
            message = message.replace(secret, "***")
    return message
