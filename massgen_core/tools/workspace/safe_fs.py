"""File operations on checked paths that cannot be redirected by a symlink swapped in afterwards.

A path is checked after :func:`~.access.real_path` resolved it, so it contains no symlinks. These
helpers then walk it one component at a time from ``/`` with ``O_NOFOLLOW``: if any component
became a symlink since the check (a command racing the tool), the operation fails instead of
following it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["make_dirs", "open_parent", "read_bytes", "remove", "rename", "write_bytes"]

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


@contextmanager
def _directory(path: Path, *, create: bool = False) -> Iterator[int]:
    """An fd for the directory ``path`` (absolute, symlink-free), walked without following links."""
    fd = os.open("/", _DIR_FLAGS)
    try:
        for part in path.parts[1:]:
            try:
                nxt = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    raise
                os.mkdir(part, 0o777, dir_fd=fd)
                nxt = os.open(part, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = nxt
        yield fd
    finally:
        os.close(fd)


@contextmanager
def open_parent(path: Path, *, create: bool = False) -> Iterator[tuple[int, str]]:
    """``(fd of the parent directory, last component)`` of ``path``."""
    with _directory(path.parent, create=create) as fd:
        yield fd, path.name


def make_dirs(path: Path) -> None:
    with _directory(path, create=True):
        pass


def write_bytes(path: Path, data: bytes, *, append: bool = False) -> None:
    """Write (or append to) a regular file; refuses a file with other hard links.

    A hard link is another name for the same file, possibly outside the allowed paths.
    """
    flags = (
        os.O_WRONLY
        | os.O_CREAT
        | os.O_NOFOLLOW
        | os.O_NONBLOCK
        | os.O_CLOEXEC
        | (os.O_APPEND if append else 0)
    )
    with open_parent(path, create=True) as (parent, name):
        fd = os.open(name, flags, 0o666, dir_fd=parent)
        with os.fdopen(fd, "wb") as handle:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise IsADirectoryError(f"{path} is not a regular file")
            if info.st_nlink > 1:
                raise PermissionError(f"{path} has other hard links; it is not written through them")
            if not append:
                handle.truncate(0)
            handle.write(data)


def read_bytes(path: Path, limit: int) -> tuple[bytes, int]:
    """Up to ``limit`` bytes of the file, and its size."""
    with open_parent(path) as (parent, name):
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=parent)
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(fd)
            if stat.S_ISDIR(info.st_mode):
                raise IsADirectoryError(f"{path} is a directory")
            if not stat.S_ISREG(info.st_mode):
                raise OSError(f"{path} is not a regular file")
            return handle.read(limit), info.st_size


def _remove_in(parent: int, name: str) -> None:
    info = os.stat(name, dir_fd=parent, follow_symlinks=False)
    if not stat.S_ISDIR(info.st_mode):
        os.unlink(name, dir_fd=parent)
        return
    fd = os.open(name, _DIR_FLAGS, dir_fd=parent)
    try:
        for child in os.listdir(fd):
            _remove_in(fd, child)
    finally:
        os.close(fd)
    os.rmdir(name, dir_fd=parent)


def remove(path: Path) -> None:
    """Delete a file, a link (not its target) or a directory tree, never following links."""
    with open_parent(path) as (parent, name):
        _remove_in(parent, name)


def rename(source: Path, destination: Path) -> None:
    with (
        open_parent(source) as (src_dir, src_name),
        open_parent(destination, create=True) as (dst_dir, dst_name),
    ):
        os.rename(src_name, dst_name, src_dir_fd=src_dir, dst_dir_fd=dst_dir)
