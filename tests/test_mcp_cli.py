"""End to end through the ``massgen`` command: a scripted agent calls an MCP server's tool,
``execute_command``, and writes to a context path while it gives the final answer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from mcp_servers.registry import FAULT_SERVER

from massgen_core.tools.sandbox import available as landlock_available

pytestmark = pytest.mark.skipif(
    not landlock_available(), reason="Landlock is not available (execute_command is confined)"
)


def test_a_scripted_agent_uses_mcp_tools_commands_and_a_context_path(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / ".env").write_text("KEY=1\n")
    config = {
        "agent": {
            "id": "solo",
            "backend": {
                "type": "scripted",
                "cwd": "workspace",
                "enable_mcp_command_line": True,
                "mcp_servers": [{"name": "fault", "command": sys.executable, "args": [str(FAULT_SERVER)]}],
                "replies": [
                    {
                        "tool_calls": [
                            {"name": "mcp__fault__echo", "arguments": {"text": "from the model"}},
                            {
                                "name": "mcp__command_line__execute_command",
                                "arguments": {"command": "echo built > build.txt && cat build.txt"},
                            },
                        ]
                    },
                    {
                        "tool_calls": [
                            {
                                "name": "write_file",
                                "arguments": {"path": str(project / "REPORT.md"), "content": "# Done\n"},
                            },
                            {
                                "name": "write_file",
                                "arguments": {"path": str(project / ".env"), "content": "stolen"},
                            },
                        ]
                    },
                    "The report is written.",
                ],
            },
        },
        "orchestrator": {
            "context_paths": [{"path": str(project), "permission": "write", "protected_paths": [".env"]}]
        },
        "ui": {"display_type": "simple", "logging_enabled": True},
    }
    path = tmp_path / "run.yaml"
    path.write_text(json.dumps(config))  # JSON is YAML
    out = subprocess.run(
        [sys.executable, "-m", "massgen_core", "--config", str(path), "--no-display", "Write the report"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "The report is written." in out.stdout
    assert (tmp_path / "workspace" / "build.txt").read_text() == "built\n"
    assert (project / "REPORT.md").read_text() == "# Done\n"
    assert (project / ".env").read_text() == "KEY=1\n"
    events = "\n".join(p.read_text() for p in (tmp_path / ".massgen" / "logs").glob("*/events.jsonl"))
    assert "echo: from the model" in events
