"""Subcommands that plugins add through ``massgen_commands``, and the list ``massgen --help`` shows.

Rules:

* a command's name is a lower-case word (letters, digits and ``-``, starting with a letter);
* a name taken by a built-in subcommand is refused, and a name two plugins declare is a
  conflict: neither plugin gets it (both are reported, as for backend types), and ``massgen
  NAME`` says which plugins to choose between;
* a declaration that breaks a rule is reported against its plugin (``massgen plugins`` shows it
  as ``error``) and the plugin's other commands still work.

``massgen --help`` must stay fast, and loading the plugin host (pluggy, every plugin's entry
module) would double its time. So the commands' names and help lines are kept in the plugin
cache beside the entry points (:mod:`massgen_core.host.entry_points`): written whenever the
commands are collected (``massgen plugins``, running a plugin command), dropped whenever a
distribution is installed or removed. ``--help`` reads them from there, and collects them
itself only when the cache has none.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import TYPE_CHECKING, NamedTuple

from .entry_points import cached_commands, remember_commands

if TYPE_CHECKING:  # the cached path (``massgen --help``) imports neither pluggy nor the specs
    from ..plugin.specs import CommandSpec
    from .plugin_host import PluginHost

__all__ = [
    "KNOWN_COMMANDS",
    "PluginCommand",
    "PluginCommands",
    "installed_commands",
    "listed_commands",
    "plugin_commands",
]

NAME = re.compile(r"^[a-z][a-z0-9-]*$")

#: Commands of MassGen's own plugins -> the distribution that adds them: ``massgen serve``
#: without massgen-serve says what to install instead of taking "serve" for a question.
KNOWN_COMMANDS: dict[str, str] = {"serve": "massgen-serve", "view": "massgen-serve"}


class PluginCommand(NamedTuple):
    """A subcommand and the plugin that adds it."""

    spec: CommandSpec
    plugin: str
    distribution: str | None


class PluginCommands(NamedTuple):
    """Every plugin command that may run, and the names held back by a conflict (name -> the
    plugins that all declare it)."""

    commands: dict[str, PluginCommand]
    conflicts: dict[str, tuple[str, ...]]


def plugin_commands(host: PluginHost, builtin: Collection[str]) -> PluginCommands:
    """Collect ``massgen_commands`` from ``host``'s plugins (see the module docstring for the rules)."""
    from ..plugin.specs import CommandSpec

    claims: dict[str, list[PluginCommand]] = {}
    for plugin, spec in host.collect("massgen_commands", CommandSpec):
        if not NAME.match(spec.name):
            host.report(
                plugin,
                f"command {spec.name!r}: a command name is a lower-case word (letters, digits, '-')",
            )
        elif spec.name in builtin:
            host.report(plugin, f"command {spec.name!r} is a built-in massgen subcommand; pick another name")
        else:
            record = host.records.get(plugin)
            distribution = record.distribution if record else None
            claims.setdefault(spec.name, []).append(
                PluginCommand(spec=spec, plugin=plugin, distribution=distribution)
            )
    found = PluginCommands(commands={}, conflicts={})
    for name, entries in sorted(claims.items()):
        if len(entries) == 1:
            found.commands[name] = entries[0]
            continue
        found.conflicts[name] = tuple(e.plugin for e in entries)
        for entry in entries:
            others = ", ".join(e.plugin for e in entries if e is not entry)
            host.report(entry.plugin, f"command {name!r} is also declared by {others}")
    return found


def installed_commands(builtin: Collection[str]) -> PluginCommands:
    """The commands of the installed plugins (the process's plugin host), kept in the plugin
    cache for ``massgen --help``."""
    from .plugin_host import get_host

    found = plugin_commands(get_host(), builtin)
    remember_commands(
        [[c.spec.name, c.spec.help, c.distribution or c.plugin] for c in found.commands.values()]
    )
    return found


def listed_commands(builtin: Collection[str]) -> list[tuple[str, str, str]]:
    """``(name, help, distribution)`` of each plugin command, for ``massgen --help``: from the
    plugin cache, else collected from the plugins (and then cached)."""
    cached = cached_commands()
    if cached is not None:
        return cached
    found = installed_commands(builtin)
    return [(c.spec.name, c.spec.help, c.distribution or c.plugin) for c in found.commands.values()]
