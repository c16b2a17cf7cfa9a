"""Building, refreshing and opening an index, as a user of `patchgate index` sees it."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.errors import IndexStateError, InputError
from retrieval.embeddings import EmbeddingConfig
from retrieval.index import CommitSource, build_index, open_index
from retrieval.lexical import Lexical
from tests.conftest import ctrl_c_as_a_worker_starts, git

ROOT = Path(__file__).resolve().parents[2]
SHOP = {
    "shop/cart.py": "class Cart:\n    def total(self, items):\n        return sum(items)\n",
    "shop/user.py": "def user_name(user):\n    return user.name\n",
    "README.md": "# shop\n",
}
IMPORTING = {
    **SHOP,
    "shop/__init__.py": "",
    "shop/checkout.py": "from .cart import Cart\nimport shop.user\nimport os\n",
}
NO_DENSE = EmbeddingConfig(dense="none")


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    return subprocess.run(
        [sys.executable, "-P", "-m", "patchgate", *args], cwd=cwd, env=env, capture_output=True, text=True
    )


def dense(model: Path) -> EmbeddingConfig:
    return EmbeddingConfig(dense="transformer", embedding_model=str(model), device="cpu")


def test_index_holds_files_chunks_and_is_kept_out_of_git(make_repo) -> None:
    root = make_repo(SHOP)
    stats = build_index(root, config=NO_DENSE, progress=False)
    index = open_index(root)
    assert stats.files == 3 and {f.path for f in index.files()} == set(SHOP)
    assert {c.name for c in index.chunks()} >= {"Cart", "Cart.total", "user_name"}
    best = index.lexical_search("sum of the items", 1)[0][0]
    assert index.chunks()[best].name == "Cart.total"
    assert git(root, "status", "--porcelain") == ""  # .patchgate/ is excluded via .git/info/exclude
    assert not (root / ".gitignore").exists()


def test_opened_index_has_the_resolved_import_graph_and_follows_new_files(make_repo) -> None:
    root = make_repo(IMPORTING)
    build_index(root, config=NO_DENSE, progress=False)
    edges = {(e.src, e.module, e.dst) for e in open_index(root).imports()}
    assert edges == {
        ("shop/checkout.py", ".cart", "shop/cart.py"),
        ("shop/checkout.py", "shop.user", "shop/user.py"),
        ("shop/checkout.py", "os", None),
    }
    (root / "os.py").write_text("")  # an unchanged importer now resolves to the new file
    build_index(root, config=NO_DENSE, progress=False)
    assert ("shop/checkout.py", "os", "os.py") in {(e.src, e.module, e.dst) for e in open_index(root).imports()}


def test_one_file_edit_parses_and_embeds_only_that_file(make_repo, tiny_embedder: Path) -> None:
    root = make_repo(SHOP)
    first = build_index(root, config=dense(tiny_embedder), progress=False)
    assert first.embedded == first.chunks and first.reused_vectors == 0
    (root / "shop/user.py").write_text("def user_name(user):\n    return user.full_name\n")
    second = build_index(root, config=dense(tiny_embedder), progress=False)
    assert (second.parsed_files, second.reused_files) == (1, 2)
    assert second.embedded == 1  # the one changed function
    hits = open_index(root).dense_search("user name", 3)
    assert hits and all(-1.01 <= score <= 1.01 for _, score in hits)


def test_a_refresh_with_nothing_changed_writes_nothing(make_repo, tiny_embedder: Path) -> None:
    """``context`` refreshes before every answer: when files, head and settings are the same, the live build
    stays live; a new commit (history) or other embedding settings make a new one."""
    root = make_repo(SHOP)
    build_index(root, config=dense(tiny_embedder), progress=False)
    live = (root / ".patchgate/CURRENT").read_text()
    again = build_index(root, config=dense(tiny_embedder), progress=False)
    assert (root / ".patchgate/CURRENT").read_text() == live
    assert (again.parsed_files, again.reused_files, again.chunks) == (0, 3, open_index(root).chunks()[-1].id + 1)
    git(root, "commit", "-q", "--allow-empty", "-m", "fix the cart total")
    build_index(root, config=dense(tiny_embedder), progress=False)
    assert (root / ".patchgate/CURRENT").read_text() != live
    assert open_index(root).history.commits[0].message == "fix the cart total"
    live = (root / ".patchgate/CURRENT").read_text()
    build_index(root, config=EmbeddingConfig(dense="none"), progress=False)
    assert (root / ".patchgate/CURRENT").read_text() != live


def test_a_reindex_sees_the_working_tree_as_git_status_does(make_repo, tmp_path: Path) -> None:
    """Unchanged tracked files are known by git's index (never read); everything else is read from disk."""
    root = make_repo({**SHOP, ".gitignore": "build/\n"})
    build_index(root, config=NO_DENSE, progress=False)
    (root / "shop/user.py").write_text("def user_email(user):\n    return user.email\n")  # edited, not staged
    (root / "shop/cart.py").unlink()  # deleted, not staged
    (root / "shop/new.py").write_text("def brand_new():\n    pass\n")  # untracked
    (root / "build").mkdir()
    (root / "build/out.py").write_text("def generated():\n    pass\n")  # ignored
    (root / "README.md").write_text("# shop, staged\n")
    git(root, "add", "README.md")
    build_index(root, config=NO_DENSE, progress=False)
    build_index(root, tmp_path / "fresh", config=NO_DENSE, progress=False, reuse=False)
    again, fresh = open_index(root), open_index(root, tmp_path / "fresh")
    assert [f.path for f in again.files()] == ["README.md", "shop/new.py", "shop/user.py"]
    assert again.files() == fresh.files() and again.chunks() == fresh.chunks()
    assert "user_email" in {c.name for c in again.chunks()}


