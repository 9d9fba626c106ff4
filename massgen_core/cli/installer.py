"""``massgen install`` / ``massgen uninstall``: packages into the Python environment that runs
``massgen`` (as ``llm install`` does), so a plugin lands where this ``massgen`` finds it, whatever
``pip`` is first on PATH.

The installer is uv (``uv pip install --python <this interpreter>``) when ``uv`` is on PATH, else
this interpreter's pip (``python -m pip``); ``MASSGEN_INSTALLER=uv`` or ``pip`` chooses. Every
argument goes to the installer as given, so its options work (``-U``, ``--pre``, ``-e PATH``,
``--find-links DIR``, ``--index-url URL``, ``--no-deps`` ...).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from typing import Literal

from ..plugin.errors import MassgenError
from .format import argument_parser

__all__ = ["installer_command", "main"]

Action = Literal["install", "uninstall"]
_HELP = ("-h", "--help")
_YES = ("-y", "--yes")


def installer_command(
    action: Action, args: Sequence[str], *, environ: Mapping[str, str] | None = None
) -> list[str]:
    """The command that runs ``action`` with ``args`` on this interpreter's environment.

    :raises MassgenError: no installer is available, or ``MASSGEN_INSTALLER`` names an unknown one.
    """
    env = os.environ if environ is None else environ
    choice = env.get("MASSGEN_INSTALLER", "").strip().lower()
    if choice not in ("", "uv", "pip"):
        raise MassgenError(f"MASSGEN_INSTALLER={choice!r} is not an installer: use uv or pip, or unset it")
    uv = shutil.which("uv", path=env.get("PATH")) if choice in ("", "uv") else None
    if uv is not None:
        rest = [a for a in args if a not in _YES] if action == "uninstall" else list(args)
        return [uv, "pip", action, "--python", sys.executable, *rest]
    if choice == "uv":
        raise MassgenError(
            "MASSGEN_INSTALLER=uv, but uv is not on PATH: install uv, or unset MASSGEN_INSTALLER"
        )
    import importlib.util

    if importlib.util.find_spec("pip") is None:
        raise MassgenError(
            f"this environment ({sys.prefix}) has no pip and uv is not on PATH: install uv "
            f"(https://docs.astral.sh/uv/), or add pip with: {sys.executable} -m ensurepip"
        )
    yes = ["-y"] if action == "uninstall" and not any(a in _YES for a in args) else []
    return [sys.executable, "-m", "pip", action, *yes, *args]


def main(action: Action, argv: Sequence[str]) -> int:
    """``massgen install|uninstall ARGS``: runs the installer; its exit status is the command's."""
    names = "NAME... [INSTALLER OPTIONS]"
    parser = argument_parser(
        prog=f"massgen {action}",
        usage=f"massgen {action} [-h] {names}",
        description=f"{action.capitalize()} plugins (any package) in the Python environment that runs "
        f"massgen ({sys.prefix}). With uv on PATH: uv pip {action} --python {sys.executable} ...; "
        f"else {sys.executable} -m pip {action} .... MASSGEN_INSTALLER=uv or pip chooses. Every "
        "argument goes to the installer as given, options included (-U, --pre, -e PATH, --find-links DIR, "
        "--index-url URL, --no-deps ...).",
        epilog=f"e.g. massgen {action} massgen-claude; `massgen plugins` lists what is installed",
    )
    if not argv or any(a in _HELP for a in argv):
        if not argv:
            parser.error(f"name what to {action}, e.g. massgen {action} massgen-claude")
        parser.print_help()
        return 0
    if action == "uninstall" and any(_is_core(a) for a in argv):
        raise MassgenError(
            "massgen uninstall does not remove massgen itself; pip uninstall massgen-core does "
            f"(in {sys.prefix})"
        )
    command = installer_command(action, argv)
    print(f"massgen {action}: {shlex.join(command)}", file=sys.stderr, flush=True)
    try:
        status = subprocess.run(command, check=False).returncode
    except OSError as exc:
        raise MassgenError(f"could not run {command[0]}: {exc}") from exc
    if status == 0 and action == "install":
        print("`massgen plugins` lists the installed plugins and their status", file=sys.stderr)
    return status


def _is_core(arg: str) -> bool:
    import re

    return re.sub(r"[-_.]+", "-", arg).lower() == "massgen-core"
