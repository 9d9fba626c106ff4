"""The hooks MassGen asks plugins to implement.

A plugin is a module (registered through the ``massgen`` entry-point group) with functions
marked ``@hookimpl`` whose names are hook names below. Like pytest, a hook implementation
receives only the arguments it names, so hooks can gain arguments without breaking plugins.
Hooks only *declare* things; they must be cheap and must not import provider SDKs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from .capabilities import CapabilityKind
    from .specs import BackendSpec, CommandSpec, McpServerSpec, ScorerSpec, ToolContext, ToolSpec

PROJECT = "massgen"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def massgen_backend_types() -> Sequence[BackendSpec]:
    """Declare backend types.

    Return :class:`~massgen_core.plugin.specs.BackendSpec` objects: the ``type`` name, a lazy
    ``"module:attr"`` factory, the options class, capabilities, known models, the default
    model, the env vars for the API key and the default base URL. Two plugins declaring the
    same type is a reported conflict.
    """


@hookspec
def massgen_capability_kinds() -> Sequence[CapabilityKind]:
    """Declare new capability kinds (beyond the built-in ones) that backends may list."""


@hookspec
def massgen_tools(context: ToolContext) -> Sequence[ToolSpec | McpServerSpec]:
    """Offer tools to the agent described by ``context``.

    Return Python function tools (:class:`~massgen_core.plugin.specs.ToolSpec`) and MCP servers
    (:class:`~massgen_core.plugin.specs.McpServerSpec`); return nothing for agents the plugin has no
    tools for.
    """


@hookspec
def massgen_commands() -> Sequence[CommandSpec]:
    """Add ``massgen`` subcommands.

    Return :class:`~massgen_core.plugin.specs.CommandSpec` objects: the command's ``name``, a
    one-line ``help`` and a lazy ``"module:attr"`` ``main``. ``massgen --help`` lists them
    without importing ``main``'s module. A name taken by a built-in subcommand or by another
    plugin is a reported conflict.
    """


@hookspec
def massgen_scorers() -> Sequence[ScorerSpec]:
    """Add scorers to ``massgen eval``.

    Return :class:`~massgen_core.plugin.specs.ScorerSpec` objects: the scorer's ``name``, a
    one-line ``help``, its ``score`` function (or a lazy ``"module:attr"``) and optionally an
    ``extract`` function for majority voting. A name taken by a built-in scorer or by another
    plugin is a reported conflict.
    """