def test_a_copied_file_is_found_under_its_new_path_without_reparsing(make_repo, tiny_embedder: Path) -> None:
    root = make_repo(SHOP)
    build_index(root, config=dense(tiny_embedder), progress=False)
    (root / "billing").mkdir()
    (root / "billing/invoice.py").write_text(SHOP["shop/cart.py"])  # same blob, new path
    stats = build_index(root, config=dense(tiny_embedder), progress=False)
    assert stats.parsed_files == 0 and stats.files == 4
    assert stats.embedded == 2  # the path is part of what is embedded: Cart and Cart.total under billing/
    index = open_index(root)
    best = int(index.file_lexical_scores("billing invoice").argmax())
    assert index.files()[best].path == "billing/invoice.py"
    again = build_index(root, config=dense(tiny_embedder), progress=False)
    assert (again.chunks, again.embedded) == (stats.chunks, 0) == (6, 0)  # each copy's chunks once


def test_a_reindex_keeps_exactly_what_a_fresh_build_makes(make_repo, tiny_embedder: Path, tmp_path: Path) -> None:
    """A re-index reuses the live build's hashes, import edges and vectors; every one must be what a build
    from nothing makes, including a copied blob (its hash covers its own path) and an edited import."""
    root = make_repo(IMPORTING)
    build_index(root, config=dense(tiny_embedder), progress=False)
    (root / "shop/checkout.py").write_text("from .user import user_name\nimport os\n")  # same files, new import
    build_index(root, config=dense(tiny_embedder), progress=False)
    (root / "shop/order_total.py").write_text(IMPORTING["shop/cart.py"])  # a copied blob, a new module
    build_index(root, config=dense(tiny_embedder), progress=False)
    (root / "README.md").write_text("# shop, again\n")  # the blob now at two paths: each keeps its own rows
    build_index(root, config=dense(tiny_embedder), progress=False)
    build_index(root, tmp_path / "fresh", config=dense(tiny_embedder), progress=False, reuse=False)
    again, fresh = open_index(root), open_index(root, tmp_path / "fresh")
    assert again.chunks() == fresh.chunks() and again.imports() == fresh.imports()
    assert ("shop/checkout.py", ".user", "shop/user.py") in {(e.src, e.module, e.dst) for e in again.imports()}
    assert np.array_equal(
        again._vectors.reconstruct_n(0, len(again.chunks())), fresh._vectors.reconstruct_n(0, len(fresh.chunks()))
    )
    for query in ("cart total", "user name checkout", "shop"):  # term counts gathered, not recounted
        assert np.array_equal(again.chunk_lexical_scores(query), fresh.chunk_lexical_scores(query))
        assert np.array_equal(again.file_lexical_scores(query), fresh.file_lexical_scores(query))


