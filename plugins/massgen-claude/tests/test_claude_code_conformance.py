"""The core's conformance suite for ``claude_code``: the real bundled Claude Code CLI against the
fake Messages API. Claude Code names MassGen's tools ``mcp__massgen__<name>`` on the wire and runs
its own agent loop, so the tool-call tests, which script bare tool names for one request, do not
apply; tools and coordination are covered in test_claude_code_cli.py."""

from __future__ import annotations

import pytest
from massgen_core.testing.conformance import BackendConformance

pytest.importorskip("claude_agent_sdk")


class TestClaudeCode(BackendConformance):
    backend_type = "claude_code"
    model = "claude-sonnet-4-5"
    wire = "anthropic"
    skip_tool_calls = "Claude Code calls MassGen's tools as mcp__massgen__<name> inside its own loop"
    skip_coordination = "covered with the real CLI in test_claude_code_cli.py"
