"""``patchgate install-hook``: run ``patchgate review --staged`` before every commit.

The hook names the interpreter that installed it by its absolute path: patchgate
lives in a virtual environment that is rarely on PATH inside ``git commit``
(an IDE, a GUI client, a shell without the venv activated), and a hook that
cannot find its program would block every commit with a cryptic message.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from core.atomic import atomic_write_text
from core.console import out
from core.errors import InputError

CLI_MODULE = "patchgate"  # `python -m` runs its __main__, the CLI
HOOK = """#!/bin/sh
# Installed by `patchgate install-hook`: gate the staged change before it is committed.
# Configure it in [tool.patchgate.review] (e.g. tests = "none" for a fast hook); skip once with --no-verify.
python={python}
if [ ! -x "$python" ]; then
    echo "patchgate hook: $python is gone (was its virtual environment moved or deleted?)." >&2
    echo "Reinstall the hook with the patchgate you use now: patchgate install-hook --force" >&2
    echo "(or commit once without it: git commit --no-verify)" >&2
    exit 1
fi
exec "$python" -P -m {package} review --staged
"""


def hook_text(python: str | None = None) -> str:
    """The hook script, calling ``python`` (default: this interpreter, as the venv names it, links unresolved)."""
    return HOOK.format(python=shlex.quote(python or sys.executable), package=CLI_MODULE)


def install_hook(root: Path, force: bool = False) -> Path:
    """Write the pre-commit hook of the repository at ``root``; an existing hook is kept unless ``force``."""
    from core.git import open_repo

    repo = open_repo(root)
    hooks = Path(repo.git.rev_parse("--git-path", "hooks"))
    hooks = hooks if hooks.is_absolute() else Path(repo.working_tree_dir or root) / hooks
    target = hooks / "pre-commit"
    if target.exists() and not force:
        raise InputError(f"{target} already exists; rerun with --force to replace it")
    hooks.mkdir(parents=True, exist_ok=True)
    atomic_write_text(target, hook_text(), mode=0o755)
    return target


@click.command("install-hook")
@click.option("--repo", type=click.Path(path_type=Path), default=".", help="Repository (default: here).")
@click.option("--force", is_flag=True, help="Replace an existing pre-commit hook.")
def install_hook_command(repo: Path, force: bool) -> None:
    """Install a git pre-commit hook that runs `patchgate review --staged`."""
    from core.git import repo_root
    from core.settings import resolve
    from tools.environments import resolve_environment

    target = install_hook(repo, force)
    out.print(f"installed {target}", markup=False)
    root = repo_root(repo)
    environment = resolve_environment(root, resolve(root, base="HEAD").tests, build=False)
    out.print(f"its tests will run in {environment.how}", markup=False, soft_wrap=True)
