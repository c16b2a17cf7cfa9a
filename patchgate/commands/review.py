"""``patchgate review``: run the gates on staged changes, a revision range or a patch file."""

from __future__ import annotations

import json
import os
import sys
from functools import partial
from pathlib import Path

import click

from core.atomic import atomic_write_text
from core.console import emit_json, err, out
from core.errors import GateFailure, InputError
from tools.options import switchable_gates


def read_patch(source: str) -> str:
    """The patch text from a file or ``-`` (stdin), read only up to the size limit; bad input is an InputError."""
    from tools.candidate import MAX_PATCH_CHARS, check_size, too_large

    try:
        if source == "-":
            data = sys.stdin.buffer.read(MAX_PATCH_CHARS + 1)
        else:
            with open(source, "rb") as handle:  # a bounded read: never the whole of /dev/zero
                data = handle.read(MAX_PATCH_CHARS + 1)
    except OSError as exc:
        raise InputError(f"cannot read patch {source}: {exc}") from None
    if len(data) > MAX_PATCH_CHARS:
        raise too_large(f"patch {source}")
    text = data.decode("utf-8", "surrogateescape")  # a patch may carry files in other encodings
    check_size(text, f"patch {source}")
    if not text.strip():
        raise InputError(f"patch {source} is empty")
    return text


@click.command("review")
@click.argument("rev_range", required=False)
@click.option("--staged", is_flag=True, help="Review what `git commit` would record.")
@click.option("--patch", "patch_file", help="Review a unified diff from a file, or - for stdin.")
@click.option("--base", default=None, help="Revision the patch applies to (default HEAD; a range uses its left side).")
@click.option("--repo", type=click.Path(path_type=Path), default=".", help="Repository (default: here).")
@click.option(
    "--origin",
    type=click.Choice(["human", "model"]),
    default="human",
    show_default=True,
    help="Who wrote the change: you, or a model (the reviewer rules for model patches then apply).",
)
@click.option(
    "--tests",
    "tests_mode",
    type=click.Choice(["related", "all", "none"]),
    default=None,
    help="Which tests to run (default: config, else related).",
)
@click.option("--timeout", type=click.FloatRange(min=1), default=None, help="Seconds the test run may take.")
@click.option(
    "--tests-env",
    "tests_env",
    type=click.Choice(["auto", "build"]),
    default=None,
    help="Where tests run: the project's own environment (auto), or one built with uv and cached (build).",
)
@click.option(
    "--usage",
    type=click.Choice(["commercial", "non-commercial", "unspecified"]),
    default=None,
    help="How the project is used, for the license gate.",
)
@click.option(
    "--skip", "skip", type=click.Choice(switchable_gates()), multiple=True, help="Turn a gate off (repeatable)."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON line.")
@click.option(
    "--sarif", "sarif_file", type=click.Path(dir_okay=False, path_type=Path), help="Also write SARIF 2.1.0 here."
)
@click.option(
    "--github",
    "github_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write markdown review comments (with suggestions) here.",
)
def review_command(
    rev_range: str | None,
    staged: bool,
    patch_file: str | None,
    base: str | None,
    repo: Path,
    origin: str,
    tests_mode: str | None,
    timeout: float | None,
    tests_env: str | None,
    usage: str | None,
    skip: tuple[str, ...],
    as_json: bool,
    sarif_file: Path | None,
    github_file: Path | None,
) -> None:
    """Gate a change in an isolated worktree: the uncommitted changes (no argument), --staged, one commit REV,
    a range (main..HEAD) or --patch FILE.

    Exit 0 when every gate passed, 1 when one failed, 2 on bad input.
    """
    from core.git import open_repo, range_diff, range_sides, repo_root, resolve_rev, staged_diff, uncommitted_diff
    from core.settings import base_table, resolve, staged_table
    from tools.gates import review
    from tools.report import print_table, to_github, to_json, to_sarif

    if sum([staged, rev_range is not None, patch_file is not None]) > 1:
        raise InputError("give at most one of --staged, a revision (REV or main..HEAD) or --patch FILE")
    for target in (sarif_file, github_file):  # bad input is refused even when there is nothing to review
        if target is not None:
            _check_writable(target)
    root = repo_root(repo)
    git_repo = open_repo(root)
    if base is not None:
        resolve_rev(git_repo, base)
    candidate = None  # reads the change's own [tool.patchgate], for settings the user approved
    if staged:
        diff, default_base, what = staged_diff(git_repo), "HEAD", "nothing is staged"
        candidate = partial(staged_table, git_repo)
    elif rev_range is not None:
        diff, default_base = range_diff(git_repo, rev_range)
        right = range_sides(git_repo, rev_range)[1]
        what, candidate = f"{rev_range} changes nothing", partial(base_table, git_repo, right)
    elif patch_file is not None:
        diff, default_base, what = read_patch(patch_file), "HEAD", "the patch is empty"
    else:
        diff, default_base, what = uncommitted_diff(git_repo), "HEAD", "there are no uncommitted changes"
    base = base or default_base
    if not diff.strip():  # an empty change passes every gate vacuously: say so instead of "all gates passed"
        if as_json:
            emit_json({"passed": True, "gates": [], "nothing_to_review": True})
        else:
            err.print(f"{what}: nothing to review" + (" (git add the changes first)" if staged else ""))
        return
    settings = resolve(
        root,
        base=base,
        review={
            "tests": tests_mode,
            "usage": usage,
            "origin": origin,
            "reuse_worktrees": True,
        },  # a person reviews commit after commit
        tests={"timeout": timeout, "env": tests_env},
        candidate=candidate,
    )
    options = settings.review
    if skip:
        options = options.model_copy(update={"disabled": sorted({*options.disabled, *skip})})
    with err.status("reviewing") as status:  # on a terminal only: a hook's wait on a large suite says what runs
        result = review(root, diff, base=settings.commit, options=options, tests=settings.tests, progress=status.update)
    if sarif_file is not None:
        _write(sarif_file, json.dumps(to_sarif(result), indent=2) + "\n")
    if github_file is not None:
        _write(github_file, to_github(result))
    if as_json:
        emit_json(to_json(result))
    else:
        print_table(result, out)
    if not result.passed:
        raise GateFailure("gates failed: " + ", ".join(g.name for g in result.failed()))


def _check_writable(path: Path) -> None:
    """A report file's folder must exist and the path must not be a folder: checked before any work."""
    folder = path.resolve().parent
    if path.is_dir() or not folder.is_dir() or not os.access(folder, os.W_OK):
        raise InputError(
            f"cannot write {path}: " + ("it is a folder" if path.is_dir() else f"{folder} is not a writable folder")
        )


def _write(path: Path, text: str) -> None:
    """A report file the user asked for; a path that cannot be written is their input to fix."""
    try:
        atomic_write_text(path.resolve(), text)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
