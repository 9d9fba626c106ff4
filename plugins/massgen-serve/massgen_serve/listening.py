"""Where a command listens, and the rule that keeps it safe: ``--host``, ``--port``, ``--api-key``.

Both commands (``massgen serve``, ``massgen view``) bind 127.0.0.1 by default. Binding an
address other machines can reach needs at least one key (``--api-key`` or
``MASSGEN_SERVE_API_KEY``): without one the command refuses to start, since anyone who can reach
the port could run the teams on your providers' keys, or read every answer they gave.
"""

from __future__ import annotations

import argparse
import ipaddress
import os

import massgen_core

from .auth import ENV_VAR, Keys

__all__ = ["add_listening_options", "is_loopback", "keys_for"]


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("a port is 0 (any free port) to 65535")
    return value


def add_listening_options(parser: argparse.ArgumentParser, *, port: int) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=_port, default=port, help=f"port to bind (default {port}; 0 picks a free one)"
    )
    parser.add_argument(
        "--api-key",
        metavar="KEY",
        action="append",
        default=[],
        help=f"a bearer key clients must send; repeatable (or {ENV_VAR}=KEY[,KEY...], which keeps "
        "keys out of the process list); required unless the host is a loopback address",
    )


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach ``host``: ``localhost`` or a loopback address."""
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def keys_for(args: argparse.Namespace, *, exposes: str) -> Keys:
    """The keys of ``--api-key`` and the environment, masked in all MassGen prints; refuses a
    host other machines reach without one (``exposes``: what they could do then)."""
    keys = Keys.gather(args.api_key, os.environ)
    for key in keys.values:
        massgen_core.remember_secret(key)
    if not keys and not is_loopback(args.host):
        raise massgen_core.MassgenError(
            f"refusing to serve on {args.host} without an API key: anyone who can reach it could "
            f"{exposes}. Set {ENV_VAR}=KEY (or --api-key KEY) and give clients the key, or bind "
            f"--host 127.0.0.1"
        )
    return keys
