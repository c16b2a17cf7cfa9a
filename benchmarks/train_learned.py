"""Train the learned retriever (retrieval/learned.npz: term weights and query adapter) on the mined pairs, validated by
repository.

    nice python benchmarks/train_learned.py --repos /tmp/i23/repos \
        --pairs benchmarks/data/learned_pairs.jsonl.gz [--work /tmp/patchgate-learned-train] [--write]

1. Each training repository is chunked (``retrieval.chunking``) at the base commit of its newest pair and every
   chunk embedded with the static model as the index embeds it (path, signature, text). Each pair's gold files
   are chunked at its own base commit; the chunks its change touched are its positives.
2. Each pair's candidates: its positives, the other files' chunks that plain BM25 and the plain static query
   rank highest (hard negatives, ``HARD`` each) and ``EASY`` random ones.
3. The model (``retrieval.learned``): one log-weight per vocabulary token used by the pairs of at least
   ``MIN_REPOS`` repositories (rarer tokens, mostly one project's identifiers, keep weight 1) and one for the
   tokens of the first line; the query is the weighted mean of the static token rows, then the adapter's
   ``q + q B`` (``B`` a D x D matrix, as the product of two factors). Loss: the softmax over each pair's
   candidates of cosine / temperature gives the positives the most probability; L2 on the log-weights and on
   ``B`` (``ADAPTER_L2``).
4. Validation by repository, never one split: ``FOLDS`` folds of whole repositories; each fold is trained on
   the others and measured on its own repositories as the signal ranks files at query time (the best chunk of
   every file of the snapshot): the plain static query, the term weights alone, and with the adapter.
5. ``--write`` trains on every pair and writes ``retrieval/learned.npz`` (the adapter in anchor tokens'
   coordinates, so it means the same in another machine's distillation).
"""

from __future__ import annotations

import argparse
import gzip
import json
import pickle
import subprocess
import sys
import time
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.mine_commits import refuse_held_out
from retrieval.chunking import chunk_file
from retrieval.embeddings import EmbeddingConfig, StaticEmbedder, _static_model, default_model_path
from retrieval.learned import WEIGHTS_FILE, Adapter, Learned, TermWeights, static_tokens, static_vector
from retrieval.lexical import Lexical, tokenize

HARD, EASY = 32, 32
MIN_REPOS = 3
FOLDS = 5
L2 = 1e-3  # on the log-weights
ADAPTER_L2 = 0.1  # on the adapter (chosen by the folds: 1e-3 over-fitted, 1.0 under-fitted)
VARIANTS = {"term weights": None, "term weights and adapter": ADAPTER_L2}
STEPS, LR = 200, 0.05
MAX_FILES = 2500  # .py files chunked per repository snapshot
MAX_BYTES = 400_000
KS = (1, 5, 10)


def read_blobs(repo: Path, commit: str, paths: list[str]) -> dict[str, str]:
    """The texts of ``paths`` at ``commit`` through one ``git cat-file --batch``."""
    spec = "".join(f"{commit}:{p}\n" for p in paths).encode()
    out = subprocess.run(["git", "cat-file", "--batch"], cwd=repo, input=spec, capture_output=True, check=True).stdout
    texts, at = {}, 0
    for p in paths:
        head_end = out.index(b"\n", at)
        head = out[at:head_end].split()
        if len(head) < 3 or head[1] != b"blob":
            at = head_end + 1
            continue
        size = int(head[2])
        texts[p] = out[head_end + 1 : head_end + 1 + size].decode("utf-8", "replace")
        at = head_end + 1 + size + 1
    return texts


def chunks_of(path: str, text: str) -> list[tuple[str, int, int, str]]:
    """(path, start, end, embedded text) of each chunk, the text as the index embeds it."""
    return [
        (path, c.start_line, c.end_line, f"{path}\n{c.signature}\n{c.text}") for c in chunk_file("python", text).chunks
    ]


