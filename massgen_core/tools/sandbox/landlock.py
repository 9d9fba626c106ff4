"""Kernel-enforced write confinement with Linux Landlock (stdlib only; also a standalone launcher).

A process confined by :func:`confine` (and everything it starts) can write only beneath the
*writable* paths, and never to a *protected* path inside them. Reads are not restricted.
Landlock is an unprivileged Linux security module; ABI 3 (Linux 6.2) is required here, the first
to restrict ``truncate``. It binds to inodes, so ``..``, symlinks, hard links and renames cannot
escape it. Root is confined too. File metadata (mode, owner, times) is not covered.

Run as a script, it confines itself and then executes a program (this is how MassGen starts
``execute_command`` commands and the MCP filesystem server)::

    python -I -S landlock.py --writable DIR [--writable DIR ...] [--protected PATH ...] [--no-capabilities] -- PROGRAM ARGS...

It exits with status 126 and a message on stderr when Landlock is unavailable. With
``--no-capabilities`` the program also starts without any capability (:func:`drop_capabilities`):
as root, it can then neither read other processes' ``/proc/<pid>/environ`` or memory nor override
file permissions.

Protected paths inside a writable directory: Landlock only grants rights (there are no deny
rules), and a right granted on a directory covers everything beneath it. So a directory that
*contains* a protected path gets no rights of its own: its other entries are granted one by
one (files: write; directories: everything). Inside such a directory, existing unprotected files
can be changed and unprotected subdirectories are fully writable, but new entries cannot be
created directly in it, nor entries deleted from it.
"""

from __future__ import annotations

import ctypes
import os
import platform
import sys
from collections.abc import Iterable, Sequence

__all__ = [
    "LandlockUnavailable",
    "abi_version",
    "confine",
    "drop_capabilities",
    "plan_grants",
]

_SYS_CREATE_RULESET = 444
_SYS_ADD_RULE = 445
_SYS_RESTRICT_SELF = 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38
_PR_CAPBSET_DROP = 24
_PR_CAP_AMBIENT = 47
_PR_CAP_AMBIENT_CLEAR_ALL = 4
_SYS_CAPSET = {"x86_64": 126, "aarch64": 91, "riscv64": 91}
_CAP_VERSION_3 = 0x20080522

WRITE_FILE = 1 << 1
REMOVE_DIR = 1 << 4
REMOVE_FILE = 1 << 5
MAKE_CHAR = 1 << 6
MAKE_DIR = 1 << 7
MAKE_REG = 1 << 8
MAKE_SOCK = 1 << 9
MAKE_FIFO = 1 << 10
MAKE_BLOCK = 1 << 11
MAKE_SYM = 1 << 12
REFER = 1 << 13  # ABI 2
TRUNCATE = 1 << 14  # ABI 3

_WRITE_ABI1 = (
    WRITE_FILE
    | REMOVE_DIR
    | REMOVE_FILE
    | MAKE_CHAR
    | MAKE_DIR
    | MAKE_REG
    | MAKE_SOCK
    | MAKE_FIFO
    | MAKE_BLOCK
    | MAKE_SYM
)
_FILE_RIGHTS = WRITE_FILE | TRUNCATE

#: Device files every program may write to (``> /dev/null`` must keep working).
DEVICE_FILES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/tty")


class LandlockUnavailable(RuntimeError):
    """The kernel cannot confine processes with Landlock (not Linux, too old, or disabled)."""


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def abi_version() -> int:
    """The kernel's Landlock ABI version; 0 when Landlock cannot be used here."""
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "aarch64", "riscv64"):
        return 0
    try:
        version = int(_libc().syscall(_SYS_CREATE_RULESET, None, ctypes.c_size_t(0), _CREATE_RULESET_VERSION))
    except (OSError, AttributeError):
        return 0
    return max(version, 0)


def handled_rights(abi: int) -> int:
    """The write-type rights this ABI can restrict (all of them are restricted)."""
    rights = _WRITE_ABI1
    if abi >= 2:
        rights |= REFER
    if abi >= 3:
        rights |= TRUNCATE
    return rights


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def plan_grants(writable: Iterable[str], protected: Iterable[str]) -> list[tuple[str, bool]]:
    """Which paths get rights: ``(path, is_directory)`` pairs; directories get every write right.

    ``writable`` and ``protected`` must be absolute, symlink-free paths. A writable path that
    contains protected paths is split as the module docstring explains; missing writable paths
    and symlinks are skipped.
    """
    guarded = sorted({os.path.normpath(p) for p in protected})
    grants: list[tuple[str, bool]] = []

    def visit(path: str) -> None:
        inside = [p for p in guarded if _within(p, path)]
        if os.path.islink(path) or not os.path.lexists(path):
            return
        is_dir = os.path.isdir(path)
        if not inside:
            grants.append((path, is_dir))
        elif path in inside or not is_dir:
            return  # protected itself
        else:
            with os.scandir(path) as entries:
                for entry in sorted(entries, key=lambda e: e.name):
                    visit(os.path.join(path, entry.name))

    for root in sorted({os.path.normpath(w) for w in writable}):
        visit(root)
    return grants


