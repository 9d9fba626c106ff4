"""The launch policy: what an MCP server entry may run or connect to, checked before launch.

Defaults (each can be widened per server with a ``security:`` mapping, see :func:`policy_for`):

* **stdio command**: the executable's base name must be a known launcher — ``python``/``python3``/
  ``python3.N``, ``uv``, ``uvx``, ``pipx``, ``node``, ``nodejs``, ``npx``, ``npm``, ``pnpm``,
  ``pnpx``, ``yarn``, ``bun``, ``bunx``, ``deno``, ``docker``, ``podman``, ``java``, ``go``,
  ``cargo``, ``ruby``, ``dotnet``, ``fastmcp`` — or match ``mcp-server-*``, ``mcp-*``, ``*-mcp``,
  ``*-mcp-server``. Shells (``sh``, ``bash``...) are not launchers: a server command is run
  directly, never through a shell. ``security.allowed_executables`` adds names.
* it must exist: an absolute or ``./relative`` path to an executable file, or a name on ``PATH``.
* no shell metacharacters in the executable (``; & | ` $ < > ( ) { } * ? [ ] !``, spaces, newlines),
  and in the arguments none of ``; & | ` $( ${ < >``, newlines or NUL — servers are run without a
  shell, so these only appear when a shell command line was pasted into the config; set
  ``security.allow_shell_metacharacters: true`` to pass such arguments through anyway.
  At most 100 arguments of at most 4096 characters.
* **env**: names are ``[A-Za-z_][A-Za-z0-9_]*``; names that make a process load foreign code are
  refused: ``LD_PRELOAD``, ``LD_LIBRARY_PATH``, ``LD_AUDIT``, ``DYLD_*``, ``PYTHONSTARTUP``,
  ``PYTHONPATH``, ``PYTHONHOME``, ``NODE_OPTIONS``, ``NODE_PATH``, ``BASH_ENV``, ``ENV``, ``PERL5OPT``,
  ``RUBYOPT``, ``JAVA_TOOL_OPTIONS``. A server gets only ``HOME``, ``LOGNAME``, ``PATH``, ``SHELL``,
  ``TERM`` and ``USER`` from MassGen's environment, plus its ``env``: API keys are not passed on
  unless the entry names them (``env: {API_KEY: "${MY_KEY}"}``).
* **url** (streamable HTTP): ``http`` or ``https`` with a host, no ``user:password@`` (use
  ``headers``), a valid port that is not a well-known non-HTTP service port (22, 23, 25, 53, 110,
  135, 139, 143, 445, 1433, 1521, 3306, 3389, 5432, 5900, 6379, 11211, 27017), and not a
  link-local (cloud metadata), multicast, unspecified or reserved IP address — loopback and
  private addresses are fine (``security.allow_any_host: true`` lifts the address check).

A ``security:`` block written with MassGen's keys (``level``, ``env``, ``allow_localhost``,
``allow_private_ips``, ``resolve_dns``, ``allowed_hostnames``) is read with MassGen's meaning,
MassGen's defaults for the keys it leaves out, and this policy's own refusals on top (so the
result is the same as MassGen's or stricter), see :func:`policy_for`:

* ``level`` (default ``strict``) picks MassGen's launcher list for that level, without the shells
  MassGen lists (servers never run through a shell here) and without the name patterns above;
  ``allowed_executables`` then *replaces* the list, as in MassGen;
* ``env`` (``mode: denylist|allowlist``, ``allowed_vars``, ``denied_vars``, ``level``): names are
  compared case-insensitively; ``strict`` also refuses ``PATH``, ``HOME``, ``USER``, ``USERNAME``,
  ``SHELL``; every level refuses ``PWD`` and ``OLDPWD``; ``denied_vars`` replaces the level's
  list; ``allowlist`` refuses every name not in ``allowed_vars``; values may not hold ``$(``,
  backticks, ``${``, ``||``, ``&&``, ``;`` or ``|``. The names this policy always refuses stay refused;
* URLs: loopback addresses and ``localhost`` are refused unless ``allow_localhost`` (or
  ``allow_private_ips``), private addresses unless ``allow_private_ips``; a host in
  ``allowed_hostnames`` skips these two checks; ``resolve_dns`` checks the addresses a host name
  resolves to as well. Link-local, multicast, unspecified and reserved addresses stay refused
  (``allow_private_ips`` lifts them in MassGen, not here; only ``allow_any_host`` does).
"""