def snapshot_chunks(repo: Path, pairs: list[dict]) -> list[tuple[str, int, int, str]]:
    """The chunks of the repository's ``.py`` files (``MAX_FILES`` at most, none over ``MAX_BYTES``) at the base
    commit of its newest pair: the snapshot every pair's query is ranked against."""
    snapshot = max(pairs, key=lambda p: p["created_at"])["base_commit"]
    listing = subprocess.run(
        ["git", "ls-tree", "-r", "-l", snapshot], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    paths = [
        line.split("\t", 1)[1]
        for line in listing
        if line.endswith(".py") and line.split()[3].isdigit() and int(line.split()[3]) <= MAX_BYTES
    ]
    paths = sorted(paths)[:MAX_FILES]
    texts = read_blobs(repo, snapshot, paths)
    return [c for p in paths if p in texts for c in chunks_of(p, texts[p])]


def gold_chunks(repo: Path, pair: dict) -> tuple[list[tuple[str, int, int, str]], list[bool]]:
    """The chunks of a pair's gold files at its own base, and whether its change touched each (its positives)."""
    texts = read_blobs(repo, pair["base_commit"], pair["gold_files"])
    rows = [c for p in pair["gold_files"] if p in texts for c in chunks_of(p, texts[p])]
    touched = [any(s <= e2 and s2 <= e for s2, e2 in pair["gold_lines"].get(p, [])) for p, s, e, _ in rows]
    return rows, touched


class RepoData:
    """A repository's snapshot chunks (vectors, files, BM25) and its pairs' queries, positives and candidates."""

    def __init__(self, repo: Path, pairs: list[dict], embedder: StaticEmbedder, cache: Path) -> None:
        rows = snapshot_chunks(repo, pairs)
        self.paths = [r[0] for r in rows]
        if cache.exists():
            self.vectors = np.load(cache)
        else:
            self.vectors = embedder.embed([r[3] for r in rows]).astype(np.float16)
            np.save(cache, self.vectors)
        self.bm25 = Lexical.build([tokenize(r[3]) for r in rows])
        self.pairs = pairs
        self.gold: list[tuple[list[str], np.ndarray, np.ndarray]] = []  # per pair: gold files, vectors, positive
        seen: dict[str, np.ndarray] = {}  # most chunks of a gold file are the same from one pair to the next
        for pair in pairs:
            gold_rows, touched_list = gold_chunks(repo, pair)
            touched = np.array(touched_list, dtype=bool)
            fresh = list(dict.fromkeys(r[3] for r in gold_rows if r[3] not in seen))
            seen.update(zip(fresh, embedder.embed(fresh).astype(np.float16), strict=True))
            vecs = np.array([seen[r[3]] for r in gold_rows]).reshape(len(gold_rows), self.vectors.shape[1])
            self.gold.append(([r[0] for r in gold_rows], vecs, touched))


def build(pairs_file: Path, repos: Path, work: Path) -> tuple[list[RepoData], object]:
    with gzip.open(pairs_file, "rt", encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines]
    refuse_held_out((r["repo"] for r in rows), "trained on")
    by_repo: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_repo[r["repo"]].append(r)
    model = default_model_path()
    embedder = StaticEmbedder(model, EmbeddingConfig(dense="static"))
    work.mkdir(parents=True, exist_ok=True)
    out = []
    for name, pairs in sorted(by_repo.items()):
        started = time.perf_counter()
        cached = work / f"{name.replace('/', '__')}.pickle"
        if cached.exists():
            out.append(pickle.loads(cached.read_bytes()))
        else:
            out.append(
                RepoData(repos / name.replace("/", "__"), pairs, embedder, work / f"{name.replace('/', '__')}.npy")
            )
            partial = cached.with_suffix(".partial")
            partial.write_bytes(pickle.dumps(out[-1]))
            partial.replace(cached)
        print(
            f"  {name}: {len(pairs)} pairs, {len(out[-1].paths)} chunks, {time.perf_counter() - started:.0f}s",
            file=sys.stderr,
            flush=True,
        )
    return out, _static_model(model)


class Tensors:
    """Everything the loss reads, for a set of repositories: queries as token bags, candidates as vectors."""

    def __init__(self, data: list[RepoData], tables, vocab: dict[int, int]) -> None:
        bags: list[list[int]] = []
        titles: list[list[bool]] = []
        cands: list[np.ndarray] = []
        positive: list[int] = []
        for rd in data:
            snap = rd.vectors.astype(np.float32)
            for pair, (_paths, gold_vecs, touched) in zip(rd.pairs, rd.gold, strict=True):
                if not touched.any():
                    continue
                ids, in_title = static_tokens(tables, pair["problem_statement"][:2000])
                if not ids:
                    continue
                plain = tables.embedding[ids].mean(axis=0)
                others = np.array([p not in pair["gold_files"] for p in rd.paths])
                dense = snap @ plain
                lexical = rd.bm25.scores(pair["problem_statement"])
                pick = set(_top(np.where(others, dense, -np.inf), HARD)) | set(
                    _top(np.where(others, lexical, -1), HARD)
                )
                rng = np.random.default_rng(len(cands))
                pick |= set(rng.choice(np.flatnonzero(others), min(EASY, int(others.sum())), replace=False).tolist())
                vecs = np.vstack([gold_vecs[touched].astype(np.float32), snap[sorted(pick)]])
                cands.append(vecs)
                positive.append(int(touched.sum()))
                bags.append(ids)
                titles.append(in_title)
        width = max(len(c) for c in cands)
        dim = tables.embedding.shape[1]
        self.cands = torch.zeros((len(cands), width, dim))
        self.mask = torch.zeros((len(cands), width), dtype=torch.bool)
        self.pos = torch.zeros((len(cands), width), dtype=torch.bool)
        for i, (c, n) in enumerate(zip(cands, positive, strict=True)):
            self.cands[i, : len(c)] = torch.from_numpy(c / np.maximum(np.linalg.norm(c, axis=1, keepdims=True), 1e-9))
            self.mask[i, : len(c)] = True
            self.pos[i, :n] = True
        self.queries = _bags(bags, titles, tables, vocab)


def _top(scores: np.ndarray, k: int) -> list[int]:
    k = min(k, len(scores))
    return [int(i) for i in np.argpartition(-scores, k - 1)[:k] if np.isfinite(scores[i]) and scores[i] > 0]


def _bags(bags: list[list[int]], titles: list[list[bool]], tables, vocab: dict[int, int]) -> dict[str, torch.Tensor]:
    """The queries as sparse counts of learned tokens (title and body apart) and sums of the other tokens' rows.

    A query is then ``(S_body + e^title S_title) @ (e^theta * E) + rest``: one sparse product a step.
    """
    dim = tables.embedding.shape[1]
    rows = np.zeros((len(vocab) + 1, dim), dtype=np.float32)
    for i, k in vocab.items():
        rows[k] = tables.embedding[i]
    parts: dict[bool, tuple[list[int], list[int]]] = {False: ([], []), True: ([], [])}
    rest = {False: np.zeros((len(bags), dim), dtype=np.float32), True: np.zeros((len(bags), dim), dtype=np.float32)}
    for q, (ids, in_title) in enumerate(zip(bags, titles, strict=True)):
        for i, t in zip(ids, in_title, strict=True):
            if i in vocab:
                parts[t][0].append(q)
                parts[t][1].append(vocab[i])
            else:
                rest[t][q] += tables.embedding[i]

    def sparse(qs: list[int], ks: list[int]) -> torch.Tensor:
        index = torch.tensor([qs, ks], dtype=torch.int64).reshape(2, -1)
        return torch.sparse_coo_tensor(index, torch.ones(len(qs)), (len(bags), len(vocab) + 1)).coalesce()

    return {
        "body": sparse(*parts[False]),
        "title": sparse(*parts[True]),
        "rows": torch.from_numpy(rows),
        "rest_body": torch.from_numpy(rest[False]),
        "rest_title": torch.from_numpy(rest[True]),
    }


def embed(theta: torch.Tensor, title: torch.Tensor, bags: dict[str, torch.Tensor]) -> torch.Tensor:
    """The weighted, unit-length query vectors."""
    weighted = torch.exp(theta)[:, None] * bags["rows"]
    body = torch.sparse.mm(bags["body"], weighted) + bags["rest_body"]
    head = torch.sparse.mm(bags["title"], weighted) + bags["rest_title"]
    return torch.nn.functional.normalize(body + torch.exp(title) * head, dim=1)


def fit(t: Tensors, size: int, adapter_l2: float | None) -> tuple[np.ndarray, float, np.ndarray | None]:
    """Log-weights (index 0 unused), the title log-weight and the adapter's matrix (None: no adapter) minimising
    the contrastive loss plus the penalties."""
    theta = torch.zeros(size, requires_grad=True)
    title = torch.zeros(1, requires_grad=True)
    log_temp = torch.tensor([np.log(0.05)], requires_grad=True)
    dim = t.cands.shape[2]
    left = (0.01 * torch.randn(dim, dim)).requires_grad_()
    right = torch.zeros(dim, dim, requires_grad=True)
    params = [theta, title, log_temp] + ([left, right] if adapter_l2 is not None else [])
    opt = torch.optim.Adam(params, lr=LR)
    for _ in range(STEPS):
        opt.zero_grad()
        q = embed(theta, title, t.queries)
        loss = L2 * (theta**2).sum()
        if adapter_l2 is not None:
            q = torch.nn.functional.normalize(q + (q @ left) @ right, dim=1)
            loss = loss + adapter_l2 * ((left @ right) ** 2).sum()
        logits = torch.einsum("qd,qcd->qc", q, t.cands) / torch.exp(log_temp)
        everything = torch.logsumexp(logits.masked_fill(~t.mask, -1e9), dim=1)
        gold = torch.logsumexp(logits.masked_fill(~t.pos, -1e9), dim=1)
        loss = loss + (everything - gold).mean()
        loss.backward()
        opt.step()
    matrix = (left @ right).detach().numpy().astype(np.float64) if adapter_l2 is not None else None
    return theta.detach().numpy(), float(title.detach()), matrix


def model_of(fitted: tuple[np.ndarray, float, np.ndarray | None], vocab: dict[int, int], tables) -> Learned:
    """The fitted parameters as the package reads them: weights by token string, the adapter over anchors."""
    theta, title, matrix = fitted
    name = tables.tokenizer.id_to_token
    weights = {name(i): round(float(theta[k]), 3) for i, k in sorted(vocab.items()) if abs(theta[k]) >= 0.005}
    adapter = None if matrix is None else Adapter.of_matrix(matrix, tables, anchor_tokens(tables))
    return Learned(TermWeights(weights, round(title, 4)), adapter)


@lru_cache(maxsize=1)
def anchor_tokens(tables) -> list[str]:
    """As many whole-word tokens as the table has dimensions, chosen by column-pivoted QR so their rows are the
    most independent (the adapter is stored in their coordinates, ``retrieval.learned.Adapter``). Once per
    table: every fold's model uses the same anchors."""
    from scipy.linalg import qr

    name = tables.tokenizer.id_to_token
    words = [i for i in range(len(tables.embedding)) if (w := name(i)) and w.isalpha() and w.isascii() and len(w) > 2]
    rows = np.asarray(tables.embedding[words], dtype=np.float64)
    _, _, pivots = qr(rows.T, mode="economic", pivoting=True)
    return [name(words[p]) for p in pivots[: rows.shape[1]]]


def file_hits(data: list[RepoData], tables, model: Learned) -> list[dict[int, bool]]:
    """Per pair: whether every gold file is within the top k when files rank by their best chunk's cosine."""
    out = []
    for rd in data:
        snap = rd.vectors.astype(np.float32)
        for pair, (gold_paths, gold_vecs, _touched) in zip(rd.pairs, rd.gold, strict=True):
            q = static_vector(tables, pair["problem_statement"][:2000], model)
            if q is None or not len(gold_vecs):
                continue
            q /= max(float(np.linalg.norm(q)), 1e-9)
            best: dict[str, float] = defaultdict(lambda: -1.0)
            for p, s in zip(rd.paths, snap @ q, strict=True):
                if p not in pair["gold_files"] and s > best[p]:
                    best[p] = float(s)
            gv = gold_vecs.astype(np.float32)
            gv /= np.maximum(np.linalg.norm(gv, axis=1, keepdims=True), 1e-9)
            for p, s in zip(gold_paths, gv @ q, strict=True):
                best[p] = max(best[p], float(s))
            scores = np.array(list(best.values()))
            ranks = [1 + int((scores > best[g]).sum()) if g in best else 10**9 for g in pair["gold_files"]]
            out.append({k: max(ranks) <= k for k in KS})
    return out


def acc(hits: list[dict[int, bool]]) -> str:
    return " / ".join(f"{np.mean([h[k] for h in hits]):.3f}" for k in KS) + f"  ({len(hits)})"


def vocabulary(data: list[RepoData], tables) -> dict[int, int]:
    """Token id -> weight index (from 1) for tokens in the pairs of at least ``MIN_REPOS`` repositories."""
    seen: dict[int, set[str]] = defaultdict(set)
    for rd in data:
        for pair in rd.pairs:
            for i in static_tokens(tables, pair["problem_statement"][:2000])[0]:
                seen[i].add(pair["repo"])
    kept = sorted(i for i, repos in seen.items() if len(repos) >= MIN_REPOS)
    return {i: k + 1 for k, i in enumerate(kept)}


def report(work: Path) -> None:
    """Pool the saved folds' hits and print them."""
    pooled: dict[str, list[dict[int, bool]]] = defaultdict(list)
    for k in range(FOLDS):
        path = work / f"fold-{k}.json"
        if path.exists():
            for name, hits in json.loads(path.read_text(encoding="utf-8")).items():
                pooled[name] += [{int(c): v for c, v in h.items()} for h in hits]
    if pooled:
        print("held out by repository, file Acc@1 / @5 / @10 of the dense signal alone (best chunk per file):")
    for name, hits in pooled.items():
        print(f"  {name:32s} {acc(hits)}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repos", type=Path, required=True)
    ap.add_argument("--pairs", type=Path, default=Path("benchmarks/data/learned_pairs.jsonl.gz"))
    ap.add_argument("--work", type=Path, default=Path("/tmp/patchgate-learned-train"))
    ap.add_argument("--write", action="store_true", help=f"train on every pair and write {WEIGHTS_FILE}")
    ap.add_argument(
        "--folds",
        default=",".join(map(str, range(FOLDS))),
        help="validate these folds only (comma-separated; each saves its hits under --work; none: '')",
    )
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    started = time.perf_counter()
    data, tables = build(args.pairs, args.repos, args.work)
    print(
        f"data: {sum(len(d.pairs) for d in data)} pairs, {len(data)} repositories, "
        f"{time.perf_counter() - started:.0f}s",
        flush=True,
    )
    folds = [data[k::FOLDS] for k in range(FOLDS)]
    for k in [int(k) for k in args.folds.split(",") if k]:
        train = [d for j, f in enumerate(folds) if j != k for d in f]
        vocab = vocabulary(train, tables)
        t = Tensors(train, tables, vocab)
        hits = {"plain static query": file_hits(folds[k], tables, Learned(TermWeights({}, 0.0)))}
        for name, adapter_l2 in VARIANTS.items():
            hits[name] = file_hits(folds[k], tables, model_of(fit(t, len(vocab) + 1, adapter_l2), vocab, tables))
        (args.work / f"fold-{k}.json").write_text(json.dumps(hits), encoding="utf-8")
        print(
            f"  fold {k + 1}/{FOLDS} ({', '.join(d.pairs[0]['repo'] for d in folds[k])}), "
            f"{time.perf_counter() - started:.0f}s",
            flush=True,
        )
    report(args.work)
    if args.write:
        train_started = time.perf_counter()
        vocab = vocabulary(data, tables)
        model = model_of(fit(Tensors(data, tables, vocab), len(vocab) + 1, ADAPTER_L2), vocab, tables)
        model.save(WEIGHTS_FILE)
        print(
            f"wrote {WEIGHTS_FILE} ({WEIGHTS_FILE.stat().st_size / 1e6:.1f} MB): {len(model.weights.log_weights)} "
            f"token weights, title {model.weights.title:+.3f}, an adapter over {len(model.adapter.anchors) if model.adapter else 0} anchors, "
            f"trained in {time.perf_counter() - train_started:.0f}s on {sum(len(d.pairs) for d in data)} pairs"
        )


if __name__ == "__main__":
    main()
