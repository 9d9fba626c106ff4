"""MCP servers the tests write with the ``mcp`` SDK."""
