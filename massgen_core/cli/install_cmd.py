"""``massgen install NAME...``: plugins into the environment that runs massgen (see :mod:`.installer`)."""

from __future__ import annotations

from collections.abc import Sequence

from .installer import main as run_installer


def main(argv: Sequence[str]) -> int:
    return run_installer("install", argv)
