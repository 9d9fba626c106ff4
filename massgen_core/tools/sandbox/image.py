"""``massgen sandbox build``: the image docker mode runs commands in, made here without a registry.

A Debian root file system made with ``debootstrap --variant=minbase`` (sh, bash, coreutils,
grep, sed, find, tar, ... plus ``python3`` and any extra packages asked for), trimmed of
documentation and package caches, and loaded with ``docker import``. Needs root (debootstrap),
``debootstrap`` itself (``apt-get install debootstrap``) and a Debian mirror.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import attrs

from .docker import IMAGE_LABEL, connect

__all__ = ["BASE_PACKAGES", "DEFAULT_MIRROR", "DEFAULT_SUITE", "BuildFailed", "BuiltImage", "build_image"]

DEFAULT_SUITE = "bookworm"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
BASE_PACKAGES = ("python3",)
#: Removed from the root file system: documentation, translations, package caches and lists
#: (``apt-get update`` fetches the lists again when a container has a network).
TRIM = (
    "usr/share/doc",
    "usr/share/man",
    "usr/share/info",
    "usr/share/locale",
    "var/cache/apt",
    "var/lib/apt/lists",
    "var/cache/debconf/templates.dat-old",
)
CHANGES = (
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "ENV LANG=C.UTF-8",
    'CMD ["/bin/bash"]',
    f"LABEL {IMAGE_LABEL}=1",
)


class BuildFailed(Exception):
    """The image could not be built; the message says why and what to do."""


@attrs.frozen
class BuiltImage:
    tag: str
    seconds: float
    size: int  # bytes, as the daemon reports it


def _unmount_below(root: Path) -> None:
    """Unmount whatever a failed debootstrap left mounted inside ``root`` (before deleting it)."""
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return
    points = [line.split()[1] for line in mounts if len(line.split()) > 1]
    for point in sorted((p for p in points if p.startswith(f"{root}/")), key=len, reverse=True):
        subprocess.run(["umount", "-l", point], check=False, capture_output=True)


def _run(argv: Sequence[str], *, what: str, log: Path) -> None:
    with log.open("ab") as out:
        done = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        raise BuildFailed(f"{what} failed (exit {done.returncode}); the end of its log ({log}):\n{tail}")


def build_image(
    tag: str,
    *,
    suite: str = DEFAULT_SUITE,
    mirror: str = DEFAULT_MIRROR,
    packages: Sequence[str] = (),
    progress: Callable[[str], None] = lambda _line: None,
) -> BuiltImage:
    """Build the image ``tag`` and load it into the daemon; returns its build time and size."""
    started = time.monotonic()
    client = connect(timeout=600)  # a clear error before minutes of debootstrap
    if os.geteuid() != 0:
        raise BuildFailed(
            "building the image needs root (debootstrap makes a root file system): run it as root"
        )
    debootstrap = shutil.which("debootstrap") or (
        "/usr/sbin/debootstrap" if Path("/usr/sbin/debootstrap").exists() else None
    )
    if debootstrap is None:
        raise BuildFailed("debootstrap is not installed: apt-get install debootstrap (Debian, Ubuntu)")
    repository, _, version = tag.rpartition(":") if ":" in tag.rsplit("/", 1)[-1] else (tag, "", "latest")
    work = Path(tempfile.mkdtemp(prefix="massgen-sandbox-", dir="/var/tmp"))
    log = work / "build.log"
    rootfs = work / "rootfs"
    try:
        include = ",".join(dict.fromkeys([*BASE_PACKAGES, *packages]))
        progress(f"debootstrap {suite} (minbase, with {include}) from {mirror} ...")
        _run(
            [debootstrap, "--variant=minbase", f"--include={include}", suite, str(rootfs), mirror],
            what="debootstrap",
            log=log,
        )
        for relative in TRIM:
            target = rootfs / relative
            if target.is_dir():
                shutil.rmtree(target)
                target.mkdir()
            elif target.exists():
                target.unlink()
        (rootfs / "var/lib/apt/lists/partial").mkdir(parents=True, exist_ok=True)
        (rootfs / "var/cache/apt/archives/partial").mkdir(parents=True, exist_ok=True)
        progress(f"packing the root file system ({time.monotonic() - started:.0f} s) ...")
        tarball = work / "rootfs.tar"
        _run(["tar", "-C", str(rootfs), "--numeric-owner", "-cf", str(tarball), "."], what="tar", log=log)
        progress(f"docker import as {tag} ({time.monotonic() - started:.0f} s) ...")
        previous = [image.id for image in client.images.list(name=tag)]
        client.api.import_image_from_file(
            str(tarball), repository=repository, tag=version, changes=list(CHANGES)
        )
        image = client.images.get(tag)
        size = int(image.attrs.get("Size", 0))
        for old in previous:  # a rebuild: the image it replaced, unless a container still uses it
            if old != image.id:
                with contextlib.suppress(Exception):
                    client.images.remove(old)
    finally:
        _unmount_below(work)
        shutil.rmtree(work, ignore_errors=True)
        client.close()
    return BuiltImage(tag=tag, seconds=time.monotonic() - started, size=size)