from __future__ import annotations

import fnmatch
import ipaddress
import os
import re
import shutil
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs

from ...plugin.specs import McpServerSpec

__all__ = [
    "DEFAULT_POLICY",
    "ENV_MODES",
    "ENV_POLICY_KEYS",
    "LEVELS",
    "SECURITY_KEYS",
    "LaunchPolicy",
    "SubPath",
    "check_spec",
    "describe_policy",
    "is_massgen_security",
    "massgen_level",
    "policy_for",
    "spec_problems",
]

#: A position inside an ``mcp_servers`` value or one server: keys and list indices (``(1, "args", 0)``).
SubPath = tuple[str | int, ...]
Problems = list[tuple[SubPath, str]]

DEFAULT_EXECUTABLES = frozenset(
    {
        "python",
        "python3",
        "py",
        "uv",
        "uvx",
        "pipx",
        "node",
        "nodejs",
        "npx",
        "npm",
        "pnpm",
        "pnpx",
        "yarn",
        "bun",
        "bunx",
        "deno",
        "docker",
        "podman",
        "java",
        "go",
        "cargo",
        "ruby",
        "dotnet",
        "fastmcp",
    }
)
DEFAULT_PATTERNS = ("python3.*", "mcp-server-*", "mcp-*", "*-mcp", "*-mcp-server")
DENIED_ENV = frozenset(
    {
        "LD_PRELOAD",
        "LD_LIBRARY_PATH",
        "LD_AUDIT",
        "PYTHONSTARTUP",
        "PYTHONPATH",
        "PYTHONHOME",
        "NODE_OPTIONS",
        "NODE_PATH",
        "BASH_ENV",
        "ENV",
        "PERL5OPT",
        "RUBYOPT",
        "JAVA_TOOL_OPTIONS",
    }
)
DENIED_PORTS = frozenset(
    {22, 23, 25, 53, 110, 135, 139, 143, 445, 1433, 1521, 3306, 3389, 5432, 5900, 6379, 11211, 27017}
)

_EXECUTABLE_META = re.compile(r"[;&|`$<>(){}*?\[\]!\s\x00]")
_ARGUMENT_META = re.compile(r"[;&|`<>\n\r\x00]|\$\(|\$\{")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+\Z")
MAX_ARGS = 100
MAX_ARG_LENGTH = 4096


#: MassGen's launcher lists per ``security.level`` (mcp_tools/security.py), without its shells
#: (``sh``, ``bash``, ``zsh``, ``fish``, ``powershell``, ``pwsh``, ``cmd``): never launchers here
_MASSGEN_STRICT = frozenset(
    {
        *(f"python3.{minor}" for minor in range(8, 15)),
        "python",
        "python3",
        "py",
        "uv",
        "uvx",
        "pipx",
        "pip",
        "pip3",
        "node",
        "npm",
        "npx",
        "yarn",
        "pnpm",
        "bun",
        "deno",
        "java",
        "ruby",
        "go",
        "rust",
        "cargo",
        "fastmcp",
    }
)
LEVEL_EXECUTABLES: dict[str, frozenset[str]] = {
    "strict": _MASSGEN_STRICT,
    "moderate": _MASSGEN_STRICT | {"git", "nodejs"},
    "permissive": _MASSGEN_STRICT | {"git", "curl", "wget", "nodejs"},
}
#: env names MassGen refuses per level (besides :data:`DENIED_ENV`, always refused here)
LEVEL_DENIED_ENV: dict[str, frozenset[str]] = {
    "strict": frozenset({"PWD", "OLDPWD", "DYLD_LIBRARY_PATH", "PATH", "HOME", "USER", "USERNAME", "SHELL"}),
    "moderate": frozenset({"PWD", "OLDPWD", "DYLD_LIBRARY_PATH"}),
    "permissive": frozenset({"PWD", "OLDPWD", "DYLD_LIBRARY_PATH"}),
}
LEVELS = tuple(LEVEL_EXECUTABLES)
ENV_MODES = ("denylist", "allowlist")
_ENV_VALUE_META = ("$(", "`", "${", "||", "&&", ";", "|")
_LOCALHOST_NAMES = frozenset({"localhost", "ip6-localhost", "ip6-loopback"})


