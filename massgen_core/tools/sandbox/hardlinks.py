"""Hard links that would let a confined process write outside its writable paths.

Landlock checks the path a file is opened by: a hard link inside a writable directory to a file
whose other names lie elsewhere (``ln /etc/hosts workspace/hosts``, made before the run or by
someone else) opens the outside file for writing. Confined processes cannot *create* such a
link (Landlock refuses to link a file in from a directory it may not write), so checking the
writable paths before a process starts closes the hole: :func:`escaping_links` finds every
regular file there with more names (``st_nlink``) than it has inside the writable paths (outside
protected paths).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Sequence

__all__ = ["escaping_links"]


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def escaping_links(writable: Iterable[str], protected: Sequence[str] = (), *, limit: int = 10) -> list[str]:
    """Up to ``limit`` paths under ``writable`` that are hard links to a file with names elsewhere
    (outside the writable paths, or inside a protected path).

    ``writable`` and ``protected`` are absolute, symlink-free paths; symlinks are not followed.
    """
    guarded = [os.path.normpath(p) for p in protected]
    roots = sorted({os.path.normpath(w) for w in writable})
    roots = [r for r in roots if not any(_within(r, other) and r != other for other in roots)]
    #: (device, inode) -> (link count, names seen here)
    linked: dict[tuple[int, int], tuple[int, list[str]]] = {}

    def visit(directory: str) -> None:
        try:
            entries = list(os.scandir(directory))
        except OSError:
            return
        for entry in entries:
            path = entry.path
            if any(_within(path, g) for g in guarded):
                continue  # names in a protected path do not count as writable ones
            try:
                if entry.is_dir(follow_symlinks=False):
                    visit(path)
                    continue
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode) and info.st_nlink > 1:
                key = (info.st_dev, info.st_ino)
                linked.setdefault(key, (info.st_nlink, []))[1].append(path)

    for root in roots:
        try:
            info = os.lstat(root)
        except OSError:
            continue
        if stat.S_ISDIR(info.st_mode):
            visit(root)
        elif stat.S_ISREG(info.st_mode) and info.st_nlink > 1:
            linked.setdefault((info.st_dev, info.st_ino), (info.st_nlink, []))[1].append(root)
    found = sorted(p for count, names in linked.values() if len(names) < count for p in names)
    return found[:limit]
