"""Tools and workspaces: the tool interface and Python tools, each agent's toolbox, MCP servers,
``execute_command`` and its sandbox, workspaces, snapshots and file access."""
