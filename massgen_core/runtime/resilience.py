"""The one retry and timeout loop, shared by every backend.

:func:`resilient_stream` wraps a backend's ``stream()``:

* a retryable :class:`~massgen_core.plugin.errors.BackendError` (429, 5xx, connection failure, a
  reply that broke off or stalled) is retried with exponential backoff and jitter, honouring
  the server's ``Retry-After`` up to :attr:`RetryPolicy.max_retry_after`, as long as nothing of
  the reply was *used*: no :class:`~massgen_core.plugin.stream.Done` and no
  :class:`~massgen_core.plugin.stream.ToolResult` (a tool the backend ran through the agent's runner)
  went out. Deltas streamed before the break were only shown; the retried reply is the one the
  agent keeps. The same policy holds for every backend, whatever its API;
* the first-event, idle-between-events and total timeouts are enforced here (the connect
  timeout is the backend's HTTP client's); a first-event or idle timeout is retried like any
  other break, the total timeout (which covers the retries) is not;
* the final failure ends the stream with a :class:`~massgen_core.plugin.stream.StreamError` event,
  never an exception; when it was retried, its message says how often and for how long;
* a reply that cannot be decoded (not JSON, not UTF-8) means the server does not speak the
  API the backend expects: that is said in so many words, and not retried.

Backends turn their SDK's own retries off so that this is the only retry loop.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing

import attrs

from ..plugin.backend import Backend, ChatRequest
from ..plugin.errors import BackendError, BackendTimeoutError
from ..plugin.specs import Timeouts
from ..plugin.stream import Done, Restart, StreamError, StreamEvent, ToolResult
from ..records.redaction import redact
from .stream_deadline import StreamDeadline

__all__ = ["RetryPolicy", "resilient_stream"]


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How failures before the first event are retried.

    :param max_attempts: attempts in all (1 = no retry).
    :param initial_delay: seconds before the first retry; doubles each time.
    :param max_delay: cap of the backoff delay.
    :param max_retry_after: cap on a server's ``Retry-After``; a longer request is not retried.
    :param jitter: fraction of the delay randomly removed (0 – 1).
    """

    max_attempts: int = 3
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    jitter: float = 0.25

    def delay(
        self, attempt: int, error: BackendError, rng: Callable[[], float] = random.random
    ) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``, or ``None`` to give up."""
        if not error.retryable or attempt >= self.max_attempts:
            return None
        if error.retry_after is not None:
            return error.retry_after if error.retry_after <= self.max_retry_after else None
        base = min(self.max_delay, self.initial_delay * 2.0 ** (attempt - 1))
        return base * (1 - self.jitter * rng())


def _as_backend_error(exc: Exception, backend: str | None) -> BackendError:
    if isinstance(exc, BackendError):
        return exc
    name = backend or "backend"
    if isinstance(exc, ValueError | UnicodeError) and _is_decoding_error(exc):
        return BackendError(
            f"{name}: the server's reply could not be decoded ({type(exc).__name__}): it does not "
            f"speak the API the {name} backend expects. Check that base_url points at such a "
            "server (not a web page, proxy or other API) and that the backend type matches it",
            backend=backend,
            retryable=False,
        )
    return BackendError(f"{name} failed: {type(exc).__name__}: {exc}", backend=backend)


def _is_decoding_error(exc: Exception) -> bool:
    import json

    return isinstance(exc, json.JSONDecodeError | UnicodeDecodeError)


def _after_attempts(error: BackendError, attempts: int, elapsed: float) -> BackendError:
    """``error``, its message saying it is the last of ``attempts`` tries over ``elapsed`` seconds."""
    if attempts > 1:
        error.args = (f"{error} (gave up after {attempts} attempts over {elapsed:.1f}s)", *error.args[1:])
    return error


async def resilient_stream(
    backend: Backend,
    request: ChatRequest,
    *,
    timeouts: Timeouts | None = None,
    policy: RetryPolicy | None = None,
    name: str | None = None,
    sleep: Callable[[float], object] = asyncio.sleep,
) -> AsyncIterator[StreamEvent]:
    """Stream ``request`` from ``backend`` with retries and timeouts; never raises BackendError."""
    timeouts = timeouts or Timeouts()
    policy = policy or RetryPolicy()
    loop = asyncio.get_running_loop()
    first_try = loop.time()
    total_deadline = None if timeouts.total is None else first_try + timeouts.total
    attempt = 0
    while True:
        attempt += 1
        started = False  # an event came: the idle timeout applies from now on
        used = False  # a Done or a ToolResult went out: the reply can no longer be retried
        watch = StreamDeadline()
        try:
            async with aclosing(backend.stream(request)) as events:  # type: ignore[type-var]
                iterator = aiter(events)
                while True:
                    limit = timeouts.idle if started else timeouts.first_event
                    phase = "idle" if started else "first_event"
                    deadline = None if limit is None else loop.time() + limit
                    if total_deadline is not None and (deadline is None or total_deadline < deadline):
                        deadline, phase, limit = total_deadline, "total", timeouts.total
                    watch.start(deadline)
                    try:
                        event = await anext(iterator)
                    except StopAsyncIteration:
                        return
                    except (asyncio.CancelledError, TimeoutError) as exc:
                        if watch.stop() or isinstance(exc, TimeoutError):
                            raise BackendTimeoutError(
                                _timeout_message(name, phase, limit),
                                backend=name,
                                retryable=phase != "total",
                            ) from None
                        raise
                    watch.stop()
                    started = True
                    used = used or isinstance(event, Done | ToolResult)
                    yield event
        except Exception as exc:
            error = _as_backend_error(exc, name)
            wait = None if used else policy.delay(attempt, error)
            if wait is not None and total_deadline is not None and loop.time() + wait >= total_deadline:
                wait = None
            if wait is None:
                yield StreamError(_scrubbed(_after_attempts(error, attempt, loop.time() - first_try)))
                return
            if started:  # consumers drop what the broken reply streamed
                yield Restart(attempt=attempt, reason=str(error))
            await sleep(wait)  # type: ignore[misc]
        finally:
            watch.close()


def _scrubbed(error: BackendError) -> BackendError:
    """``error`` without any secret the core knows (a provider may echo the key it was sent):
    every backend's failure reaches callers, logs and displays through here."""
    if error.args and isinstance(error.args[0], str):
        error.args = (redact(error.args[0]), *error.args[1:])
    if error.provider_message:
        error.provider_message = redact(error.provider_message)
    return error


def _timeout_message(name: str | None, phase: str, limit: float | None) -> str:
    what = {
        "first_event": "no response started within",
        "idle": "the response stalled: no data for",
        "total": "the response took longer than",
    }[phase]
    setting = {"first_event": "first_event_timeout", "idle": "idle_timeout", "total": "request_timeout"}[
        phase
    ]
    return f"{name or 'backend'}: {what} {limit:g}s (raise timeout_settings.{setting} to wait longer)"
