"""The ``mcp_servers`` option: its two forms, parsed into :class:`ServerEntry` objects.

List form (every backend)::

    mcp_servers:
      - name: weather                  # [A-Za-z0-9_-]{1,50}, no "__"; default server_<i>
        type: stdio                    # or streamable-http ("transport:" is accepted too)
        command: npx                   # a program; a whole command line is split when no args are given
        args: ["-y", "@scope/server"]
        env: {API_KEY: "${MY_KEY}"}    # ${VAR} is filled in by the config loader
        cwd: some/dir                  # ${cwd} in args, env and cwd: the agent's workspace
        allowed_tools: [get_forecast]  # the server's own tool names
        exclude_tools: [delete_all]
        read_only: true                # all its tools count as read-only (planning mode)
        timeout: 30                    # seconds per call (default: mcp settings)
        security: {allowed_executables: [my-launcher], allow_shell_metacharacters: false, allow_any_host: false}
        # or MassGen's: {level: strict|moderate|permissive, env: {...}, allow_localhost, allow_private_ips,
        #                resolve_dns, allowed_hostnames} (see policy.py)
      - name: remote
        type: streamable-http
        url: https://host/mcp
        headers: {Authorization: "Bearer ${TOKEN}"}

Dictionary form (the claude_code seed)::

    mcp_servers:
      weather: {type: stdio, command: npx, args: [...]}

A single mapping with ``type``, ``command`` or ``url`` is one server. The type ``http`` means
streamable HTTP; ``sse`` is refused (deprecated by MCP). :func:`parse_mcp_servers` raises
:class:`~massgen_core.plugin.errors.ConfigError` listing every problem with its path.
"""

from __future__ import annotations

import dataclasses
import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from ...config.issues import format_path, suggestion
from ...plugin.errors import ConfigError, ConfigIssue
from ...plugin.specs import McpServerSpec
from .policy import (
    DEFAULT_POLICY,
    ENV_MODES,
    ENV_POLICY_KEYS,
    LEVELS,
    SECURITY_KEYS,
    LaunchPolicy,
    SubPath,
    check_spec,
    policy_for,
    spec_problems,
)

__all__ = [
    "WORKSPACE_REFERENCE",
    "ServerEntry",
    "bind_workspace",
    "check_entries",
    "entry_from_spec",
    "mcp_servers_problems",
    "mentions_workspace",
    "parse_mcp_servers",
]

#: ``${cwd}`` (MassGen's): the agent's workspace, in a server's ``args``, ``env`` and ``cwd``
WORKSPACE_REFERENCE = "${cwd}"
#: what ``${cwd}`` stands for while a config is validated (the workspace is made when the run starts)
_PENDING_WORKSPACE = "/massgen-workspace"

SERVER_KEYS = (
    "name",
    "type",
    "transport",
    "command",
    "args",
    "env",
    "cwd",
    "url",
    "headers",
    "allowed_tools",
    "exclude_tools",
    "read_only",
    "timeout",
    "security",
)
_NAME = re.compile(r"[A-Za-z0-9_-]{1,50}\Z")
_TRANSPORTS = {
    "stdio": "stdio",
    "streamable-http": "streamable-http",
    "streamable_http": "streamable-http",
    "http": "streamable-http",
}
MAX_TIMEOUT = 3600.0

#: Checks a call before it is sent: returns why it is refused, or ``None``.
CallGuard = Callable[[str, Mapping[str, Any]], str | None]


@attrs.frozen(kw_only=True)
class ServerEntry:
    """An MCP server to connect, with what MassGen adds around it.

    :param spec: the server (as a plugin would declare it).
    :param origin: where it was declared, for messages (``"agents[0].backend.mcp_servers[1]"``).
    :param timeout: seconds per call (``None``: the hub's default).
    :param policy: the launch policy it is checked against.
    :param sandbox: ``(writable, protected)``: start the process confined with Landlock.
    :param guard: checks each call's arguments before it is sent (path permissions).
    :param read_only_tools: tools of this server that count as read-only (planning mode runs
        them) even though the server is not ``read_only``.
    :param check: check it against the launch policy (``False`` for the servers MassGen itself
        starts, such as ``execute_command``'s).
    """

    spec: McpServerSpec
    origin: str
    timeout: float | None = None
    policy: LaunchPolicy = DEFAULT_POLICY
    sandbox: tuple[tuple[str, ...], tuple[str, ...]] | None = None
    guard: CallGuard | None = attrs.field(default=None, eq=False)
    read_only_tools: frozenset[str] = frozenset()
    check: bool = True

    @property
    def name(self) -> str:
        return self.spec.name


