"""The ``claude_code`` backend: Claude Code (the CLI bundled in claude-agent-sdk) as a MassGen agent.

:mod:`.spec` declares it (no SDK import); :mod:`.backend` implements it and is imported only when
a ``claude_code`` backend is built. Each request runs the Claude Code CLI once, in the agent's
workspace, with MassGen's tools offered as in-process MCP tools and every path its own file
tools touch checked against the agent's permissions.
"""