def confine(
    writable: Sequence[str], protected: Sequence[str] = (), *, devices: bool = True, min_abi: int = 3
) -> int:
    """Confine this process (and its future children) to writing beneath ``writable``.

    Returns the Landlock ABI used. Raises :class:`LandlockUnavailable` when the kernel's Landlock
    is missing or older than ``min_abi`` (3 is the first to restrict ``truncate``), and
    ``OSError`` when a rule cannot be added.
    """
    abi = abi_version()
    if abi < min_abi:
        raise LandlockUnavailable(
            f"Landlock ABI {min_abi} is needed (Linux >= 6.2 with Landlock enabled); this kernel has {abi or 'none'}"
        )
    libc = _libc()
    handled = handled_rights(abi)
    attr = _RulesetAttr(handled_access_fs=handled)
    ruleset = int(
        libc.syscall(_SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)), 0)
    )
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), f"landlock_create_ruleset: {os.strerror(ctypes.get_errno())}")
    try:
        grants = plan_grants(writable, protected)
        if devices:
            grants += [(d, False) for d in DEVICE_FILES if os.path.exists(d)]
        for path, is_dir in grants:
            _add_rule(libc, ruleset, path, (handled if is_dir else _FILE_RIGHTS) & handled)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
        if libc.syscall(_SYS_RESTRICT_SELF, ruleset, 0) != 0:
            raise OSError(ctypes.get_errno(), f"landlock_restrict_self: {os.strerror(ctypes.get_errno())}")
    finally:
        os.close(ruleset)
    return abi


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def drop_capabilities() -> None:
    """Give up every capability, for good: this process and what it executes keep their uid but
    none of root's powers.

    A command started by MassGen as root could otherwise read any process's memory and
    environment (``/proc/<pid>/environ``, MassGen's API keys included): without
    ``CAP_SYS_PTRACE`` (and with fewer capabilities than the target) the kernel refuses it. The
    bounding set is emptied first (a later ``exec`` of a root program gains nothing back), then
    the ambient, permitted, effective and inheritable sets. Raises ``OSError`` if the process
    keeps a capability.
    """
    libc = _libc()
    try:
        with open("/proc/sys/kernel/cap_last_cap", encoding="ascii") as handle:
            last = int(handle.read())
    except (OSError, ValueError):
        last = 63
    for cap in range(last + 1):
        libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0)  # EPERM without CAP_SETPCAP: nothing to drop then
    libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = _CapHeader(version=_CAP_VERSION_3, pid=0)
    data = (_CapData * 2)()
    if libc.syscall(_SYS_CAPSET[platform.machine()], ctypes.byref(header), data) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"capset: {os.strerror(err)}")
    with open("/proc/self/status", encoding="ascii") as handle:
        held = [ln.split()[1] for ln in handle if ln.startswith(("CapPrm:", "CapEff:", "CapBnd:"))]
    if any(int(mask, 16) for mask in held):
        raise OSError(f"capabilities are still held after dropping them ({', '.join(held)})")


def _add_rule(libc: ctypes.CDLL, ruleset: int, path: str, rights: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # vanished (or unreadable) since it was planned: nothing to grant
    try:
        beneath = _PathBeneathAttr(allowed_access=rights, parent_fd=fd)
        if libc.syscall(_SYS_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(beneath), 0) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"landlock_add_rule({path}): {os.strerror(err)}")
    finally:
        os.close(fd)


def _parse(argv: Sequence[str]) -> tuple[list[str], list[str], bool, list[str]]:
    writable: list[str] = []
    protected: list[str] = []
    no_capabilities = False
    args = list(argv)
    while args and args[0] != "--":
        flag = args.pop(0)
        if flag == "--no-capabilities":
            no_capabilities = True
            continue
        if flag not in ("--writable", "--protected") or not args:
            raise SystemExit(
                "usage: landlock.py [--writable DIR] [--protected PATH] [--no-capabilities] -- PROGRAM ARGS "
                f"(bad: {flag})"
            )
        (writable if flag == "--writable" else protected).append(args.pop(0))
    if not args[1:]:
        raise SystemExit("landlock.py: no program given after --")
    return writable, protected, no_capabilities, args[1:]


def main(argv: Sequence[str] | None = None) -> None:
    """Confine, then ``exec`` the program (never returns)."""
    writable, protected, no_capabilities, program = _parse(sys.argv[1:] if argv is None else argv)
    try:
        confine(writable, protected)
        if no_capabilities:
            drop_capabilities()
    except (LandlockUnavailable, OSError) as exc:
        sys.stderr.write(f"massgen sandbox: {exc}\n")
        sys.stderr.flush()
        os._exit(126)
    try:
        os.execvp(program[0], program)
    except OSError as exc:
        sys.stderr.write(f"massgen sandbox: cannot run {program[0]!r}: {exc.strerror}\n")
        sys.stderr.flush()
        os._exit(127)


if __name__ == "__main__":
    main()
