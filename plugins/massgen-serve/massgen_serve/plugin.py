"""The entry point: ``massgen serve`` and ``massgen view``. Declared here; Starlette and uvicorn are imported only
when the command runs."""

from __future__ import annotations

from collections.abc import Sequence

from massgen_core.plugin import CommandSpec, hookimpl


@hookimpl
def massgen_commands() -> Sequence[CommandSpec]:
    return [
        CommandSpec(
            name="serve",
            help="serve teams as OpenAI-compatible models (chat completions, responses)",
            main="massgen_serve.cli:main",
        ),
        CommandSpec(
            name="view",
            help="browse runs (past and live) in a browser, from a log folder",
            main="massgen_serve.view_cli:main",
        ),
    ]
