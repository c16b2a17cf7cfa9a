"""The gates in front of the coding agents people already run: agent hooks, the MCP server, their verdicts."""
