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
"""

from __future__ import annotations

import fnmatch
import ipaddress
import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs

from ...plugin.specs import McpServerSpec

__all__ = ["DEFAULT_POLICY", "LaunchPolicy", "SubPath", "check_spec", "policy_for"]

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


@attrs.frozen(kw_only=True)
class LaunchPolicy:
    """What a server entry may run or connect to (see the module docstring for the defaults)."""

    allowed_executables: frozenset[str] = DEFAULT_EXECUTABLES
    allowed_patterns: tuple[str, ...] = DEFAULT_PATTERNS
    allow_shell_metacharacters: bool = False
    allow_any_host: bool = False
    denied_env: frozenset[str] = DENIED_ENV
    denied_ports: frozenset[int] = DENIED_PORTS

    def executable_allowed(self, executable: str) -> bool:
        name = os.path.basename(executable)
        for suffix in (".exe", ".cmd", ".bat"):
            name = name.removesuffix(suffix)
        return name in self.allowed_executables or any(
            fnmatch.fnmatchcase(name, p) for p in self.allowed_patterns
        )


DEFAULT_POLICY = LaunchPolicy()

SECURITY_KEYS = ("allowed_executables", "allow_shell_metacharacters", "allow_any_host")


def policy_for(security: Mapping[str, Any] | None, base: LaunchPolicy = DEFAULT_POLICY) -> LaunchPolicy:
    """``base`` widened by a server's ``security:`` mapping (keys already validated)."""
    if not security:
        return base
    extra = security.get("allowed_executables") or ()
    return attrs.evolve(
        base,
        allowed_executables=base.allowed_executables | frozenset(extra),
        allow_shell_metacharacters=bool(
            security.get("allow_shell_metacharacters", base.allow_shell_metacharacters)
        ),
        allow_any_host=bool(security.get("allow_any_host", base.allow_any_host)),
    )


def find_executable(command: str, env: Mapping[str, str], cwd: str | None) -> str | None:
    """The executable ``command`` names (a path, or a name looked up on ``PATH``), if it exists."""
    if os.sep in command or (os.altsep and os.altsep in command):
        path = Path(command) if os.path.isabs(command) else Path(cwd or os.getcwd()) / command
        return str(path) if path.is_file() and os.access(path, os.X_OK) else None
    return shutil.which(command, path=env.get("PATH", os.environ.get("PATH", os.defpath)))


def check_spec(spec: McpServerSpec, policy: LaunchPolicy = DEFAULT_POLICY) -> Problems:
    """Problems with ``spec`` as ``(where in the server, message)`` pairs; empty when it may be launched."""
    if spec.transport == "stdio":
        return _check_stdio(spec, policy)
    return _check_url(spec, policy)


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
    elif find_executable(command, spec.env, spec.cwd) is None:
        problems.append(
            (("command",), f"command {command!r} was not found (not on PATH, or not an executable file)")
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
    if spec.cwd is not None and not Path(spec.cwd).is_dir():
        problems.append((("cwd",), f"working directory {spec.cwd!r} does not exist"))
    problems += _check_env(spec.env, policy)
    return problems


def _check_env(env: Mapping[str, str], policy: LaunchPolicy) -> Problems:
    problems: Problems = []
    for name, value in env.items():
        if not _ENV_NAME.match(name):
            problems.append((("env", name), f"{name!r} is not a valid environment variable name"))
        elif name in policy.denied_env or name.startswith("DYLD_"):
            problems.append(
                (
                    ("env", name),
                    f"{name} may not be set for an MCP server: it makes the process load foreign code",
                )
            )
        elif "\x00" in value:
            problems.append((("env", name), "the value contains a NUL character"))
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
    if parts.hostname and not policy.allow_any_host and (reason := _refused_address(parts.hostname)):
        problems.append(
            (("url",), f"{parts.hostname} is {reason}; set `security: {{allow_any_host: true}}` to allow it")
        )
    for name, value in spec.headers.items():
        if not _HEADER_NAME.match(name):
            problems.append((("headers", name), f"{name!r} is not a valid HTTP header name"))
        elif any(c in value for c in "\r\n\x00"):
            problems.append((("headers", name), "the value contains line breaks or NUL"))
    return problems


def _refused_address(host: str) -> str | None:
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None  # a host name: not resolved here
    if address.is_unspecified:
        return "the unspecified address"
    if address.is_link_local:
        return "a link-local address (cloud metadata services live there)"
    if address.is_multicast:
        return "a multicast address"
    if address.is_reserved:
        return "a reserved address"
    return None
