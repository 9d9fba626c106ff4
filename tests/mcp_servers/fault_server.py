"""An MCP server that misbehaves on request: slow, crashing, hanging and erroring tools.

Run: ``python fault_server.py [--exit-at-start] [--http PORT]`` (stdio by default).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

server = MCPServer("fault-server", log_level="ERROR")
_calls = {"n": 0}


@server.tool()
def echo(text: str) -> str:
    """Return the text."""
    _calls["n"] += 1
    return f"echo: {text}"


@server.tool()
def calls() -> str:
    """How many echo calls this server process has answered, and its pid."""
    return f"calls={_calls['n']} pid={os.getpid()}"


@server.tool()
async def slow(seconds: float) -> str:
    """Answer after ``seconds``."""
    await asyncio.sleep(seconds)
    return f"slept {seconds}"


@server.tool()
def fail(message: str) -> str:
    """Raise an error (a tool error result, not a crash)."""
    raise ToolError(message)


@server.tool()
def crash() -> str:
    """Exit the process at once, mid-call."""
    os._exit(3)


@server.tool()
async def hang() -> str:
    """Block the whole server (its event loop) forever: it answers nothing after this."""
    while True:
        time.sleep(3600)


@server.tool()
def write_file(path: str, content: str) -> str:
    """Write a file wherever asked (to test the sandbox around the server)."""
    try:
        Path(path).write_text(content)
    except OSError as exc:
        raise ToolError(f"{exc.strerror}: {path}") from None
    return f"wrote {path}"


def main() -> None:
    args = sys.argv[1:]
    if "--exit-at-start" in args:
        print("fault server: exiting at start as asked", file=sys.stderr, flush=True)
        sys.exit(2)
    if "--http" in args:
        port = int(args[args.index("--http") + 1])
        server.run("streamable-http", host="127.0.0.1", port=port)
    else:
        server.run()


if __name__ == "__main__":
    main()
