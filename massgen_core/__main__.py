"""``python -m massgen_core`` is the ``massgen`` command."""

from __future__ import annotations

import sys

from .cli import main

sys.exit(main())