@attrs.frozen(kw_only=True)
class LaunchPolicy:
    """What a server entry may run or connect to (see the module docstring for the defaults).

    :param allow_loopback: loopback addresses (and ``localhost``) in a URL.
    :param allow_private: private addresses in a URL.
    :param allowed_hostnames: hosts exempt from the loopback and private checks.
    :param resolve_dns: check the addresses a URL's host name resolves to, too.
    :param allowed_env: when set, the only env names a server may be given (upper case).
    :param check_env_values: refuse env values with shell metacharacters (MassGen's check).
    :param massgen_level: the MassGen ``security.level`` the policy was made from, if any.
    """

    allowed_executables: frozenset[str] = DEFAULT_EXECUTABLES
    allowed_patterns: tuple[str, ...] = DEFAULT_PATTERNS
    allow_shell_metacharacters: bool = False
    allow_any_host: bool = False
    allow_loopback: bool = True
    allow_private: bool = True
    allowed_hostnames: frozenset[str] = frozenset()
    resolve_dns: bool = False
    denied_env: frozenset[str] = DENIED_ENV
    allowed_env: frozenset[str] | None = None
    check_env_values: bool = False
    denied_ports: frozenset[int] = DENIED_PORTS
    massgen_level: str | None = None

    def executable_allowed(self, executable: str) -> bool:
        name = os.path.basename(executable)
        for suffix in (".exe", ".cmd", ".bat"):
            name = name.removesuffix(suffix)
        return name in self.allowed_executables or any(
            fnmatch.fnmatchcase(name, p) for p in self.allowed_patterns
        )


DEFAULT_POLICY = LaunchPolicy()

#: this policy's own ``security:`` keys
OWN_SECURITY_KEYS = ("allowed_executables", "allow_shell_metacharacters", "allow_any_host")
#: MassGen's ``security:`` keys (besides ``allowed_executables``)
MASSGEN_SECURITY_KEYS = (
    "level",
    "env",
    "allow_localhost",
    "allow_private_ips",
    "resolve_dns",
    "allowed_hostnames",
)
SECURITY_KEYS = (*OWN_SECURITY_KEYS, *MASSGEN_SECURITY_KEYS)
ENV_POLICY_KEYS = ("mode", "allowed_vars", "denied_vars", "level")


def massgen_level(level: str) -> str:
    """A MassGen ``security.level`` as MassGen reads it: a name it does not know (``high``) is
    ``strict``, as in MassGen's ``_normalize_security_level``."""
    return level if level in LEVELS else "strict"


def is_massgen_security(security: Mapping[str, Any] | None) -> bool:
    """Whether a ``security:`` block uses MassGen's keys (and is read with MassGen's meaning)."""
    return security is not None and any(key in security for key in MASSGEN_SECURITY_KEYS)


