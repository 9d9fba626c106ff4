"""The version of massgen-core (one place: the package, the CLI and MCP client info read it)."""

__version__ = "0.1.0"
