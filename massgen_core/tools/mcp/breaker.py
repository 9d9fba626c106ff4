"""A circuit breaker per MCP server: stop calling a server that keeps failing, try again later.

After ``max_failures`` failures in a row (a crash, a hang past the timeout, a failed connect) the
circuit *opens*: calls fail at once, without touching the server, for ``reset_seconds``. Then one
call is let through (*half-open*): success closes the circuit, failure opens it again for twice
as long (up to ``reset_seconds * max_backoff``). A tool that returns an error result is not a
server failure and does not count.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

import attrs

__all__ = ["BreakerSettings", "CircuitBreaker", "CircuitState"]

CircuitState = Literal["closed", "open", "half_open"]


@attrs.frozen(kw_only=True)
class BreakerSettings:
    max_failures: int = 3
    reset_seconds: float = 30.0
    max_backoff: int = 8


class CircuitBreaker:
    """Failure bookkeeping for one server (``clock`` returns seconds; injectable for tests)."""

    def __init__(
        self, settings: BreakerSettings | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.settings = settings or BreakerSettings()
        self.clock = clock
        self.failures = 0
        self.trips = 0
        self.opened_at: float | None = None
        self._trial_running = False

    @property
    def cooldown(self) -> float:
        """How long the circuit stays open after the current trip."""
        factor: int = min(2 ** max(self.trips - 1, 0), self.settings.max_backoff)
        return self.settings.reset_seconds * factor

    @property
    def state(self) -> CircuitState:
        if self.opened_at is None:
            return "closed"
        if self.clock() - self.opened_at >= self.cooldown:
            return "half_open"
        return "open"

    def retry_in(self) -> float:
        """Seconds until a call is let through again (0 when it would be now)."""
        if self.opened_at is None:
            return 0.0
        return max(0.0, self.opened_at + self.cooldown - self.clock())

    def allow(self) -> bool:
        """Whether a call may go to the server now (in half-open state, only one at a time)."""
        state = self.state
        if state == "closed":
            return True
        if state == "half_open" and not self._trial_running:
            self._trial_running = True
            return True
        return False

    def record_success(self) -> bool:
        """Returns ``True`` when this success closed an open circuit."""
        was_open = self.opened_at is not None
        self.failures = 0
        self.trips = 0
        self.opened_at = None
        self._trial_running = False
        return was_open

    def record_failure(self) -> bool:
        """Returns ``True`` when this failure opened (or re-opened) the circuit."""
        self.failures += 1
        trial = self._trial_running
        self._trial_running = False
        if trial or (self.opened_at is None and self.failures >= self.settings.max_failures):
            self.trips += 1
            self.opened_at = self.clock()
            return True
        return False
