"""What the benchmarks need of the stored mirrors: git as a function, and commits they can check out.

The stored mirrors leave out their largest blobs (data files), so checking out a commit that has one
fails. ``complete_commit`` gives a child commit in which those files are empty: the gold patches and
the models' answers never touch them, so nothing a benchmark measures changes.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def git(cwd: Path, *args: str, input: str | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True, input=input).stdout


def complete_commit(clone: Path, commit: str) -> str:
    """``commit`` itself when every blob is there, else a child of it whose missing blobs are empty files."""
    entries = git(clone, "ls-tree", "-r", "-z", commit).split("\0")[:-1]
    blobs = [e for e in entries if e.split(" ", 2)[1] == "blob"]
    shas = "\n".join(e.split(" ", 2)[2].split("\t", 1)[0] for e in blobs) + "\n"
    present = git(clone, "cat-file", "--batch-check", input=shas).splitlines()
    missing = [e for e, answer in zip(blobs, present, strict=True) if answer.endswith(" missing")]
    if not missing:
        return commit
    empty = git(clone, "hash-object", "-w", "--stdin", input="").strip()
    env = {**os.environ, "GIT_INDEX_FILE": str(clone / ".git" / "bench-index")}
    subprocess.run(["git", "read-tree", commit], cwd=clone, env=env, check=True)
    info = "".join(f"{e.split(' ', 1)[0]} {empty}\t{e.split(chr(9), 1)[1]}\n" for e in missing)
    subprocess.run(["git", "update-index", "--index-info"], cwd=clone, env=env, input=info, text=True, check=True)
    tree = subprocess.run(
        ["git", "write-tree"], cwd=clone, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    author = ("-c", "user.name=bench", "-c", "user.email=bench@example.com")
    message = f"empty stand-ins for {len(missing)} blobs absent from the mirror"
    return git(clone, *author, "commit-tree", tree, "-p", commit, "-m", message).strip()