def policy_for(security: Mapping[str, Any] | None, base: LaunchPolicy = DEFAULT_POLICY) -> LaunchPolicy:
    """The policy for a server's ``security:`` mapping (keys already validated).

    Without MassGen's keys, ``base`` widened by this policy's own keys (``allowed_executables``
    adds launcher names). With them, MassGen's meaning (see the module docstring).
    """
    if not security:
        return base
    policy = attrs.evolve(
        base,
        allow_shell_metacharacters=bool(
            security.get("allow_shell_metacharacters", base.allow_shell_metacharacters)
        ),
        allow_any_host=bool(security.get("allow_any_host", base.allow_any_host)),
    )
    named = frozenset(security.get("allowed_executables") or ())
    if not is_massgen_security(security):
        return attrs.evolve(policy, allowed_executables=base.allowed_executables | named)
    level = massgen_level(str(security.get("level", "strict")))
    env: Mapping[str, Any] = security.get("env") or {}
    env_level = massgen_level(str(env.get("level", level)))
    denied_vars = frozenset(str(v).upper() for v in env.get("denied_vars") or ())
    allowed_vars = frozenset(str(v).upper() for v in env.get("allowed_vars") or ())
    allow_private = bool(security.get("allow_private_ips", False))
    return attrs.evolve(
        policy,
        allowed_executables=named or LEVEL_EXECUTABLES[level],
        allowed_patterns=(),
        allow_loopback=bool(security.get("allow_localhost", False)) or allow_private,
        allow_private=allow_private,
        allowed_hostnames=frozenset(str(h).lower() for h in security.get("allowed_hostnames") or ()),
        resolve_dns=bool(security.get("resolve_dns", False)),
        denied_env=DENIED_ENV | (denied_vars or LEVEL_DENIED_ENV[env_level]),
        allowed_env=allowed_vars if env.get("mode") == "allowlist" and allowed_vars else None,
        check_env_values=True,
        massgen_level=level,
    )


def describe_policy(policy: LaunchPolicy) -> str:
    """What a policy made from a MassGen ``security:`` block allows, in one line (for reports)."""
    names = sorted(policy.allowed_executables)
    versions = [n for n in names if re.fullmatch(r"python3\.\d+", n)]
    if len(versions) > 2:  # python3.8 ... python3.14 as one range
        by_minor = sorted(versions, key=lambda n: int(n.rsplit(".", 1)[1]))
        names = [n for n in names if n not in versions] + [f"{by_minor[0]}-{by_minor[-1].rsplit('.', 1)[1]}"]
    launchers = ", ".join(names)
    hosts = []
    if policy.allow_any_host:
        hosts.append("any address")
    else:
        hosts.append("loopback allowed" if policy.allow_loopback else "loopback refused")
        hosts.append("private addresses allowed" if policy.allow_private else "private addresses refused")
        hosts.append("link-local, multicast and reserved refused")
    if policy.allowed_hostnames:
        hosts.append(f"exempt hosts: {', '.join(sorted(policy.allowed_hostnames))}")
    if policy.resolve_dns:
        hosts.append("host names resolved and checked")
    env = (
        f"env only {', '.join(sorted(policy.allowed_env))}"
        if policy.allowed_env is not None
        else f"env may not set {', '.join(sorted(policy.denied_env - DENIED_ENV))} (nor the always-refused loader variables)"
    )
    return f"launchers: {launchers}; {env}; URLs: {'; '.join(hosts)}"


def find_executable(command: str, env: Mapping[str, str], cwd: str | None) -> str | None:
    """The executable ``command`` names (a path, or a name looked up on ``PATH``), if it exists."""
    if os.sep in command or (os.altsep and os.altsep in command):
        path = Path(command) if os.path.isabs(command) else Path(cwd or os.getcwd()) / command
        return str(path) if path.is_file() and os.access(path, os.X_OK) else None
    return shutil.which(command, path=env.get("PATH", os.environ.get("PATH", os.defpath)))


def check_spec(spec: McpServerSpec, policy: LaunchPolicy = DEFAULT_POLICY) -> Problems:
    """Problems with ``spec`` as ``(where in the server, message)`` pairs; empty when it may be launched."""
    written, machine = spec_problems(spec, policy)
    return [*written, *machine]


