"""``${VAR}`` references in config strings, and the ``.env`` file.

In every string value (not in keys):

- ``${NAME}`` is replaced by the environment variable ``NAME``; if it is not set, that is a
  config error at the value, naming the variable;
- ``${NAME:-default}`` uses ``default`` when ``NAME`` is unset or empty;
- ``$${`` stands for a literal ``${``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .issues import ConfigPath, IssueList

__all__ = ["interpolate", "interpolate_string", "load_dotenv_file"]

_START = re.compile(r"\$\$\{|\$\{")
_BODY = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>.*))?", re.DOTALL)


class InterpolationError(Exception):
    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def interpolate_string(text: str, environ: Mapping[str, str]) -> str:
    """``text`` with its ``${...}`` references replaced; raises :class:`InterpolationError`."""
    if "${" not in text:
        return text
    out: list[str] = []
    pos = 0
    while True:
        match = _START.search(text, pos)
        if match is None:
            out.append(text[pos:])
            return "".join(out)
        out.append(text[pos : match.start()])
        if match.group() == "$${":
            out.append("${")
            pos = match.end()
            continue
        end = text.find("}", match.end())
        if end < 0:
            raise InterpolationError("unclosed '${': write ${NAME} (or $${ for a literal '${')")
        body = text[match.end() : end]
        parsed = _BODY.fullmatch(body)
        if parsed is None:
            raise InterpolationError(
                f"malformed reference '${{{body}}}': write ${{NAME}} or ${{NAME:-default}}"
            )
        name, default = parsed.group("name"), parsed.group("default")
        value = environ.get(name)
        if default is not None and not value:
            value = default
        if value is None:
            raise InterpolationError(
                f"environment variable {name} is not set (set it, put it in .env, "
                f"or give a default: ${{{name}:-value}})"
            )
        out.append(value)
        pos = end + 1


def interpolate(data: Any, environ: Mapping[str, str], issues: IssueList, path: ConfigPath = ()) -> Any:
    """``data`` with every string value interpolated; undefined variables go to ``issues``."""
    if isinstance(data, str):
        try:
            return interpolate_string(data, environ)
        except InterpolationError as exc:
            issues.at_value(path, exc.message)
            issues.mark_reported(path)
            return data
    if isinstance(data, dict):
        return {k: interpolate(v, environ, issues, (*path, k)) for k, v in data.items()}
    if isinstance(data, list):
        return [interpolate(v, environ, issues, (*path, i)) for i, v in enumerate(data)]
    return data


def load_dotenv_file(cwd: str | os.PathLike[str] | None = None) -> list[str]:
    """Load ``.env`` from ``cwd`` (default: the current directory) into ``os.environ``.

    Variables already set are kept (the file never overrides the environment). Returns the
    names of the variables that were set from the file (never their values); an absent file
    sets nothing.
    """
    path = Path(cwd if cwd is not None else os.getcwd()) / ".env"
    if not path.is_file():
        return []
    from dotenv import dotenv_values

    loaded: list[str] = []
    for name, value in dotenv_values(path).items():
        if value is None or name in os.environ:
            continue
        os.environ[name] = value
        loaded.append(name)
    return loaded
