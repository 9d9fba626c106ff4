"""``${VAR}`` references in config strings, and the ``.env`` file.

In every string value (not in keys):

- ``${NAME}`` is replaced by the environment variable ``NAME``; if it is not set, that is a
  config error at the value, naming the variable;
- ``${NAME:-default}`` uses ``default`` when ``NAME`` is unset or empty;
- ``$${`` stands for a literal ``${``.

``${cwd}`` in an MCP server's ``args``, ``env`` and ``cwd`` is not an environment variable: as in
MassGen it means the agent's workspace, which is only known when the run starts, so it is kept
as written here and filled in when the server is launched
(:func:`massgen_core.tools.mcp.servers.bind_workspace`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .issues import ConfigPath, IssueList

__all__ = [
    "WORKSPACE_REFERENCE",
    "interpolate",
    "interpolate_string",
    "is_workspace_field",
    "load_dotenv_file",
]

#: what MassGen configs write for the agent's workspace in MCP server arguments and env
WORKSPACE_REFERENCE = "${cwd}"
_WORKSPACE_NAME = "cwd"
_SERVER_FIELDS = ("args", "env", "cwd")

_START = re.compile(r"\$\$\{|\$\{")
_BODY = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>.*))?", re.DOTALL)


class InterpolationError(Exception):
    """A ``${...}`` reference that cannot be filled in; ``unset``: only because the variable is
    not set on this machine (the reference itself is fine)."""

    def __init__(self, message: str, *, unset: bool = False) -> None:
        self.message = message
        self.unset = unset
        super().__init__(message)


def is_workspace_field(path: ConfigPath) -> bool:
    """Whether ``path`` is inside an MCP server's ``args``, ``env`` or ``cwd`` in a backend block
    (``agents[0].backend.mcp_servers[1].args[2]``, the dictionary form and a single server too),
    where ``${cwd}`` means the agent's workspace."""
    for i in range(len(path) - 1):
        if path[i] == "backend" and path[i + 1] == "mcp_servers":
            rest = path[i + 2 :]
            return any(part in _SERVER_FIELDS for part in rest[:2])
    return False


def interpolate_string(text: str, environ: Mapping[str, str], *, workspace_field: bool = False) -> str:
    """``text`` with its ``${...}`` references replaced; raises :class:`InterpolationError`.

    :param workspace_field: ``text`` is an MCP server's argument, env value or ``cwd``: ``${cwd}``
        stays as written (the agent's workspace, filled in at launch).
    """
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
        if name == _WORKSPACE_NAME and default is None and workspace_field:
            out.append(WORKSPACE_REFERENCE)
            pos = end + 1
            continue
        value = environ.get(name)
        if default is not None and not value:
            value = default
        if value is None and name == _WORKSPACE_NAME:
            raise InterpolationError(
                "${cwd} (the agent's workspace, as MassGen configs write it) is only filled in in an "
                "MCP server's `args`, `env` and `cwd`; elsewhere it would be the environment variable "
                "cwd, which is not set"
            )
        if value is None:
            raise InterpolationError(
                f"environment variable {name} is not set (set it, put it in .env, "
                f"or give a default: ${{{name}:-value}})",
                unset=True,
            )
        out.append(value)
        pos = end + 1


def interpolate(data: Any, environ: Mapping[str, str], issues: IssueList, path: ConfigPath = ()) -> Any:
    """``data`` with every string value interpolated; a variable that is not set goes to
    ``issues`` as a problem of this machine (the value stays as written), a malformed reference
    as an issue."""
    if isinstance(data, str):
        try:
            return interpolate_string(data, environ, workspace_field=is_workspace_field(path))
        except InterpolationError as exc:
            if exc.unset:
                issues.on_machine(path, exc.message)
            else:
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
