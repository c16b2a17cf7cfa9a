"""``patchgate mcp``: serve the gates and the ranking to MCP clients, over stdio or local HTTP."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("mcp")
@click.option(
    "--repo", type=click.Path(path_type=Path), default=".", help="Repository the tools work on (default: here)."
)
@click.option("--http", "http", is_flag=True, help="Serve streamable HTTP on 127.0.0.1 instead of stdio.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, help="Port for --http (default 8765).")
def mcp_command(repo: Path, http: bool, port: int) -> None:
    """Run patchgate's MCP server: review_patch, review_changes, select, localize, context."""
    from agent.integrations.mcp_server import build_server
    from core.git import repo_root

    server = build_server(repo_root(repo))
    if http:
        server.run("streamable-http", host="127.0.0.1", port=port)
    else:
        server.run("stdio")
