"""Backend options: the schema of a config's ``backend:`` block.

A plugin declares its backend's options as an attrs class that subclasses
:class:`BackendOptions` (and, for backends that take sampling settings,
:class:`SamplingOptions`). Field names are the YAML keys; types are checked when the config is
loaded; unknown keys are errors that name the nearest valid key. A field made with
:func:`option` may say which capability it needs (``requires="web_search"``): setting it on a
backend or model without that capability is an error that says which backends have it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, Literal

import attrs

__all__ = [
    "DEFAULT_DOCKER_IMAGE",
    "BackendOptions",
    "InvalidValue",
    "SamplingOptions",
    "ToolOptions",
    "at_least",
    "command_words",
    "http_url",
    "not_taken",
    "option",
    "option_fields",
    "positive",
    "required_capability",
]

REQUIRES = "massgen_requires"
HELP = "massgen_help"
SECRET = "massgen_secret"
NOT_TAKEN = "massgen_not_taken"


def option(
    default: Any = attrs.NOTHING,
    *,
    factory: Any = None,
    requires: str | None = None,
    help: str = "",
    secret: bool = False,
    validator: Callable[[Any, attrs.Attribute[Any], Any], None] | None = None,
) -> Any:
    """Declare one backend option (an ``attrs.field`` with MassGen metadata).

    :param requires: the capability kind this option needs when it is set (truthy).
    :param help: one line shown by ``massgen backends TYPE`` (and in its ``--json``).
    :param secret: never shown in logs, errors or saved configs.
    :param validator: an attrs validator; raise :class:`InvalidValue` (or use :func:`positive`,
        :func:`at_least` or :func:`http_url`) so the loader reports it at the value.
    """
    metadata = {REQUIRES: requires, HELP: help, SECRET: secret}
    if factory is not None:
        return attrs.field(factory=factory, metadata=metadata, repr=not secret, validator=validator)
    return attrs.field(default=default, metadata=metadata, repr=not secret, validator=validator)


def not_taken(why: str, *, secret: bool = False) -> Any:
    """Redeclare an inherited option the backend does not take (``api_key`` and ``base_url`` of a
    backend with no server): ``massgen backends TYPE`` does not list it, and a config that sets it
    is invalid, with ``why`` at the value's file:line:column."""

    def refuse(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None:
            raise InvalidValue(attribute.name, why)

    metadata = {REQUIRES: None, HELP: why, SECRET: secret, NOT_TAKEN: True}
    return attrs.field(default=None, metadata=metadata, repr=not secret, validator=refuse)


class InvalidValue(ValueError):
    """Raised by an option's validator: names the field, so the config loader reports the
    message at that value's file:line:column."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(message)


def positive(_instance: Any, attribute: attrs.Attribute[Any], value: float | None) -> None:
    """Validator: a positive number (``None`` passes)."""
    if value is not None and not value > 0:  # NaN fails too
        raise InvalidValue(attribute.name, "must be a positive number")


def at_least(minimum: int) -> Callable[[Any, attrs.Attribute[Any], int | None], None]:
    """Validator: an integer of at least ``minimum`` (``None`` passes)."""

    def check(_instance: Any, attribute: attrs.Attribute[Any], value: int | None) -> None:
        if value is not None and value < minimum:
            raise InvalidValue(attribute.name, f"must be at least {minimum}")

    return check


def http_url(_instance: Any, attribute: attrs.Attribute[Any], value: str | None) -> None:
    """Validator: an absolute ``http://`` or ``https://`` URL with a host (``None`` passes)."""
    if value is None:
        return
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. an invalid port or IPv6 literal
        ok = False
    if not ok:
        raise InvalidValue(
            attribute.name,
            f"must be an http:// or https:// URL with a host (e.g. http://localhost:1234/v1), not {value!r}",
        )


def option_fields(options_type: type) -> dict[str, attrs.Attribute[Any]]:
    """The options a backend accepts, by YAML key (not those it declares :func:`not_taken`)."""
    return {a.name: a for a in attrs.fields(options_type) if not a.metadata.get(NOT_TAKEN)}


def option_help(field: attrs.Attribute[Any]) -> str:
    return str(field.metadata.get(HELP) or "")


def required_capability(field: attrs.Attribute[Any]) -> str | None:
    return field.metadata.get(REQUIRES)


def is_secret(field: attrs.Attribute[Any]) -> bool:
    return bool(field.metadata.get(SECRET))


def command_words(name: str, value: str | tuple[str, ...] | None) -> tuple[str, ...] | None:
    """A command given as a command line (split as a shell would, never run through one) or as a
    list of words; an unbalanced quote is an :class:`InvalidValue` of option ``name``."""
    if value is None or not isinstance(value, str):
        return value
    import shlex

    try:
        words = tuple(shlex.split(value))
    except ValueError as exc:
        raise InvalidValue(name, f"cannot be split into words ({exc}): check its quotes") from None
    if not words:
        raise InvalidValue(name, "is empty: give the command to run")
    return words


def one_of(name: str, value: object, allowed: tuple[str, ...]) -> None:
    """Check a choice also when options are built in Python (the loader checks a ``Literal`` when
    it reads a config; attrs does not): the one place such a setting is validated."""
    if value not in allowed:
        raise InvalidValue(name, f"expected one of {', '.join(allowed)}, got {value!r}")


def _a_command(_instance: Any, attribute: attrs.Attribute[Any], value: str | tuple[str, ...] | None) -> None:
    """Validator: a command line that splits into words (or a list of words)."""
    command_words(attribute.name, value)


#: The image ``command_line_execution_mode: docker`` uses unless the config names another (MassGen's
#: name for it, so MassGen configs that name it work): ``massgen sandbox build`` makes it.
DEFAULT_DOCKER_IMAGE = "massgen/mcp-runtime:latest"
_MEMORY_SIZE = re.compile(r"[0-9]+(\.[0-9]+)?[bkmg]?", re.IGNORECASE)


def _an_execution_mode(_instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    """Validator: ``local`` or ``docker`` (what docker mode needs of the machine, the SDK and a
    daemon, is :func:`massgen_core.tools.commands.availability.execution_problem`'s)."""
    one_of(attribute.name, value, ("local", "docker"))


def _a_memory_size(_instance: Any, attribute: attrs.Attribute[Any], value: str | None) -> None:
    """Validator: a size as Docker takes it (``512m``, ``2g``, ``1073741824``)."""
    if value is not None and not (isinstance(value, str) and _MEMORY_SIZE.fullmatch(value.strip())):
        raise InvalidValue(
            attribute.name, f"must be a size such as 512m or 2g (a number with b, k, m or g), not {value!r}"
        )


@attrs.frozen(kw_only=True)
class ToolOptions:
    """The agent's tool, MCP and workspace keys.

    They are written in the ``backend:`` block like the backend's own options, but they belong to
    the agent: the core reads them (into :attr:`BackendConfig.tools
    <massgen_core.config.BackendConfig.tools>`) and serves the tools for every backend, so a
    plugin's options class never declares them.
    """

    cwd: str | None = option(None, help="The agent's workspace directory.")
    mcp_servers: Any = option(None, requires="mcp", help="MCP servers: a list, or a mapping name -> server.")
    allowed_tools: tuple[str, ...] | None = option(None, help="Only these tools (MCP names included).")
    exclude_tools: tuple[str, ...] = option((), help="Tools to hide from the model.")
    enable_mcp_command_line: bool = option(
        False, requires="mcp", help="Give the agent the execute_command tool."
    )
    command_line_allowed_commands: tuple[str, ...] | None = option(
        None, help="Regex patterns a command must match."
    )
    command_line_blocked_commands: tuple[str, ...] = option((), help="Regex patterns that block a command.")
    command_line_timeout: float = option(
        60.0, validator=positive, help="Seconds before execute_command is stopped."
    )
    command_line_max_output: int = option(
        100_000, validator=at_least(1), help="Bytes of output kept per command."
    )
    command_line_sandbox: Literal["landlock", "off"] = option(
        "landlock",
        validator=lambda _i, a, v: one_of(a.name, v, ("landlock", "off")),
        help="Confine execute_command with Landlock (off: commands may write anywhere).",
    )
    command_line_execution_mode: Literal["local", "docker"] = option(
        "local",
        validator=_an_execution_mode,
        help="Where execute_command runs: on this machine, or in a Docker container (massgen sandbox build).",
    )
    command_line_docker_image: str = option(
        DEFAULT_DOCKER_IMAGE,
        help="Image of the command container (docker mode; built by massgen sandbox build).",
    )
    command_line_docker_memory_limit: str | None = option(
        None, validator=_a_memory_size, help="Memory limit of the command container, e.g. 512m or 2g."
    )
    command_line_docker_cpu_limit: float | None = option(
        None, validator=positive, help="CPUs the command container may use, e.g. 1.5."
    )
    command_line_docker_network_mode: Literal["none", "bridge", "host"] = option(
        "none",
        validator=lambda _i, a, v: one_of(a.name, v, ("none", "bridge", "host")),
        help="Network of the command container: none (default), bridge or host.",
    )
    filesystem_tools: Literal["builtin", "mcp", "off"] = option(
        "builtin",
        validator=lambda _i, a, v: one_of(a.name, v, ("builtin", "mcp", "off")),
        help="File tools: MassGen's own, the MCP filesystem server, or none.",
    )
    filesystem_mcp_command: str | tuple[str, ...] | None = option(
        None,
        validator=_a_command,
        help="Command line of the MCP filesystem server (filesystem_tools: mcp): a string or a list.",
    )
    mcp_call_timeout: float = option(120.0, validator=positive, help="Seconds an MCP tool call may take.")
    mcp_connect_timeout: float = option(
        30.0, validator=positive, help="Seconds to start an MCP server and list its tools."
    )
    mcp_retries: int = option(
        2, validator=at_least(0), help="Reconnect-and-retry attempts after an MCP server crashed."
    )
    mcp_circuit_breaker_failures: int = option(
        3,
        validator=at_least(1),
        help="Failures in a row after which an MCP server is not called for a while.",
    )
    mcp_circuit_breaker_reset: float = option(
        30.0,
        validator=positive,
        help="Seconds before a cut-off MCP server is tried again (doubles on each failure).",
    )


@attrs.frozen(kw_only=True)
class BackendOptions:
    """Keys every backend accepts; a plugin's options class adds its own.

    ``type`` is read by the config loader, and the agent's tool keys (:class:`ToolOptions`) are
    taken out of the block before the rest is structured into the plugin's class.
    """

    model: str | None = option(None, help="The model id (or deployment / loaded model name).")
    api_key: str | None = option(None, secret=True, help="API key; by default read from the env var.")
    base_url: str | None = option(
        None, validator=http_url, help="The API endpoint; by default the provider's."
    )

    @property
    def runs_commands(self) -> bool:
        """Whether this backend runs commands itself through the agent's ``execute_command``
        (AG2's code executors run code that way: same workspace, policy and sandbox). The agent
        then gets a workspace and ``execute_command`` even without ``enable_mcp_command_line``."""
        return False

    def config_notes(self, tools: ToolOptions) -> Sequence[tuple[str | tuple[str | int, ...], str]]:
        """Settings accepted as written that the backend applies differently (an out-of-date
        value mapped to its current equivalent, a tool that no longer exists left out...), as
        ``(key, message)`` pairs, ``key`` being the block's key the note is about (or the path
        below it, ``("agent_config", "llm_config", "cache_seed")``). ``massgen
        validate`` shows them at that key's file:line:column; a note never makes a config
        invalid. ``tools`` holds the agent's tool keys of the same block."""
        return ()

    def machine_problems(self, tools: ToolOptions) -> Sequence[tuple[str | tuple[str | int, ...], str]]:
        """What this machine lacks for these settings, which are fine as written (a package the
        backend needs for them, not installed), as ``(key, message)`` pairs, ``key`` being the
        block's key or the path below it (``("agent_config", "llm_config", "api_type")``) and
        ``message`` saying how to fix it. ``massgen validate`` shows them as warnings (errors
        with ``--strict``) at that value's file:line:column; a run refuses them there.
        Checked only once the options are valid."""
        return ()

    def config_problems(self, tools: ToolOptions) -> Sequence[tuple[str, str]]:
        """Settings certain to fail on this machine that the options' own validators cannot see
        (they need the agent's tool keys, e.g. a model file given relative to ``cwd``), as
        ``(key, message)`` pairs: each makes the config invalid, reported at that key's value's
        file:line:column. ``tools`` holds the agent's tool keys of the same block, ``cwd``
        resolved."""
        return ()


@attrs.frozen(kw_only=True)
class SamplingOptions(BackendOptions):
    """Generation settings most chat APIs accept.

    ``temperature`` and ``top_p`` need the ``sampling`` capability: a backend that takes them
    declares it, and a model that rejects them (reasoning models) removes it, so validation
    refuses them there instead of the provider answering 400.
    """

    temperature: float | None = option(None, requires="sampling", help="Sampling temperature.")
    top_p: float | None = option(None, requires="sampling", help="Nucleus sampling.")
    max_tokens: int | None = option(None, help="Maximum tokens to generate.")
