"""``patchgate trust [PATH]``: let this repository's model server receive your API key.

A repository's ``model = "openai:NAME@URL"`` is a suggestion; without this
command your ``OPENAI_API_KEY`` is not sent to a server only the repository
names. The answer is kept in your own config folder, per repository and server,
so a later change of the repository's server asks again.

``patchgate trust --config`` approves the patchgate settings you staged: your
next commit (through the hook) is judged under them instead of being refused
for changing the rules that judge it. Only that exact table is approved.
"""

from __future__ import annotations

from pathlib import Path

import click

from core.console import out


@click.command("trust")
@click.argument("path", type=click.Path(path_type=Path), default=".")
@click.option("--revoke", is_flag=True, help="Forget every server trusted for this repository.")
@click.option(
    "--config",
    "settings",
    is_flag=True,
    help="Approve the staged [tool.patchgate] settings, so your commit that changes them passes the hook.",
)
def trust_command(path: Path, revoke: bool, settings: bool) -> None:
    """Allow the model server named by the repository at PATH to receive your OPENAI_API_KEY (or, with
    --config, approve the patchgate settings you staged)."""
    from agent.models.registry import parse_spec
    from core.config import load_table
    from core.git import repo_root
    from core.settings import model_string
    from core.trust import origin, trust
    from core.trust import revoke as forget

    root = repo_root(path)
    if settings:
        _approve_staged(root)
        return
    if revoke:
        message = "no longer trusted" if forget(root) else "was not trusted"
        out.print(f"{root}: {message}", markup=False, soft_wrap=True)
        return
    spec = model_string(load_table(root).get("model"), "[tool.patchgate] model")
    url = parse_spec(spec).base_url if spec else None
    if url is None:
        out.print(f"{root}: its configuration names no model server; nothing to trust", markup=False, soft_wrap=True)
        return
    record = trust(root, url)
    out.print(
        f"trusted: {origin(url)} may receive your OPENAI_API_KEY when you work in {root} "
        f"(recorded in {record}; undo with `patchgate trust --revoke`)",
        markup=False,
        soft_wrap=True,
    )


def _approve_staged(root: Path) -> None:
    """Record the staged ``[tool.patchgate]`` table (what the next commit will hold) as approved."""
    from core.config import load_table_from
    from core.git import file_at, open_repo
    from core.trust import approve_settings

    repo = open_repo(root)
    table = load_table_from(lambda name: file_at(repo, "", name))  # "" + ":name" reads the index
    record = approve_settings(root, table)
    shown = ", ".join(sorted(table)) or "no patchgate settings"
    out.print(
        f"approved the staged patchgate settings of {root} ({shown}); your commits are judged under them "
        f"(recorded in {record})",
        markup=False,
        soft_wrap=True,
    )
