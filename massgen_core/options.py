"""Backend options: the schema of a config's ``backend:`` block.

A plugin declares its backend's options as an attrs class that subclasses
:class:`BackendOptions` (and, for backends that take sampling settings,
:class:`SamplingOptions`). Field names are the YAML keys; types are checked when the config is
loaded; unknown keys are errors that name the nearest valid key. A field made with
:func:`option` may say which capability it needs (``requires="web_search"``): setting it on a
backend or model without that capability is an error that says which backends have it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

__all__ = [
    "BackendOptions",
    "SamplingOptions",
    "ToolOptions",
    "option",
    "option_fields",
    "required_capability",
]

REQUIRES = "massgen_requires"
HELP = "massgen_help"
SECRET = "massgen_secret"


def option(
    default: Any = attrs.NOTHING,
    *,
    factory: Any = None,
    requires: str | None = None,
    help: str = "",
    secret: bool = False,
) -> Any:
    """Declare one backend option (an ``attrs.field`` with MassGen metadata).

    :param requires: the capability kind this option needs when it is set (truthy).
    :param help: one line shown by ``massgen backends --options``.
    :param secret: never shown in logs, errors or saved configs.
    """
    metadata = {REQUIRES: requires, HELP: help, SECRET: secret}
    if factory is not None:
        return attrs.field(factory=factory, metadata=metadata, repr=not secret)
    return attrs.field(default=default, metadata=metadata, repr=not secret)


def option_fields(options_type: type) -> dict[str, attrs.Attribute[Any]]:
    """The options a backend accepts, by YAML key."""
    return {a.name: a for a in attrs.fields(options_type)}


def required_capability(field: attrs.Attribute[Any]) -> str | None:
    return field.metadata.get(REQUIRES)


def is_secret(field: attrs.Attribute[Any]) -> bool:
    return bool(field.metadata.get(SECRET))


@attrs.frozen(kw_only=True)
class ToolOptions:
    """Tool, MCP and workspace keys, served by the core for every backend that has ``mcp``."""

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
    command_line_timeout: float = option(60.0, help="Seconds before execute_command is stopped.")
    command_line_max_output: int = option(100_000, help="Bytes of output kept per command.")


@attrs.frozen(kw_only=True)
class BackendOptions(ToolOptions):
    """Keys every backend accepts (plus the tool keys). ``type`` is read by the config loader."""

    model: str | None = option(None, help="The model id (or deployment / loaded model name).")
    api_key: str | None = option(None, secret=True, help="API key; by default read from the env var.")
    base_url: str | None = option(None, help="The API endpoint; by default the provider's.")


@attrs.frozen(kw_only=True)
class SamplingOptions(BackendOptions):
    """Generation settings most chat APIs accept."""

    temperature: float | None = option(None, help="Sampling temperature.")
    top_p: float | None = option(None, help="Nucleus sampling.")
    max_tokens: int | None = option(None, help="Maximum tokens to generate.")


def public_options(options: Any) -> Mapping[str, Any]:
    """The options as a mapping with secrets masked (for logs, errors and saved configs)."""
    out: dict[str, Any] = {}
    for field in attrs.fields(type(options)):
        value = getattr(options, field.name)
        out[field.name] = "***" if is_secret(field) and value else value
    return out
