"""Where indexed file contents come from: a working tree, or a commit of any repository.

Both produce ``SourceFile``s addressed by their git blob id, so the index can
reuse everything it knows about a blob whatever tree it came from. Reading a
commit never touches the repository it is read from (``ls-tree`` and
``cat-file`` only), which is what the evaluation needs for bare mirrors.
"""

from __future__ import annotations

import hashlib
import stat
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path

from core.errors import InputError
from core.git import run_git
from core.languages import LANGUAGES, language_of

MAX_BYTES = 1_000_000
VENDORED_DIRS = frozenset(
    {
        "vendor",
        "vendored",
        "third_party",
        "thirdparty",
        "node_modules",
        "_vendor",
        "site-packages",
        "bower_components",
        ".git",
    }
)
TEXT_SUFFIXES = frozenset(
    {
        ".md",
        ".rst",
        ".txt",
        ".toml",
        ".yaml",
        ".yml",
        ".json",
        ".cfg",
        ".ini",
        ".c",
        ".h",
        ".cc",
        ".cpp",
        ".hpp",
        ".rb",
        ".sh",
        ".kt",
        ".scala",
        ".cs",
        ".php",
        ".sql",
        ".html",
        ".css",
        ".lark",
        ".proto",
    }
)


@dataclass(frozen=True)
class SourceFile:
    """One file to index: its path, content address and bytes (or how to read them)."""

    path: str
    blob: str
    content: bytes | Callable[[], bytes] = field(repr=False, compare=False)

    @cached_property
    def data(self) -> bytes:
        """The bytes; read only when asked for if the listing gave the blob id (a file the index has)."""
        return self.content if isinstance(self.content, bytes) else self.content()

    @property
    def lang(self) -> str:
        return language_of(self.path)


def blob_id(data: bytes) -> str:
    """Git's blob id of ``data`` (so a working-tree file and its committed blob share one id)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def wanted_path(path: str) -> bool:
    """Whether a path is worth indexing at all: code or text, not vendored, not minified by name.

    String operations, not ``PurePosixPath``: this runs for every file of the tree on every re-index.
    """
    *folders, name = path.split("/")
    if not VENDORED_DIRS.isdisjoint(folders):
        return False
    name = name.lower()
    if ".min." in name or name.endswith((".lock", "-lock.json", ".map")):
        return False
    dot = name.rfind(".")
    suffix = name[dot:] if 0 < dot < len(name) - 1 else ""  # as PurePosixPath.suffix: ".bashrc" has none
    return suffix in LANGUAGES or suffix in TEXT_SUFFIXES


def readable_text(data: bytes) -> bool:
    """Small, not binary, not minified: the content checks that need the bytes."""
    if len(data) > MAX_BYTES or b"\0" in data[:8192]:
        return False
    lines = data.count(b"\n") + 1
    return len(data) / lines < 400  # minified or generated one-liners


def worktree_files(root: Path, known: Container[tuple[str, str]] = ()) -> list[SourceFile]:
    """Tracked and untracked-but-not-ignored files of the working tree at ``root``, as on disk.

    A tracked file that ``git status`` says is unchanged since the index has the index's blob id; if
    ``known`` has that (path, blob), its bytes are not even read. Every other file is read, checked and
    hashed: on sympy that was 0.15 s of every re-index.
    """
    staged: dict[bytes, str] = {}
    listed: set[bytes] = set()
    for entry in filter(None, _git(root, "ls-files", "-z", "--stage").split(b"\0")):
        meta, _, name = entry.partition(b"\t")
        mode, object_id, stage = meta.split()
        listed.add(name)
        if stage == b"0" and mode in (b"100644", b"100755"):
            staged[name] = object_id.decode()
    # ``git status`` rather than ``diff-files``: like a user's own ``git status`` it refreshes the index's stat
    # data when it can, so files checked out in the index's second (a fresh clone) are compared by content
    # once, not by every re-index (0.23 s each on sympy).
    status = _git(root, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames")
    for entry in filter(None, status.split(b"\0")):
        code, name = entry[:2], entry[3:]
        if code == b"??":
            listed.add(name)
        elif code[1:] != b" ":
            staged.pop(name, None)  # the working tree differs from the index (or the file is gone): read below
    files = []
    for path in sorted(utf8_names(listed)):
        full = root / path
        if not wanted_path(path):
            continue
        try:
            info = full.lstat()
        except OSError:  # deleted, or a folder of a sparse checkout
            continue
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_BYTES:
            continue
        indexed = staged.get(path.encode())
        if indexed is not None and (path, indexed) in known:
            files.append(SourceFile(path, indexed, full.read_bytes))
            continue
        data = full.read_bytes()
        if readable_text(data):
            files.append(SourceFile(path, blob_id(data), data))
    return files


def commit_files(git_dir: Path, commit: str, known: Container[tuple[str, str]] = ()) -> list[SourceFile]:
    """The files of ``commit`` in the repository at ``git_dir`` (bare or not), read-only; the bytes of a
    (path, blob) in ``known`` are read only if asked for."""
    try:
        listing = _git(git_dir, "ls-tree", "-r", "-z", "--long", commit)
    except InputError:
        raise InputError(f"commit {commit} not found in {git_dir}") from None
    wanted: list[tuple[str, str]] = []
    meta_of = {path: meta for meta, path in (entry.split(b"\t", 1) for entry in filter(None, listing.split(b"\0")))}
    for path in utf8_names(meta_of):
        mode, kind, blob, size = meta_of[path.encode()].decode().split()
        if (
            kind == "blob"
            and mode in ("100644", "100755")
            and size.isdigit()
            and int(size) <= MAX_BYTES
            and wanted_path(path)
        ):
            wanted.append((path, blob))
    contents = _cat_blobs(git_dir, [blob for path, blob in wanted if (path, blob) not in known])
    return [
        SourceFile(path, blob, contents[blob] if blob in contents else partial(_cat_blob, git_dir, blob))
        for path, blob in wanted
        if (path, blob) in known or (blob in contents and readable_text(contents[blob]))
    ]


def _cat_blob(git_dir: Path, blob: str) -> bytes:
    return _cat_blobs(git_dir, [blob])[blob]


def utf8_names(raw: Iterable[bytes]) -> list[str]:
    """The file names that are UTF-8; the others are skipped with one line, since the index stores text."""
    names, skipped = [], []
    for name in raw:
        try:
            names.append(name.decode("utf-8"))
        except UnicodeDecodeError:
            skipped.append(name)
    if skipped:
        from core.console import err

        err.print(
            f"skipped {len(skipped)} file(s) whose names are not valid UTF-8, e.g. {ascii(skipped[0])[2:-1]}",
            markup=False,
        )
    return names


def _cat_blobs(git_dir: Path, blobs: list[str]) -> dict[str, bytes]:
    """Read many blobs through one ``git cat-file --batch`` process."""
    unique = list(dict.fromkeys(blobs))
    proc = run_git(git_dir, "cat-file", "--batch", input="\n".join(unique).encode() + b"\n")
    data, pos, result = proc.stdout, 0, {}
    for blob in unique:
        header_end = data.index(b"\n", pos)
        header = data[pos:header_end].split()
        if header[-1] == b"missing":  # partial clones and damaged mirrors
            pos = header_end + 1
            continue
        size = int(header[2])
        result[blob] = data[header_end + 1 : header_end + 1 + size]
        pos = header_end + 1 + size + 1
    return result


def _git(cwd: Path, *args: str) -> bytes:
    return run_git(cwd, *args).stdout
