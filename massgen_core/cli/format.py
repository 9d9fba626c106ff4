"""The CLI's argument parsers, plain-text tables and JSON output (no heavy imports)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any


def terminal_width() -> int:
    """Columns of the terminal: ``COLUMNS``, else the terminal's, else 80 (as ``shutil`` says,
    without importing it and the compression modules it brings: 2-3 ms of every start)."""
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


class _HelpFormatter(argparse.HelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=terminal_width() - 2)


class _RawDescriptionFormatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=terminal_width() - 2)


def argument_parser(*, raw_description: bool = False, **kwargs: Any) -> argparse.ArgumentParser:
    """An ``argparse.ArgumentParser`` for a massgen command (``raw_description``: keep the
    description's and epilog's line breaks)."""
    formatter = _RawDescriptionFormatter if raw_description else _HelpFormatter
    return argparse.ArgumentParser(formatter_class=formatter, **kwargs)


def print_json(data: Any) -> None:
    """``data`` as indented JSON, in one write (``json.dump`` to a stream writes every token)."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A fixed-width text table: columns padded to their widest cell, lines right-stripped."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in [headers, *rows]
    )


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    print(format_table(headers, rows))
