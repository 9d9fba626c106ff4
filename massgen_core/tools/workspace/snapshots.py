"""Copying workspaces: snapshots of an agent's latest workspace, and the read-only views of them."""

from __future__ import annotations

import os
import shutil
import stat
import sys
from collections.abc import Callable
from pathlib import Path

__all__ = ["copy_tree", "remove_tree"]


def remove_tree(path: Path) -> None:
    """Delete ``path`` (a directory tree, a file or a link), read-only entries included."""
    if path.is_symlink() or path.is_file():
        path.unlink()
        return
    if not path.exists():
        return

    def make_writable_and_retry(func: Callable[[str], object], failed: str, _exc: object) -> None:
        os.chmod(os.path.dirname(failed), stat.S_IRWXU)
        func(failed)

    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=make_writable_and_retry)
    else:
        shutil.rmtree(path, onerror=make_writable_and_retry)


def copy_tree(source: Path, destination: Path) -> int:
    """Replace ``destination`` with a copy of ``source``; symlinks are skipped. Returns files copied.

    Skipping links keeps a snapshot from reaching outside the workspace it was taken from.
    """
    staging = destination.with_name(destination.name + ".partial")
    remove_tree(staging)
    staging.mkdir(parents=True)
    copied = 0
    for current, dirs, files in os.walk(source):
        here = Path(current)
        target = staging / here.relative_to(source)
        for name in list(dirs):
            if (here / name).is_symlink():
                dirs.remove(name)
            else:
                (target / name).mkdir()
        for name in files:
            src = here / name
            if src.is_symlink() or not src.is_file():
                continue
            shutil.copy2(src, target / name, follow_symlinks=False)
            copied += 1
    remove_tree(destination)
    os.replace(staging, destination)
    return copied
