"""``python -m massgen_core`` is the ``massgen`` command."""

from __future__ import annotations

from .cli import console_main

console_main()
