"""Secrets MassGen knows, and the one place that takes them out of what it prints or writes.

A provider's error may echo the API key it was sent (some do, in a 401 body), a ``base_url`` may
carry a key in its query string or credentials before the host, and a backend may put any of it
in an exception. Rather than trusting every backend, the core masks secrets at its *sinks*: the
run log (``events.jsonl``, ``result.json``, ``final_answer.md``), the session files
(``turn.json``, ``final_answer.md``), the structlog handlers (stderr, ``massgen.log.jsonl``) and,
in the CLI, everything written to stdout and stderr (:func:`redacted_output`).

What is masked (replaced by ``***``):

* every value :func:`remember_secret` was given: the config's ``api_key`` and every option a
  plugin marks ``secret=True``, values under keys named like credentials (``*_token``,
  ``Authorization``, ``password``, ...), the API-key variables of every installed backend and any
  environment variable whose name looks secret (``*_API_KEY``, ``*TOKEN*``, ``*SECRET*``, ...)
  and whose value looks like a credential (not a path or a plain word); the config loader
  remembers them all (:func:`massgen_core.config.secrets.remember_config`);
* in any text, the password of a URL (``https://user:***@host``) and the value of a query
  parameter named like a credential (``?key=***``, ``&api_key=***``, ``&sig=***``).

Values shorter than :data:`MIN_LENGTH` are not treated as secrets (``EMPTY``, ``none``: the
placeholders local servers take would mangle every message).
"""

from __future__ import annotations

import json
import re
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import IO, Any

__all__ = [
    "MASK",
    "MIN_LENGTH",
    "RedactingStream",
    "Redactor",
    "is_secret_key",
    "is_secret_name",
    "redact",
    "redact_data",
    "redacted_output",
    "remember_data",
    "remember_environment",
    "remember_secret",
    "secrets_in_value",
]

MASK = "***"
#: Shorter values are never masked.
MIN_LENGTH = 6
#: Environment variables picked by their name alone must be at least this long.
MIN_ENV_LENGTH = 8

_SECRET_NAME = re.compile(
    r"(API_?KEY|_KEY$|^KEY$|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE|AUTH|SESSION|COOKIE|_PAT$|DSN)",
    re.IGNORECASE,
)
#: Names that match the pattern but hold no secret.
_HARMLESS = frozenset(
    {"SSH_AUTH_SOCK", "XDG_SESSION_TYPE", "XDG_SESSION_CLASS", "XDG_SESSION_ID", "KEYTIMEOUT"}
)
#: Config keys (and URL query parameters) whose value is a credential: a narrower rule than
#: :func:`is_secret_name`, so ``max_tokens`` or ``session_storage`` stay readable.
_SECRET_KEY = re.compile(
    r"(^|[_.-])(api[_-]?key|apikey|key|token|access[_-]?token|refresh[_-]?token|secret|client[_-]?secret|"
    r"password|passwd|pwd|authorization|auth|credentials?|sig|signature|x-api-key)$",
    re.IGNORECASE,
)
_URL_CREDENTIALS = re.compile(
    r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s/@:\"'<>]*:)(?P<password>[^\s/@\"'<>]+)(?=@)"
)
_URL_QUERY = re.compile(r"(?P<head>[?&;](?P<name>[A-Za-z0-9_.\-]+)=)(?P<value>[^&#\s\"'<>]+)")
_AUTH_SCHEME = re.compile(r"^(Bearer|Basic|Token|Bot)\s+(?P<token>\S+)$", re.IGNORECASE)


def is_secret_name(name: str) -> bool:
    """Whether an environment variable's name says it holds a secret (``*_API_KEY``, ``*TOKEN*``...)."""
    return name not in _HARMLESS and bool(_SECRET_NAME.search(name))


def is_secret_key(key: str) -> bool:
    """Whether a config key (or URL query parameter) names a credential (``api_key``, ``GITHUB_TOKEN``...)."""
    return bool(_SECRET_KEY.search(key))


def secrets_in_value(value: str) -> list[str]:
    """The credentials inside one value: the value itself, the token of ``Bearer <token>``, the
    password and credential query values of a URL."""
    found = [value]
    scheme = _AUTH_SCHEME.match(value.strip())
    if scheme:
        found.append(scheme.group("token"))
    if "://" in value:
        found += [m.group("password") for m in _URL_CREDENTIALS.finditer(value)]
        found += [m.group("value") for m in _URL_QUERY.finditer(value) if is_secret_key(m.group("name"))]
    return found


def _url_secrets(text: str) -> list[str]:
    if "://" not in text:
        return []
    found = [m.group("password") for m in _URL_CREDENTIALS.finditer(text)]
    found += [m.group("value") for m in _URL_QUERY.finditer(text) if is_secret_key(m.group("name"))]
    return found