def spec_problems(spec: McpServerSpec, policy: LaunchPolicy = DEFAULT_POLICY) -> tuple[Problems, Problems]:
    """:func:`check_spec`'s problems in two lists: those of the server as written, and those of
    this machine (its program is not installed, its working directory does not exist here)."""
    if spec.transport != "stdio":
        return _check_url(spec, policy), []
    written = _check_stdio(spec, policy)
    machine: Problems = []
    command = spec.command
    if (
        command
        and not any(where == ("command",) for where, _ in written)
        and find_executable(command, spec.env, spec.cwd) is None
    ):
        machine.append(
            (
                ("command",),
                f"command {command!r} was not found (not on PATH, or not an executable file): "
                "install it, or give the full path of the program",
            )
        )
    if spec.cwd is not None and not Path(spec.cwd).is_dir():
        machine.append((("cwd",), f"working directory {spec.cwd!r} does not exist: create it first"))
    return written, machine


def _check_stdio(spec: McpServerSpec, policy: LaunchPolicy) -> Problems:
    problems: Problems = []
    command = spec.command
    if not command:
        return [(("command",), "a stdio server needs `command:` (the program that runs it)")]
    if _EXECUTABLE_META.search(command):
        problems.append(
            (
                ("command",),
                f"{command!r} contains spaces or shell metacharacters: give the program alone and its arguments in `args:`",
            )
        )
    elif not policy.executable_allowed(command):
        problems.append(
            (
                ("command",),
                f"{os.path.basename(command)!r} is not an allowed MCP server launcher "
                f"(allowed: {', '.join(sorted(policy.allowed_executables))}, or names like "
                f"{', '.join(policy.allowed_patterns)}); add it to the server's `security: {{allowed_executables: [...]}}`",
            )
        )
    if len(spec.args) > MAX_ARGS:
        problems.append((("args",), f"too many arguments ({len(spec.args)}; at most {MAX_ARGS})"))
    for i, arg in enumerate(spec.args):
        if len(arg) > MAX_ARG_LENGTH:
            problems.append((("args", i), f"argument longer than {MAX_ARG_LENGTH} characters"))
        elif "\x00" in arg or (not policy.allow_shell_metacharacters and _ARGUMENT_META.search(arg)):
            problems.append(
                (
                    ("args", i),
                    f"argument {arg!r} contains shell metacharacters; servers run without a shell, so this is "
                    "probably a pasted command line (set `security: {allow_shell_metacharacters: true}` if it is meant)",
                )
            )
    problems += _check_env(spec.env, policy)
    return problems


def _check_env(env: Mapping[str, str], policy: LaunchPolicy) -> Problems:
    problems: Problems = []
    for name, value in env.items():
        upper = name.upper()
        if not _ENV_NAME.match(name):
            problems.append((("env", name), f"{name!r} is not a valid environment variable name"))
        elif upper in DENIED_ENV or upper.startswith("DYLD_"):
            problems.append(
                (
                    ("env", name),
                    f"{name} may not be set for an MCP server: it makes the process load foreign code",
                )
            )
        elif upper in policy.denied_env:
            problems.append(
                (
                    ("env", name),
                    f"{name} may not be set for this MCP server: its `security:` "
                    f"(level {policy.massgen_level or 'strict'}, or `env.denied_vars`) refuses it",
                )
            )
        elif policy.allowed_env is not None and upper not in policy.allowed_env:
            problems.append(
                (
                    ("env", name),
                    f"{name} is not in the server's `security: {{env: {{allowed_vars: [...]}}}}` "
                    "(mode allowlist): add it there or leave it out",
                )
            )
        elif "\x00" in value:
            problems.append((("env", name), "the value contains a NUL character"))
        elif (
            policy.check_env_values
            and not policy.allow_shell_metacharacters
            and (found := next((m for m in _ENV_VALUE_META if m in value), None))
        ):
            problems.append(
                (
                    ("env", name),
                    f"the value contains {found!r}, which MassGen's `security:` refuses in env values "
                    "(set `allow_shell_metacharacters: true` in it if this is meant)",
                )
            )
    return problems


