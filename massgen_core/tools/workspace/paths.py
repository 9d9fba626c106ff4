"""Paths built from user input (agent ids, session ids, run ids) and proven to stay under their root.

Every folder or file MassGen names after something a user or a config gave — an agent's
workspace, snapshot, view, scratch and state file under ``.massgen/``, a session's folder, a
run's log folder — is built with :func:`contained`: each name must be one plain path component,
and the result, symlinks resolved, must lie under the root. An agent id ``../../victim`` can then
never make a run delete or write outside its folders.
"""

from __future__ import annotations

import os
from pathlib import Path

from ...plugin.errors import MassgenError

__all__ = ["PathEscapeError", "contained", "name_problem", "path_problem"]

#: Longest file name most file systems accept (bytes).
NAME_MAX = 255


class PathEscapeError(MassgenError):
    """A name taken from user input would put a path outside the folder it belongs in."""


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be one path component, or ``None``."""
    if not name:
        return "it is empty"
    if name in (".", ".."):
        return f"{name!r} is not a name"
    if "/" in name or "\\" in name or (os.altsep and os.altsep in name):
        return "it contains a path separator"
    if "\x00" in name:
        return "it contains a NUL character"
    if len(name.encode("utf-8", "surrogateescape")) > NAME_MAX:
        return f"it is longer than {NAME_MAX} bytes"
    return None


def contained(root: str | os.PathLike[str], *names: str, what: str = "name") -> Path:
    """``root/names...``, after checking that it stays under ``root``.

    Each of ``names`` must be a single path component (no separator, not ``.`` or ``..``), and
    the path, with every existing symlink resolved, must lie inside ``root`` (resolved the same
    way; a relative root is taken from the current directory).

    :param what: what the names are, for the message ("agent id", "session id"...).
    :raises PathEscapeError: naming the offending value and why.
    """
    base = Path(os.path.realpath(os.path.abspath(os.path.expanduser(os.fspath(root)))))
    for name in names:
        if (why := name_problem(name)) is not None:
            raise PathEscapeError(f"{what} {name!r} cannot be used as a file name: {why}")
    path = base.joinpath(*names)
    resolved = Path(os.path.realpath(path))
    if names and base not in resolved.parents:
        raise PathEscapeError(
            f"{what} {'/'.join(names)!r} would lead outside {base} (to {resolved}, through a symlink)"
        )
    return path


#: Longest path the kernel accepts (bytes, with the terminating NUL).
PATH_MAX = 4096


def path_problem(path: str) -> str | None:
    """Why ``path`` (as written in a config) cannot name a file on this system, or ``None``."""
    if "\x00" in path:
        return "the path contains a NUL character"
    try:
        size = len(path.encode("utf-8", "surrogateescape"))
    except UnicodeEncodeError:
        return "the path is not valid text (it holds a lone surrogate)"
    if size >= PATH_MAX:
        return f"the path is {size} bytes long; paths are limited to {PATH_MAX - 1}"
    for part in path.split("/"):
        if len(part.encode("utf-8", "surrogateescape")) > NAME_MAX:
            shown = part[:20] + "..."
            return f"the name {shown!r} in the path is longer than {NAME_MAX} bytes (the limit for a name)"
    return None
