"""``patchgate install-hook``: run ``patchgate review --staged`` before every commit."""

from __future__ import annotations

from pathlib import Path

import click
from patchgate.atomic import atomic_write_text
from patchgate.console import out
from patchgate.errors import InputError

HOOK = """#!/bin/sh
# Installed by `patchgate install-hook`: gate the staged change before it is committed.
# Configure it in [tool.patchgate.review] (e.g. tests = "none" for a fast hook); skip once with --no-verify.
exec patchgate review --staged
"""


def install_hook(root: Path, force: bool = False) -> Path:
    """Write the pre-commit hook of the repository at ``root``; an existing hook is kept unless ``force``."""
    from patchgate.git import open_repo

    repo = open_repo(root)
    hooks = Path(repo.git.rev_parse("--git-path", "hooks"))
    hooks = hooks if hooks.is_absolute() else Path(repo.working_tree_dir or root) / hooks
    target = hooks / "pre-commit"
    if target.exists() and not force:
        raise InputError(f"{target} already exists; rerun with --force to replace it")
    hooks.mkdir(parents=True, exist_ok=True)
    atomic_write_text(target, HOOK, mode=0o755)
    return target


@click.command("install-hook")
@click.option("--repo", type=click.Path(path_type=Path), default=".", help="Repository (default: here).")
@click.option("--force", is_flag=True, help="Replace an existing pre-commit hook.")
def install_hook_command(repo: Path, force: bool) -> None:
    """Install a git pre-commit hook that runs `patchgate review --staged`."""
    target = install_hook(repo, force)
    out.print(f"installed {target}")
