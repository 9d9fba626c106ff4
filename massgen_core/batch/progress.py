"""What ``massgen batch`` shows on stderr: a rich progress bar on a terminal (done, failed, rate,
cost so far, ETA), one line per finished question otherwise, and the summary at the end."""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from typing import IO, Any

__all__ = ["BatchProgress", "Tally"]


class Tally:
    """Counts of a batch so far."""

    def __init__(self, total: int, skipped: int) -> None:
        self.total = total
        self.skipped = skipped
        self.completed = 0
        self.failed = 0
        self.cost = 0.0
        self.cost_unknown = 0
        self.started = time.monotonic()

    @property
    def done(self) -> int:
        return self.completed + self.failed

    def add(self, line: Mapping[str, Any]) -> None:
        if line.get("status") == "completed":
            self.completed += 1
            cost = line.get("cost")
            if isinstance(cost, int | float):
                self.cost += cost
            else:
                self.cost_unknown += 1
        else:
            self.failed += 1

    def cost_text(self) -> str:
        if self.cost_unknown and self.cost_unknown == self.completed:
            return "unknown"
        text = f"${self.cost:.4f}"
        return f"{text} (+{self.cost_unknown} unpriced)" if self.cost_unknown else text

    def rate(self) -> float:
        """Questions per minute."""
        elapsed = time.monotonic() - self.started
        return 60.0 * self.done / elapsed if elapsed > 0 else 0.0


class BatchProgress:
    """The progress view for ``tally`` on ``stream`` (stderr); a live bar when it is a terminal."""

    def __init__(
        self,
        tally: Tally,
        stream: IO[str] | None = None,
        *,
        live: bool | None = None,
        label: str = "batch",
        unit: str = "questions",
    ) -> None:
        self.tally = tally
        self.label = label
        self.unit = unit
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> BatchProgress:
        if self.live:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(
                TextColumn(self.label),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("[red]{task.fields[failed]} failed"),
                TextColumn("{task.fields[rate]}/min"),
                TextColumn("cost {task.fields[cost]}"),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=Console(file=self.stream),
            )
            self._bar.start()
            self._task = self._bar.add_task(
                self.label, total=self.tally.total - self.tally.skipped, **self._fields()
            )
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def _fields(self) -> dict[str, Any]:
        t = self.tally
        return {"failed": t.failed, "rate": f"{t.rate():.1f}", "cost": t.cost_text()}

    def note(self, text: str) -> None:
        if self._bar is not None:
            self._bar.console.print(text, markup=False, highlight=False)
        else:
            print(text, file=self.stream, flush=True)

    def finished(self, line: Mapping[str, Any]) -> None:
        """One question ended (its line is already written)."""
        t = self.tally
        t.add(line)
        if self._bar is not None:
            self._bar.update(self._task, completed=t.done, **self._fields())
            if line.get("status") != "completed":
                self.note(f"{line.get('id')}: failed: {_first_line(line.get('error'))}")
            return
        todo = t.total - t.skipped
        if line.get("status") == "completed":
            what = f"completed in {line.get('duration')}s (winner {line.get('winner')})"
        else:
            what = f"failed: {_first_line(line.get('error'))}"
        self.note(f"[{t.done}/{todo}] {line.get('id')}: {what}")

    def summary(self, output: str, *, stopped: str | None = None) -> str:
        t = self.tally
        elapsed = time.monotonic() - t.started
        parts = [f"{t.completed} completed", f"{t.failed} failed"]
        if t.skipped:
            parts.append(f"{t.skipped} skipped (already in the output)")
        left = t.total - t.skipped - t.done
        if left:
            parts.append(f"{left} not run")
        text = (
            f"{self.label}: {t.total} {self.unit}: {', '.join(parts)}; cost {t.cost_text()}; {elapsed:.1f}s; "
            f"results in {output}"
        )
        if stopped:
            text += (
                f"\n{stopped}: every finished question is in {output}; run again with --resume to do the rest"
            )
        return text


def _first_line(text: object) -> str:
    lines = str(text or "").strip().splitlines()
    return lines[0] if lines else "unknown error"
