"""The core's conformance suite for ``claude_code``: the real bundled Claude Code CLI against the
fake Messages API. Claude Code names MassGen's tools ``mcp__massgen__<name>`` on the wire and runs
its own agent loop, so the tool-call tests, which script bare tool names for one request, do not
apply; tools and coordination are covered in test_claude_code_cli.py.

What differs from the kit, and why:

* Retry-After: the backend turns Claude Code's own retries off (``CLAUDE_CODE_MAX_RETRIES=0``: the
  core is the only retry loop). Claude Code then reports a 429 as a synthetic message and a status
  (``error='rate_limit'``, ``api_error_status=429``) and nothing of the response's headers: the
  delay reaches the SDK only in its ``api_retry`` message, which it sends only when it retries
  itself. The error is still a retryable :class:`RateLimitError` (checked before the skip), and the
  core's backoff applies.
* Two failures make Claude Code send the refused call again, changed, and there is no switch for
  either that keeps Claude Code whole: a 404 from the streaming endpoint is sent once more without
  streaming (hard-coded in the CLI, for gateways that do not stream), and a 400 is sent once more
  without one of its newer beta headers, then without another (only
  ``CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS`` stops that, and
  it also drops context management and the other betas real users need). A real provider answers
  the re-sent call as it answered the first: an unknown model is just as unknown, a request that
  names a bad key is just as bad. So the two tests of those failures here answer *every* call with
  the failure (the kit scripts one answer, for backends that make one call), and check that the
  only extra calls are those re-sends. Its other re-send, of a stream that failed midway, is
  turned off (``CLAUDE_CODE_DISABLE_NONSTREAMING_FALLBACK=1``): the kit's error-event and
  malformed-stream tests run unchanged.
"""

from __future__ import annotations

import itertools

import pytest
from massgen_core.plugin import ModelNotFoundError
from massgen_core.testing.conformance import BackendConformance
from massgen_core.testing.fake_provider import FakeProviderServer, HttpError, RecordedRequest

pytest.importorskip("claude_agent_sdk")


def _answer_every_call(server: FakeProviderServer, error: HttpError) -> None:
    server.clear()
    server.responder = lambda _request: error


class TestClaudeCode(BackendConformance):
    backend_type = "claude_code"
    model = "claude-sonnet-4-5"
    wire = "anthropic"
    skip_tool_calls = "Claude Code calls MassGen's tools as mcp__massgen__<name> inside its own loop"
    skip_coordination = "covered with the real CLI in test_claude_code_cli.py"
    skip_retry_after = (
        "Claude Code, its retries off, reports a 429 without the provider's headers (see the module "
        "docstring): the delay cannot be known, the core's backoff applies"
    )

    @pytest.mark.anyio
    async def test_an_unknown_model_says_so(self, server: FakeProviderServer) -> None:
        """The provider answers 404 (model not found) to the streaming call and to Claude Code's
        one non-streaming re-send of it, as the real API does."""
        _answer_every_call(server, HttpError(404))
        error = self._error(await self.events(self.build(server, model="no-such-model-x9"), "Hi"))
        assert isinstance(error, ModelNotFoundError), repr(error)
        assert "no-such-model-x9" in str(error)
        calls = server.model_calls()
        assert calls[0].stream and [c.stream for c in calls[1:]] in ([], [False]), [c.stream for c in calls]

    @pytest.mark.anyio
    async def test_no_secret_in_any_error(self, server: FakeProviderServer) -> None:
        """The kit's test, with each failure answering Claude Code's re-sends too (a 400 is sent
        again with fewer beta headers, once per beta it suspects)."""
        echo = f"Incorrect API key provided: {self.api_key}. You can find your key in your account."
        failures = (HttpError(401, message=echo), HttpError(400, message=f"bad request for {self.api_key}"))
        for failure in failures:
            _answer_every_call(server, failure)
            error = self._error(await self.events(self.build(server), "Hi", max_attempts=1))
            assert self.api_key not in str(error) and self.api_key not in repr(error.args)
            assert self.api_key not in (error.provider_message or "")
            betas = [_betas(call) for call in server.model_calls()]
            assert all(later < earlier for earlier, later in itertools.pairwise(betas)), (
                f"a call sent again must be a beta-less re-send, not a retry: {betas}"
            )
        assert len(betas) > 1, "the 400 was re-sent without a beta (if not, the kit's own test applies)"


def _betas(call: RecordedRequest) -> frozenset[str]:
    return frozenset(b for b in call.headers.get("anthropic-beta", "").split(",") if b)
