"""Startup guard: loading every installed plugin and listing them imports no provider SDK (nor
a command plugin's heavy dependencies)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SDKS = (
    "openai",
    "anthropic",
    "google.genai",
    "mcp",
    "autogen",
    "ag2",
    "claude_agent_sdk",
    "llama_cpp",
    "xllamacpp",
    "jinja2",
    "httpx2",
    "docker",
    "ray",
    "starlette",  # massgen-serve's web stack: imported when `massgen serve` runs, not at load
    "uvicorn",
)

PROBE = f"""
import json, sys
from massgen_core.host.plugin_host import get_host
from massgen_core.host.registry import get_registry
from massgen_core.host.capability_table import render_markdown
host = get_host()
registry = get_registry(host)
render_markdown(registry)
loaded = [r.name for r in host.records.values() if r.ok]
print(json.dumps({{"loaded": loaded, "sdks": [m for m in {SDKS!r} if m in sys.modules]}}))
"""


def test_loading_plugins_imports_no_provider_sdk() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    data = json.loads(out.stdout)
    assert "testplugin" in data["loaded"]
    assert data["sdks"] == []


def test_cli_listing_commands_import_no_provider_sdk() -> None:
    code = (
        "import sys, runpy\n"
        "sys.argv = ['massgen', 'backends', '--json']\n"
        "from massgen_core.cli import main\n"
        "import io, contextlib\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['backends', '--json'])\n"
        "    main(['plugins', '--json'])\n"
        "    main(['capabilities'])\n"
        f"print([m for m in {SDKS!r} if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


#: modules that cost milliseconds and that listing plugins does not need: slow standard-library
#: ones, and attrs (a third of `massgen backends --json`: the declarations are dataclasses)
SLOW_STDLIB = ("pathlib", "urllib.parse", "importlib.metadata", "email", "difflib", "attr", "attrs")


def test_a_warm_listing_imports_none_of_the_slow_stdlib_modules(tmp_path: Path) -> None:
    code = (
        "import sys, io, contextlib\n"
        "from massgen_core.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['plugins', '--json'])\n"
        "    main(['backends', '--json'])\n"
        f"print([m for m in {SLOW_STDLIB!r} if m in sys.modules])\n"
    )
    env = {**os.environ, "MASSGEN_CACHE_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)  # warms
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "[]"
