"""Package attributes imported on first use (PEP 562), for light public API packages."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["lazy_attributes"]


def lazy_attributes(
    module_name: str, locations: Mapping[str, str], public: Sequence[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for the package ``module_name`` (called from its
    ``__init__``): ``locations`` maps each name to the module that defines it, relative to the
    package; a name is imported when first used, then cached."""
    package = module_name

    def __getattr__(name: str) -> Any:
        where = locations.get(name)
        if where is None:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(where, package), name)
        setattr(sys.modules[module_name], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(public)

    return __getattr__, __dir__