def _check_url(spec: McpServerSpec, policy: LaunchPolicy) -> Problems:
    url = spec.url
    if not url:
        return [(("url",), "a streamable-http server needs `url:` (e.g. https://host/mcp)")]
    problems: Problems = []
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return [(("url",), f"{url!r} is not a valid URL: {exc}")]
    if parts.scheme not in ("http", "https"):
        problems.append((("url",), f"{url!r}: the scheme must be http or https"))
    if not parts.hostname:
        problems.append((("url",), f"{url!r} has no host"))
    if parts.username or parts.password:
        problems.append((("url",), "credentials in the URL are not allowed: send them in `headers:`"))
    if port is not None and port in policy.denied_ports:
        problems.append((("url",), f"port {port} belongs to a non-HTTP service and is refused"))
    if parts.hostname and not policy.allow_any_host:
        problems += [
            (("url",), message) for message in _host_problems(parts.hostname, port, parts.scheme, policy)
        ]
    for name, value in spec.headers.items():
        if not _HEADER_NAME.match(name):
            problems.append((("headers", name), f"{name!r} is not a valid HTTP header name"))
        elif any(c in value for c in "\r\n\x00"):
            problems.append((("headers", name), "the value contains line breaks or NUL"))
    return problems


def _host_problems(host: str, port: int | None, scheme: str, policy: LaunchPolicy) -> list[str]:
    """Why ``host`` may not be connected to under ``policy`` (empty: it may)."""
    name = host.strip("[]").lower()
    try:
        literal: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(name)
    except ValueError:
        literal = None
    if literal is not None:
        reason = _refused_address(literal, policy, exempt=name in policy.allowed_hostnames)
        return [f"{host} is {reason}"] if reason else []
    if name in policy.allowed_hostnames:
        exempt = True
    else:
        exempt = False
        if not policy.allow_loopback and (name in _LOCALHOST_NAMES or name.endswith(".localhost")):
            return [f"{host} is a loopback host name; {_MASSGEN_LOOPBACK_HINT}"]
    if not policy.resolve_dns:
        return []
    try:
        infos = socket.getaddrinfo(name, port or (443 if scheme == "https" else 80), proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        return [f"cannot resolve {host} ({exc}); `resolve_dns: true` needs the name to resolve"]
    out = []
    for info in infos:
        try:
            address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        except ValueError:
            continue
        if reason := _refused_address(address, policy, exempt=exempt):
            out.append(f"{host} resolves to {address}, {reason}")
    return out[:1]


_MASSGEN_LOOPBACK_HINT = "set `allow_localhost: true` in the server's `security:` to allow it"


def _refused_address(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, policy: LaunchPolicy, *, exempt: bool = False
) -> str | None:
    """Why ``address`` is refused under ``policy``, or ``None``. ``exempt``: the host is in
    ``allowed_hostnames`` (no loopback and private checks)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if (reason := _never_address(address)) is not None:
        return f"{reason}; set `security: {{allow_any_host: true}}` to allow it"
    if exempt:
        return None
    if address.is_loopback and not policy.allow_loopback:
        return f"a loopback address; {_MASSGEN_LOOPBACK_HINT}"
    if address.is_private and not address.is_loopback and not policy.allow_private:
        return "a private address; set `allow_private_ips: true` in the server's `security:` to allow it"
    return None


def _never_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why ``address`` is refused whatever ``security:`` says (but ``allow_any_host``)."""
    if address.is_unspecified:
        return "the unspecified address"
    if address.is_link_local:
        return "a link-local address (cloud metadata services live there)"
    if address.is_multicast:
        return "a multicast address"
    if address.is_reserved:
        return "a reserved address"
    return None