def entry_from_spec(spec: McpServerSpec, origin: str) -> ServerEntry:
    return ServerEntry(spec=spec, origin=origin)


def _uses_workspace(spec: McpServerSpec) -> bool:
    texts = [*spec.args, *spec.env.values(), spec.cwd or ""]
    return any(WORKSPACE_REFERENCE in text for text in texts)


def bind_workspace(entry: ServerEntry, workspace: str) -> ServerEntry:
    """``entry`` with ``${cwd}`` in its ``args``, ``env`` values and ``cwd`` replaced by the agent's
    workspace (MassGen's meaning of ``${cwd}``); ``entry`` itself when it has none."""
    spec = entry.spec
    if not _uses_workspace(spec):
        return entry

    def bind(text: str) -> str:
        return text.replace(WORKSPACE_REFERENCE, workspace)

    bound = dataclasses.replace(
        spec,
        args=tuple(bind(a) for a in spec.args),
        env={name: bind(value) for name, value in spec.env.items()},
        cwd=bind(spec.cwd) if spec.cwd is not None else None,
    )
    return attrs.evolve(entry, spec=bound)


def mentions_workspace(value: Any) -> bool:
    """Whether an ``mcp_servers`` value (as written) uses ``${cwd}`` anywhere, so that the agent
    needs a workspace for it."""
    if isinstance(value, str):
        return WORKSPACE_REFERENCE in value
    if isinstance(value, Mapping):
        return any(mentions_workspace(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(mentions_workspace(v) for v in value)
    return False


def _below(base: str, where: SubPath) -> str:
    """``base`` extended by ``where``: ``("args", 0)`` under ``"x.mcp_servers[1]"``."""
    rest = format_path(where)
    return f"{base}{rest}" if not rest or rest.startswith("[") else f"{base}.{rest}"


class _Problems:
    def __init__(self, base: str, source: str | None) -> None:
        self.base = base
        self.source = source
        self.found: list[tuple[SubPath, str]] = []

    def add(self, where: SubPath, message: str) -> None:
        self.found.append((where, message))

    def render(self, where: SubPath) -> str:
        return _below(self.base, where)

    @property
    def issues(self) -> list[ConfigIssue]:
        return [ConfigIssue(m, file=self.source, path=self.render(w)) for w, m in self.found]


def parse_mcp_servers(
    value: Any, *, path: str = "mcp_servers", source: str | None = None
) -> list[ServerEntry]:
    """Parse the ``mcp_servers`` option (``None``, a list, or a mapping) into entries.

    :param path: the option's config path for messages (``"agents[0].backend.mcp_servers"``).
    :param source: the config file name for messages.
    :raises ConfigError: every problem, each with its path.
    """
    problems = _Problems(path, source)
    entries = _parse(value, problems)
    if problems.found:
        raise ConfigError(problems.issues)
    return entries


def mcp_servers_problems(
    value: Any, *, machine: list[tuple[SubPath, str]] | None = None
) -> list[tuple[SubPath, str]]:
    """Problems with an ``mcp_servers`` value as ``(path inside the option, message)`` pairs:
    its structure, then each well-formed server against its launch policy (the program exists
    and may be launched, arguments, URL, environment), as :func:`check_entries` checks them
    before a run. For the config loader, to report them at their ``file:line:column``.

    :param machine: where those of this machine go instead (the program is not installed, the
        working directory does not exist here: :func:`~.policy.spec_problems`).
    """
    problems = _Problems("mcp_servers", None)
    located = _parse_located(value, problems)
    if not problems.found:
        for where, entry in located:
            # ${cwd} is the agent's workspace, made when the run starts: check the rest now
            pending = entry.spec.cwd is not None and WORKSPACE_REFERENCE in entry.spec.cwd
            bound = bind_workspace(entry, _PENDING_WORKSPACE)
            written, missing = spec_problems(bound.spec, bound.policy)
            for pairs, into in (
                (written, problems.found),
                (missing, problems.found if machine is None else machine),
            ):
                for sub, message in pairs:
                    if not (pending and sub == ("cwd",)):
                        into.append(((*where, *sub), f"MCP server {entry.name!r}: {message}"))
    return problems.found


def _parse(value: Any, problems: _Problems) -> list[ServerEntry]:
    return [entry for _, entry in _parse_located(value, problems)]


def _parse_located(value: Any, problems: _Problems) -> list[tuple[SubPath, ServerEntry]]:
    """The servers of ``value``, each with where it is inside the option."""
    if value is None:
        return []
    items: list[tuple[SubPath, str | None, Any]] = []  # (where, name from the dict form, entry)
    if isinstance(value, Mapping):
        if any(k in value for k in ("type", "transport", "command", "url")):
            items.append(((), None, value))
        else:
            items += [((str(name),), str(name), entry) for name, entry in value.items()]
    elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
        items += [((i,), None, entry) for i, entry in enumerate(value)]
    else:
        problems.add(
            (), f"expected a list of servers or a mapping name -> server, got {type(value).__name__}"
        )
        return []
    entries: list[tuple[SubPath, ServerEntry]] = []
    seen: set[str] = set()
    for index, (where, dict_name, raw) in enumerate(items):
        entry = _entry(raw, where, dict_name, index, problems)
        if entry is None:
            continue
        if entry.name in seen:
            problems.add((*where, "name"), f"two servers are named {entry.name!r}")
            continue
        seen.add(entry.name)
        entries.append((where, entry))
    return entries


def _entry(
    raw: Any, where: SubPath, dict_name: str | None, index: int, problems: _Problems
) -> ServerEntry | None:
    def at(key: str) -> SubPath:
        return (*where, key)

    if not isinstance(raw, Mapping):
        problems.add(
            where,
            f"expected a server (a mapping with `type:` and `command:` or `url:`), got {type(raw).__name__}",
        )
        return None
    before = len(problems.found)
    for key in raw:
        if key not in SERVER_KEYS:
            problems.add(at(str(key)), f"unknown MCP server key {key!r}{suggestion(str(key), SERVER_KEYS)}")
    name = raw.get("name", dict_name if dict_name is not None else f"server_{index}")
    if not isinstance(name, str) or not _NAME.match(name) or "__" in name:
        problems.add(
            at("name"), f"server name {name!r} must be 1-50 letters, digits, '_' or '-', without '__'"
        )
    kind = raw.get(
        "type",
        raw.get("transport", "stdio" if "command" in raw else "streamable-http" if "url" in raw else None),
    )
    transport = _TRANSPORTS.get(str(kind)) if kind is not None else None
    if kind == "sse":
        problems.add(
            at("type"), "the SSE transport is deprecated by MCP and not supported: use streamable-http"
        )
    elif transport is None:
        problems.add(at("type"), f"unknown server type {kind!r}: use stdio or streamable-http")
    command: Any = raw.get("command")
    args: Any = raw.get("args")
    if isinstance(command, list) and args is None:
        command, args = (command[0] if command else None), command[1:]
    elif isinstance(command, str) and args is None and " " in command.strip():
        try:
            split = shlex.split(command)
        except ValueError as exc:  # an unbalanced quote
            problems.add(
                at("command"),
                f"cannot split the command line ({exc}): close the quote, or give `command:` and `args:` as a list",
            )
            split = [command]
        command, args = split[0], split[1:]
    strings = {
        "command": _optional_str(command, at("command"), problems),
        "cwd": _optional_str(raw.get("cwd"), at("cwd"), problems),
        "url": _optional_str(raw.get("url"), at("url"), problems),
    }
    arg_list = _str_list(args if args is not None else [], at("args"), problems)
    env = _str_map(raw.get("env"), at("env"), problems)
    headers = _str_map(raw.get("headers"), at("headers"), problems)
    allowed = raw.get("allowed_tools")
    allowed_tools = None if allowed is None else tuple(_str_list(allowed, at("allowed_tools"), problems))
    excluded = tuple(_str_list(raw.get("exclude_tools") or [], at("exclude_tools"), problems))
    read_only = raw.get("read_only", False)
    if not isinstance(read_only, bool):
        problems.add(at("read_only"), "expected true or false")
    timeout = raw.get("timeout")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= MAX_TIMEOUT
    ):
        problems.add(at("timeout"), f"expected a number of seconds between 0 and {MAX_TIMEOUT:g}")
    security = raw.get("security")
    policy = _policy(security, at("security"), problems)
    if transport == "stdio" and strings["url"]:
        problems.add(at("url"), "a stdio server has no `url:` (did you mean type: streamable-http?)")
    if transport == "streamable-http" and strings["command"]:
        problems.add(at("command"), "a streamable-http server has no `command:` (did you mean type: stdio?)")
    if len(problems.found) > before or transport is None or not isinstance(name, str):
        return None
    spec = McpServerSpec(
        name=name,
        transport="stdio" if transport == "stdio" else "streamable-http",
        command=strings["command"],
        args=tuple(arg_list),
        env=env,
        cwd=strings["cwd"],
        url=strings["url"],
        headers=headers,
        allowed_tools=allowed_tools,
        exclude_tools=excluded,
        read_only=bool(read_only),
    )
    return ServerEntry(
        spec=spec,
        origin=problems.render(where),
        timeout=float(timeout) if timeout is not None else None,
        policy=policy,
    )


def _optional_str(value: Any, where: SubPath, problems: _Problems) -> str | None:
    if value is None or isinstance(value, str):
        return value
    problems.add(where, f"expected a string, got {type(value).__name__}")
    return None


def _str_list(value: Any, where: SubPath, problems: _Problems) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        problems.add(where, f"expected a list of strings, got {type(value).__name__}")
        return []
    out = []
    for i, item in enumerate(value):
        if isinstance(item, str | int | float) and not isinstance(item, bool):
            out.append(str(item))
        else:
            problems.add((*where, i), f"expected a string, got {type(item).__name__}")
    return out


def _str_map(value: Any, where: SubPath, problems: _Problems) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.add(where, f"expected a mapping of strings, got {type(value).__name__}")
        return {}
    out = {}
    for key, item in value.items():
        if isinstance(item, str | int | float) and not isinstance(item, bool):
            out[str(key)] = str(item)
        else:
            problems.add((*where, str(key)), f"expected a string, got {type(item).__name__}")
    return out


def _policy(value: Any, where: SubPath, problems: _Problems) -> LaunchPolicy:
    if value is None:
        return DEFAULT_POLICY
    if not isinstance(value, Mapping):
        problems.add(where, f"expected a mapping ({', '.join(SECURITY_KEYS)}), got {type(value).__name__}")
        return DEFAULT_POLICY
    before = len(problems.found)
    for key in value:
        if key not in SECURITY_KEYS:
            problems.add(
                (*where, str(key)), f"unknown security key {key!r}{suggestion(str(key), SECURITY_KEYS)}"
            )
    for key in ("allowed_executables", "allowed_hostnames"):
        _str_list(value.get(key) or [], (*where, key), problems)
    for flag in (
        "allow_shell_metacharacters",
        "allow_any_host",
        "allow_localhost",
        "allow_private_ips",
        "resolve_dns",
    ):
        if flag in value and not isinstance(value[flag], bool):
            problems.add((*where, flag), "expected true or false")
    _level(value, where, problems)
    env = value.get("env")
    if env is not None:
        if not isinstance(env, Mapping):
            problems.add(
                (*where, "env"),
                f"expected a mapping ({', '.join(ENV_POLICY_KEYS)}), got {type(env).__name__}",
            )
        else:
            for key in env:
                if key not in ENV_POLICY_KEYS:
                    problems.add(
                        (*where, "env", str(key)),
                        f"unknown security.env key {key!r}{suggestion(str(key), ENV_POLICY_KEYS)}",
                    )
            _choice(env, "mode", ENV_MODES, (*where, "env"), problems)
            _level(env, (*where, "env"), problems)
            for key in ("allowed_vars", "denied_vars"):
                _str_list(env.get(key) or [], (*where, "env", key), problems)
    if len(problems.found) > before:
        return DEFAULT_POLICY
    return policy_for(value)


def _level(value: Mapping[str, Any], where: SubPath, problems: _Problems) -> None:
    """A MassGen ``level``: any name (MassGen reads those it does not know as strict:
    :func:`~.policy.massgen_level`), but a name."""
    if "level" in value and not isinstance(value["level"], str):
        problems.add(
            (*where, "level"), f"expected one of {', '.join(LEVELS)}, got {type(value['level']).__name__}"
        )


def _choice(
    value: Mapping[str, Any], key: str, choices: Sequence[str], where: SubPath, problems: _Problems
) -> None:
    if key in value and value[key] not in choices:
        given = value[key]
        close = suggestion(given, choices) if isinstance(given, str) else ""
        problems.add((*where, key), f"expected one of {', '.join(choices)}, got {given!r}{close}")


def check_entries(entries: Sequence[ServerEntry], *, source: str | None = None) -> None:
    """Check names (valid, unique) and every entry against its launch policy.

    :raises ConfigError: every problem, each with where the server was declared.
    """
    issues: list[ConfigIssue] = []
    seen: dict[str, ServerEntry] = {}
    for entry in entries:
        if not _NAME.match(entry.name) or "__" in entry.name:
            message = f"server name {entry.name!r} must be 1-50 letters, digits, '_' or '-', without '__'"
            issues.append(ConfigIssue(message, file=source, path=entry.origin))
        elif entry.name in seen:
            message = f"the MCP server name {entry.name!r} is also used by {seen[entry.name].origin}"
            issues.append(ConfigIssue(message, file=source, path=entry.origin))
        seen.setdefault(entry.name, entry)
        if entry.check:
            issues += [
                ConfigIssue(
                    f"MCP server {entry.name!r}: {message}", file=source, path=_below(entry.origin, sub)
                )
                for sub, message in check_spec(entry.spec, entry.policy)
            ]
    if issues:
        raise ConfigError(issues)
