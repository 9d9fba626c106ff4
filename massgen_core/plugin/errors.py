"""The exception hierarchy: every error a user can see is one of these.

Each error renders as a message that says what is wrong and how to fix it (the env var to
set, the server to check, the valid choices), so the CLI can print ``str(error)`` and never
a traceback.

    MassgenError
    ├── ConfigError              a config file or option is wrong (file:line:column)
    ├── PluginError              a plugin failed to load or broke its contract
    │   └── BackendConflictError two plugins declare the same backend type
    ├── BackendUnavailableError  a backend's plugin is installed but cannot be built
    ├── BackendError             raised by a backend at run time
    │   ├── AuthenticationError  missing or rejected API key (names the env var)
    │   ├── ModelNotFoundError   the model is unknown (lists known models)
    │   ├── ConnectionFailedError  the server cannot be reached (local-server hints)
    │   │   └── EndpointNotFoundError  the server answers 404 for the API's path: base_url is wrong
    │   ├── RateLimitError       429 (carries retry_after)
    │   ├── ContextTooLongError  the prompt does not fit the model's context
    │   ├── InvalidRequestError  the provider rejected the request
    │   ├── ProviderServerError  5xx / overloaded
    │   └── BackendTimeoutError  connect, first-event, idle or total timeout
    └── ToolError                a tool failed
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "AuthenticationError",
    "BackendConflictError",
    "BackendError",
    "BackendTimeoutError",
    "BackendUnavailableError",
    "ConfigError",
    "ConfigIssue",
    "ConnectionFailedError",
    "ContextTooLongError",
    "EndpointNotFoundError",
    "InvalidRequestError",
    "MassgenError",
    "ModelNotFoundError",
    "PluginError",
    "ProviderServerError",
    "RateLimitError",
    "ToolError",
    "error_class_for",
]


class MassgenError(Exception):
    """Root of every error MassGen raises on purpose."""


class ConfigIssue:
    """One problem found in a config: where it is and what is wrong."""

    __slots__ = ("column", "file", "line", "message", "path")

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        path: str = "",
    ) -> None:
        self.message = message
        self.file = file
        self.line = line  # 1-based
        self.column = column  # 1-based
        self.path = path  # e.g. "agents[0].backend.enable_web_search"

    @property
    def location(self) -> str:
        """``file:line:column`` (or as much of it as is known)."""
        parts = [self.file or "<config>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        where = self.location
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"

    def __repr__(self) -> str:
        return f"ConfigIssue({str(self)!r})"


class ConfigError(MassgenError):
    """The configuration is invalid. ``issues`` lists every problem with its position."""

    def __init__(self, issues: Sequence[ConfigIssue] | str) -> None:
        if isinstance(issues, str):
            issues = [ConfigIssue(issues)]
        self.issues: tuple[ConfigIssue, ...] = tuple(issues)
        #: what this machine lacks besides (when loaded with ``machine="warning"``: they are
        #: not among ``issues``)
        self.machine: tuple[ConfigIssue, ...] = ()
        super().__init__("\n".join(str(i) for i in self.issues))

    @property
    def first(self) -> ConfigIssue:
        return self.issues[0]


class PluginError(MassgenError):
    """A plugin failed to load or returned something the core cannot use."""

    def __init__(self, message: str, *, plugin: str | None = None, distribution: str | None = None) -> None:
        self.plugin = plugin
        self.distribution = distribution
        super().__init__(message)


class BackendConflictError(PluginError):
    """Two plugins declare the same backend type; neither silently wins."""

    def __init__(self, backend_type: str, claimants: Sequence[str]) -> None:
        self.backend_type = backend_type
        self.claimants = tuple(claimants)
        who = ", ".join(self.claimants)
        super().__init__(
            f"backend type {backend_type!r} is declared by more than one plugin ({who}); "
            f"disable one with MASSGEN_DISABLE_PLUGINS=<plugin name>"
        )


class BackendUnavailableError(MassgenError):
    """The backend's plugin is installed but the backend cannot be built (e.g. SDK import failed)."""


class BackendError(MassgenError):
    """An error from a backend at run time, normalised across providers.

    ``retryable`` tells the core's retry policy whether trying again may help;
    ``retry_after`` is the server's requested wait in seconds, when it gave one.
    """

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        backend: str | None = None,
        model: str | None = None,
        status_code: int | None = None,
        retry_after: float | None = None,
        provider_message: str | None = None,
        retryable: bool | None = None,
    ) -> None:
        self.backend = backend
        self.model = model
        self.status_code = status_code
        self.retry_after = retry_after
        self.provider_message = provider_message
        if retryable is not None:
            self.retryable = retryable
        super().__init__(message)

    @property
    def kind(self) -> str:
        """A short stable name for logs and events, e.g. ``"rate_limit"``."""
        return _KINDS.get(type(self), "backend_error")


class AuthenticationError(BackendError):
    """The API key is missing or was rejected."""


class ModelNotFoundError(BackendError):
    """The provider does not know the model (or the deployment / loaded model)."""


class ConnectionFailedError(BackendError):
    """The server could not be reached."""

    retryable = True


class EndpointNotFoundError(ConnectionFailedError):
    """The server answered 404 for the API's path (not for the model): the base URL is wrong
    (a missing ``/v1``, another server on that port). Trying again will not help."""

    retryable = False


class RateLimitError(BackendError):
    """The provider rate-limited the request (HTTP 429)."""

    retryable = True


class ContextTooLongError(BackendError):
    """The request does not fit in the model's context window."""


class InvalidRequestError(BackendError):
    """The provider rejected the request as invalid (HTTP 400/422)."""


class ProviderServerError(BackendError):
    """The provider failed (HTTP 5xx, overloaded)."""

    retryable = True


class BackendTimeoutError(BackendError):
    """A connect, first-event, idle or total timeout fired."""

    retryable = True


class ToolError(MassgenError):
    """A tool failed; the message is what the model is told."""


_KINDS: dict[type[BackendError], str] = {
    AuthenticationError: "authentication",
    ModelNotFoundError: "model_not_found",
    ConnectionFailedError: "connection",
    EndpointNotFoundError: "endpoint_not_found",
    RateLimitError: "rate_limit",
    ContextTooLongError: "context_too_long",
    InvalidRequestError: "invalid_request",
    ProviderServerError: "server_error",
    BackendTimeoutError: "timeout",
}


def error_class_for(kind: str) -> type[BackendError]:
    """The :class:`BackendError` subclass whose :attr:`~BackendError.kind` is ``kind``."""
    return next((cls for cls, name in _KINDS.items() if name == kind), BackendError)
