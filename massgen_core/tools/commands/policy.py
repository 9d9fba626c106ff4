"""Which commands ``execute_command`` runs: the allowed and blocked patterns.

* ``command_line_blocked_commands``: a command is refused when any pattern is found anywhere in
  it (``re.search``).
* ``command_line_allowed_commands``: when given, *every* simple command of the line must match one
  pattern from its start (``re.match``). The line is split at ``;``, ``&&``, ``||``, ``|``, ``&``
  and newlines (outside quotes), so ``ls; rm -rf x`` is checked as ``ls`` and ``rm -rf x``; and
  command substitution (``$(...)``, backticks, ``<(...)``, ``>(...)``) is refused, since what it
  runs cannot be checked.
* Always refused: ``sudo``, ``su``, ``doas`` and the classic fork bomb.

These patterns are about what the model may *run*; what a command may *write* is enforced by the
sandbox (see :mod:`massgen_core.tools.sandbox`), not by matching text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import attrs

from ...plugin.errors import ConfigError, ConfigIssue

__all__ = ["CommandPolicy", "compile_patterns", "pattern_problems", "split_commands"]

ALWAYS_BLOCKED = (
    re.compile(r"(^|[\s;&|(])(sudo|su|doas)(\s|$)"),
    re.compile(r":\s*\(\s*\)\s*\{\s*:\s*\|\s*:\s*&\s*\}\s*;\s*:"),
)
_SUBSTITUTION = re.compile(r"\$\(|`|<\(|>\(")


def _compile(pattern: str) -> re.Pattern[str] | str:
    """The compiled pattern, or why it does not compile."""
    try:
        return re.compile(pattern)
    except re.error as exc:
        return f"invalid regular expression {pattern!r}: {exc}"
    except (RecursionError, OverflowError, ValueError) as exc:  # e.g. thousands of nested groups
        return f"invalid regular expression {pattern[:40]!r}...: {type(exc).__name__}"


def pattern_problems(patterns: Sequence[str] | None) -> list[tuple[int, str]]:
    """``(index, message)`` for each pattern that does not compile (the config loader reports them)."""
    return [(i, found) for i, p in enumerate(patterns or ()) if isinstance(found := _compile(p), str)]


def compile_patterns(
    patterns: Sequence[str] | None, *, option: str, source: str | None = None
) -> tuple[re.Pattern[str], ...]:
    """Compile regex patterns; a :class:`ConfigError` names each invalid one."""
    compiled = []
    issues = []
    for i, pattern in enumerate(patterns or ()):
        found = _compile(pattern)
        if isinstance(found, str):
            issues.append(ConfigIssue(found, file=source, path=f"{option}[{i}]"))
        else:
            compiled.append(found)
    if issues:
        raise ConfigError(issues)
    return tuple(compiled)


def split_commands(line: str) -> list[str]:
    """The simple commands of a shell line, split at ``; && || | &`` and newlines outside quotes."""
    parts: list[str] = []
    current: list[str] = []
    quote: str | None = None
    i = 0
    while i < len(line):
        char = line[i]
        if quote:
            current.append(char)
            if char == "\\" and quote == '"' and i + 1 < len(line):
                current.append(line[i + 1])
                i += 1
            elif char == quote:
                quote = None
        elif char == "\\" and i + 1 < len(line):
            current += [char, line[i + 1]]
            i += 1
        elif char in "'\"":
            quote = char
            current.append(char)
        elif char in ";&|\n":
            parts.append("".join(current))
            current = []
            if i + 1 < len(line) and line[i + 1] == char and char in "&|":
                i += 1
        else:
            current.append(char)
        i += 1
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


@attrs.frozen
class CommandPolicy:
    """The allowed (``None``: anything) and blocked patterns."""

    allowed: tuple[re.Pattern[str], ...] | None = None
    blocked: tuple[re.Pattern[str], ...] = ()

    def check(self, command: str) -> str | None:
        """Why ``command`` may not run, or ``None``."""
        if not command.strip():
            return "the command is empty"
        if "\x00" in command:
            return "the command contains a NUL character"
        for pattern in ALWAYS_BLOCKED:
            if pattern.search(command):
                return "privilege escalation (sudo/su/doas) and fork bombs are never run"
        for pattern in self.blocked:
            if pattern.search(command):
                return f"the command matches the blocked pattern {pattern.pattern!r}"
        if self.allowed is None:
            return None
        if _SUBSTITUTION.search(command):
            return (
                "command substitution ($(...), backticks, <(...)) is not allowed when only some commands are"
            )
        for part in split_commands(command):
            if not any(p.match(part) for p in self.allowed):
                allowed = ", ".join(repr(p.pattern) for p in self.allowed)
                return f"{part!r} matches none of the allowed command patterns ({allowed})"
        return None