class Redactor:
    """A set of secret values, and :meth:`redact` to mask them (thread-safe to add to)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._ordered: tuple[str, ...] = ()
        # what add() was given, and the variables remember_environment() looked at: a server
        # gives them again for every run
        self._added: set[tuple[str, int]] = set()
        self._environment_seen: set[tuple[str, str, bool]] = set()

    def add(self, value: object, *, min_length: int = MIN_LENGTH) -> None:
        """Remember ``value`` (and the forms it takes once JSON-escaped) as a secret."""
        if not isinstance(value, str) or (value, min_length) in self._added:
            return
        self._added.add((value, min_length))
        forms = set()
        for secret in secrets_in_value(value.strip()):
            if len(secret) >= min_length and secret != MASK:
                forms.add(secret)
                escaped = json.dumps(secret)[1:-1]
                if escaped != secret:
                    forms.add(escaped)
        if forms - self._secrets:
            with self._lock:
                self._secrets |= forms
                self._ordered = tuple(sorted(self._secrets, key=len, reverse=True))

    def __contains__(self, value: object) -> bool:
        return value in self._secrets

    def redact(self, text: str) -> str:
        """``text`` with every known secret, URL password and credential query value masked."""
        for secret in self._ordered:
            if secret in text:
                text = text.replace(secret, MASK)
        if "://" in text:
            text = _URL_CREDENTIALS.sub(lambda m: m.group("head") + MASK, text)
        if "=" in text:
            text = _URL_QUERY.sub(
                lambda m: m.group("head") + MASK if is_secret_key(m.group("name")) else m.group(0), text
            )
        return text

    def redact_data(self, value: Any) -> Any:
        """``value`` (JSON-like data) with :meth:`redact` applied to every string in it."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, Mapping):
            return {self.redact_data(k): self.redact_data(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.redact_data(v) for v in value]
        return value


#: The process's secrets: what the sinks mask.
REDACTOR = Redactor()


def redact(text: str) -> str:
    """``text`` with every secret the process knows masked (see the module docstring)."""
    return REDACTOR.redact(text)


def redact_data(value: Any) -> Any:
    """JSON-like ``value`` with every string in it redacted."""
    return REDACTOR.redact_data(value)


def remember_secret(value: object) -> None:
    """Mask ``value`` from now on in everything MassGen prints or writes."""
    REDACTOR.add(value)


def _looks_like_a_credential(value: str) -> bool:
    """A value picked by its variable's name alone: not a path, not a plain word (``localhost``)."""
    if value.startswith(("/", "~", "./")) or len(value) < MIN_ENV_LENGTH:
        return False
    return len(value) >= 16 or any(c.isdigit() for c in value)


def remember_environment(environ: Mapping[str, str], names: Iterable[str] = ()) -> None:
    """Remember the values of ``names`` (e.g. every backend's API-key variables) and of every
    variable whose name looks secret and whose value looks like a credential (at least 8
    characters with a digit, or 16; not a path)."""
    wanted = set(names)
    for name, value in environ.items():
        seen = (name, value, name in wanted)
        if seen in REDACTOR._environment_seen:
            continue
        REDACTOR._environment_seen.add(seen)
        if name in wanted:
            REDACTOR.add(value)
        elif is_secret_name(name) and _looks_like_a_credential(value):
            REDACTOR.add(value, min_length=MIN_ENV_LENGTH)
        elif "://" in value:
            for secret in _url_secrets(value):
                REDACTOR.add(secret)


def remember_data(value: Any, key: str | None = None) -> None:
    """Remember the secrets in plain data: values under credential-named keys, URL passwords and
    credential query values, at any depth."""
    if isinstance(value, str):
        if key is not None and is_secret_key(key):
            REDACTOR.add(value)
        else:
            for secret in _url_secrets(value):
                REDACTOR.add(secret)
    elif isinstance(value, Mapping):
        for k, v in value.items():
            remember_data(v, str(k))
    elif isinstance(value, list | tuple):
        for v in value:
            remember_data(v, key)


class RedactingStream:
    """A text stream that masks secrets in everything written to it; other attributes
    (``isatty``, ``fileno``, ``encoding``...) are the wrapped stream's."""

    def __init__(self, stream: IO[str]) -> None:
        self.wrapped = stream

    def write(self, text: str) -> int:
        self.wrapped.write(redact(text))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self.wrapped.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)


def _redacting_excepthook(kind: type[BaseException], value: BaseException, tb: Any) -> None:
    import traceback

    sys.__stderr__.write(redact("".join(traceback.format_exception(kind, value, tb))))  # type: ignore[union-attr]
    sys.__stderr__.flush()  # type: ignore[union-attr]


@contextmanager
def redacted_output() -> Iterator[None]:
    """Meanwhile, ``sys.stdout`` and ``sys.stderr`` mask every secret written to them (the CLI
    runs inside this, so no message, display or traceback shows a key). The traceback of an
    exception that escapes (``--debug``) is printed after the streams are restored, so
    ``sys.excepthook`` is replaced for good by one that masks it too."""
    sys.excepthook = _redacting_excepthook
    saved = sys.stdout, sys.stderr
    sys.stdout = RedactingStream(saved[0])
    sys.stderr = RedactingStream(saved[1])
    try:
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            if isinstance(stream, RedactingStream):
                with suppress(OSError, ValueError):
                    stream.flush()
        sys.stdout, sys.stderr = saved