def test_a_big_build_parses_on_every_core_into_the_same_index(
    make_repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Worker processes (used above a few MB of new text) produce the index one process makes, secrets
    redacted in the workers too."""
    from retrieval import parsing

    root = make_repo({**IMPORTING, "shop/keys.py": 'TOKEN = "ghp_' + "a1B2c3D4e5" * 4 + '"\n'})
    build_index(root, tmp_path / "one", config=EmbeddingConfig(dense="none"), progress=False)
    monkeypatch.setattr(parsing, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(parsing, "BATCH_BYTES", 1)  # one file per batch: several batches, in order
    build_index(root, tmp_path / "many", config=EmbeddingConfig(dense="none"), progress=False)
    one, many = open_index(root, tmp_path / "one"), open_index(root, tmp_path / "many")
    assert [(c, c.text) for c in many.chunks()] == [(c, c.text) for c in one.chunks()]
    assert many.imports() == one.imports()
    assert np.array_equal(many.file_lexical_scores("cart user"), one.file_lexical_scores("cart user"))
    assert not any("a1B2c3D4e5" in c.text for c in many.chunks())


@pytest.mark.slow
@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one core parses in-process")
def test_ctrl_c_while_the_parse_workers_start_is_one_line(make_repo) -> None:
    """A first index of a big repository: each parse worker imports for its first half second, and a Ctrl-C
    there printed one traceback per core."""

    def module(k: int) -> str:
        return "".join(
            f"def handler_{k}_{n}(request):\n    return request.args.get('k{n}', {n})\n\n" for n in range(250)
        )

    root = make_repo({f"app/views_{k}.py": module(k) for k in range(300)})  # 5 MB of blobs: parsed on every core
    proc = subprocess.Popen(
        [sys.executable, "-P", "-m", "patchgate", "index", "--dense", "none"],
        cwd=root,
        env={**os.environ, "NO_COLOR": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    stderr = ctrl_c_as_a_worker_starts(proc)
    assert proc.returncode == 130 and "Traceback" not in stderr, stderr
    assert stderr.strip().splitlines()[-1] == "error: interrupted"
    assert run_cli("index", "--dense", "none", cwd=root).returncode == 0  # nothing half-made in the way


def test_commits_share_the_vector_cache(make_repo, tiny_embedder: Path, tmp_path: Path) -> None:
    root = make_repo(SHOP)
    first = git(root, "rev-parse", "HEAD").strip()
    (root / "shop/extra.py").write_text("def extra():\n    return 1\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "extra")
    work = tmp_path / "eval"
    build_index(
        CommitSource(root / ".git", first),
        work / "index",
        config=dense(tiny_embedder),
        cache_dir=work / "cache",
        progress=False,
    )
    stats = build_index(
        CommitSource(root / ".git", "HEAD"),
        work / "index",
        config=dense(tiny_embedder),
        cache_dir=work / "cache",
        progress=False,
    )
    assert stats.embedded == 1 and stats.parsed_files == 1


def test_a_commit_named_head_is_indexed_at_the_commit_it_names_now(make_repo, tmp_path: Path) -> None:
    """``HEAD`` of a mirror moves: the second build must see the new commit, not the first build's history."""
    root = make_repo(SHOP)
    source, work = CommitSource(root / ".git", "HEAD"), tmp_path / "eval"
    build_index(source, work / "index", config=NO_DENSE, cache_dir=work / "cache", progress=False)
    git(root, "commit", "-q", "--allow-empty", "-m", "fix the user name")
    build_index(source, work / "index", config=NO_DENSE, cache_dir=work / "cache", progress=False)
    assert open_index(root, work / "index").history.commits[0].message == "fix the user name"


def test_skips_binary_huge_minified_and_vendored_files(make_repo) -> None:
    root = make_repo(
        {
            **SHOP,
            "vendor/lib.py": "def vendored():\n    pass\n",
            "static/app.js": "var a=1;" * 2000,
            "big.txt": "x\n" * 600_000,
        }
    )
    (root / "logo.py").write_bytes(b"\x89PNG\0\0binary")
    build_index(root, config=NO_DENSE, progress=False)
    assert {f.path for f in open_index(root).files()} == set(SHOP)


def test_secrets_never_reach_the_index(make_repo) -> None:
    """Also the ones hand-written rules missed: unquoted in an ini file, a PEM body, a URL password, npm_."""
    token = "ghp_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"  # patchgate: allow
    aws = "PtYgjmUhBel31iEl2hpC" + "hYgCfrL1spNxnyVmihA+"  # patchgate: allow
    pem = "jY75FnCttn6kfaqDeMqG3omjMyXHCabM6JOF8EFd" + "0Nhcy/1kGD2VD/eR1UYzaLiA"  # patchgate: allow
    password = "Vq3nT8x" + "Lp2Wz"  # patchgate: allow
    npm = "npm_" + "sMehGAkWvj7FAc9QeWJKY40uvSwMFLZDe1f8"  # patchgate: allow
    key = f"-----BEGIN PRIVATE KEY-----\n{pem}\n-----END PRIVATE KEY-----\n"  # patchgate: allow
    url = f"postgres://app:{password}@db.internal:5432/app"  # patchgate: allow
    secrets = {
        token: "settings.py",
        aws: "config/aws.ini",
        pem: "docs/deploy.md",
        password: "db.py",
        npm: "publish.sh",
    }  # patchgate: allow
    root = make_repo(
        {
            "settings.py": f"GITHUB_TOKEN = '{token}'\n",
            "config/aws.ini": f"[default]\nAWS_SECRET_ACCESS_KEY={aws}\n",
            "docs/deploy.md": f"# Deploy\n\n{key}",
            "db.py": f'URL = "{url}"\n',
            "publish.sh": f"export NPM_TOKEN={npm}\nnpm publish\n",
        }
    )
    build_index(root, config=NO_DENSE, progress=False)
    index_bytes = b"".join(p.read_bytes() for p in (root / ".patchgate").rglob("*") if p.is_file())
    assert [path for secret, path in secrets.items() if secret.encode() in index_bytes] == []
    assert b"npm publish" in index_bytes  # the rest of the file is still indexed


def test_full_disk_mid_write_keeps_the_previous_index(make_repo, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_repo(SHOP)
    build_index(root, config=NO_DENSE, progress=False)
    (root / "shop/new.py").write_text("def brand_new():\n    pass\n")

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Lexical, "save", full_disk)
    with pytest.raises(IndexStateError, match=r"No space left on device.*previous index is still in use"):
        build_index(root, config=NO_DENSE, progress=False)
    index = open_index(root)
    assert "shop/new.py" not in {f.path for f in index.files()} and len(index.files()) == 3
    assert len(list((root / ".patchgate").glob("index-*"))) == 1


def test_corrupt_index_is_rebuilt_with_a_message(make_repo, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(SHOP)
    build_index(root, config=NO_DENSE, progress=False)
    db = next((root / ".patchgate").glob("index-*/meta.sqlite"))
    db.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(IndexStateError):
        open_index(root)
    stats = build_index(root, config=NO_DENSE, progress=False)
    assert "rebuilding from scratch" in capsys.readouterr().err
    assert stats.parsed_files == 3 and len(open_index(root).files()) == 3


def test_bad_input_is_one_line(tmp_path: Path, make_repo) -> None:
    result = run_cli("index", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {tmp_path} is not inside a git repository"
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q")
    result = run_cli("index", "--dense", "none", str(empty), cwd=empty)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "nothing to index" in result.stderr
    with pytest.raises(InputError, match="not found"):
        build_index(
            CommitSource(make_repo(SHOP) / ".git", "0" * 40),
            tmp_path / "ix",
            config=NO_DENSE,
            cache_dir=tmp_path / "c",
            progress=False,
        )
