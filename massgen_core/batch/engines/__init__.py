"""Where a batch's questions run: :mod:`.local` (this process, asyncio, the default) or
:mod:`.ray` (Ray tasks on a cluster). Each engine is imported only when chosen."""

from __future__ import annotations

from typing import Any, Protocol

from ..questions import Question

__all__ = ["ENGINES", "Engine"]

#: engine name -> module defining ``Engine``
ENGINES = {"local": "massgen_core.batch.engines.local", "ray": "massgen_core.batch.engines.ray"}


class Engine(Protocol):
    """Runs questions; :meth:`answer` is called for several questions at once."""

    name: str

    async def start(self) -> None:
        """Get ready (start or join a cluster); raises ``MassgenError`` when it cannot."""

    def default_concurrency(self) -> int:
        """How many questions to run at once when the user does not say (after :meth:`start`)."""

    async def answer(self, question: Question) -> dict[str, Any]:
        """The question's output line (a failed question is a ``failed`` line, not an error)."""

    async def close(self) -> None:
        """Release what :meth:`start` took (also after cancellation)."""
