"""Probe: does a cross-encoder small enough for a 2-core CPU add anything the fusion trees lack? (not shipped)

    nice python benchmarks/cross_encoder_probe.py --repos /tmp/locate/repos \
        --dataset ../shared/swebench/lite_dev.json --dataset benchmarks/data/mined_commits.jsonl \
        --dataset benchmarks/data/fusion_pairs.jsonl.gz --dense static --work /tmp/patchgate-fit \
        [--folds 4] [--layers 2] [--max-tokens 160] [--threads 2]

The fusion's signals each score the issue against a file on their own; a cross-encoder reads the issue and
a candidate together. Training a full-size one needs a GPU, so this measures the largest one this CPU
trains in minutes, before anything of the kind ships:

* It reads the signal matrices ``fit_fusion.py`` caches under ``--work`` (run that first). Repositories
  are dealt into ``--folds`` folds of about equal instance counts; each fold's instances are ranked by
  trees fitted on the other folds, the shipped recipe (``fit_fusion.TREES``).
* The cross-encoder: the first ``--layers`` layers of the packaged MiniLM, its embeddings frozen, a
  linear head over the mean of its last layer. Input: the issue, then the file's path and the names of
  its classes and functions, those sharing a word with the issue first, ``--max-tokens`` in all.
* Per fold it trains on the other folds' instances (one epoch, AdamW; a softmax over one gold file and
  ``NEGATIVES`` files drawn from the trees' top ``POOL``) and scores the fold's top ``TOP``.

It prints Acc@1 / @5 / @10 over the small repositories (the dev split and the mined commits) and the big
ones (the last ``--dataset``), each also over the one-file fixes, for the fold trees, the cross-encoder
alone reordering their top ``TOP``, and the trees' logit plus ``w`` times the cross-encoder's score
standardized per issue, ``w`` chosen on the other folds. A file beyond the top ``TOP`` keeps its rank, so
@10 is the trees' in every row.
"""

from __future__ import annotations

import argparse
import math
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from transformers import AutoModel, AutoTokenizer
from transformers import logging as transformers_logging

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import fit_fusion
from benchmarks.errors import fail
from benchmarks.fit_fusion import KS, cache_arguments, cached_pools
from benchmarks.folds import deal, fold_logits, listing
from retrieval.embeddings import default_model_path

POOL = 20  # negatives are drawn from the trees' top POOL
NEGATIVES = 5
TOP = 10  # the cross-encoder reorders the trees' top TOP
ISSUE_CHARS = 1500  # the tokenizer cuts the pair to --max-tokens; this only bounds its work
WEIGHTS = [w / 4 for w in range(13)]  # the grid w is chosen from, on the other folds
DEFINITION = re.compile(rb"^[ \t]*(?:async[ \t]+)?(?:class|def)[ \t]+(\w+)", re.M)
WORD = re.compile(r"[A-Za-z][a-z]*|[A-Z]+(?![a-z])|\d+")


@dataclass
class Candidate:
    path: str
    names: list[str]  # its classes and functions, in file order, each once
    gold: bool
    rank: int  # under the fold's trees
    logit: float


@dataclass
class Instance:
    id: str
    repo: str
    dataset: str
    n_gold: int
    issue: str
    candidates: list[Candidate]  # the trees' top POOL, then any gold file below them


def _names(text: bytes) -> list[str]:
    return list(dict.fromkeys(m.group(1).decode("utf-8", "replace") for m in DEFINITION.finditer(text)))


def instance(row: dict, d: dict, logits: np.ndarray, repos: Path) -> Instance | None:
    """The trees' top files and the gold ones with their names, or None where the listing disagrees."""
    files = listing(row, d, repos)
    if files is None:
        return None
    order = np.argsort(-logits, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(1, len(order) + 1)
    gold = {int(g) for g in d["gold"]}
    rows = list(dict.fromkeys([*map(int, order[:POOL]), *sorted(gold)]))
    return Instance(
        row["instance_id"],
        row["repo"],
        row["dataset"],
        d["n_gold"],
        " ".join(row["problem_statement"].split())[:ISSUE_CHARS],
        [Candidate(files[i].path, _names(files[i].data), i in gold, int(rank[i]), float(logits[i])) for i in rows],
    )


def _words(text: str) -> set[str]:
    return {w.lower() for w in WORD.findall(text) if len(w) > 2}


def document(c: Candidate, issue_words: set[str]) -> str:
    """The file as the cross-encoder reads it: its path, then its names, those the issue shares words with first."""
    names = sorted(c.names, key=lambda n: -len(_words(n) & issue_words))
    return f"{c.path} : {' '.join(names)}"


class CrossEncoder(torch.nn.Module):
    """The first ``layers`` layers of MiniLM over (issue, file), a linear head on the mean of the last one."""

    def __init__(self, model_path: str, layers: int) -> None:
        super().__init__()
        self.encoder = AutoModel.from_pretrained(model_path)
        self.encoder.encoder.layer = self.encoder.encoder.layer[:layers]
        for p in self.encoder.embeddings.parameters():
            p.requires_grad = False
        self.head = torch.nn.Linear(self.encoder.config.hidden_size, 1)

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        hidden = self.encoder(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        return self.head((hidden * mask).sum(1) / mask.sum(1)).squeeze(-1)


Encode = Callable[[list[tuple[str, str]]], dict[str, torch.Tensor]]


def train(model: CrossEncoder, instances: list[Instance], encode: Encode, rng: random.Random) -> list[float]:
    """One epoch, two issues a step, each a softmax over its gold file and NEGATIVES of the trees' top POOL."""
    usable = [
        i
        for i in instances
        if any(c.gold for c in i.candidates) and sum(not c.gold for c in i.candidates[:POOL]) >= NEGATIVES
    ]
    rng.shuffle(usable)
    steps = math.ceil(len(usable) / 2)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=5e-5, weight_decay=0.01)
    warm_then_decay = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / (0.05 * steps)) * max(0.0, 1 - s / steps)
    )
    model.train()
    losses = []
    for b in range(0, len(usable), 2):
        pairs = []
        for inst in usable[b : b + 2]:
            words = _words(inst.issue)
            gold = rng.choice([c for c in inst.candidates if c.gold])
            negatives = rng.sample([c for c in inst.candidates[:POOL] if not c.gold], NEGATIVES)
            pairs += [(inst.issue, document(c, words)) for c in [gold, *negatives]]
        scores = model(encode(pairs)).view(-1, 1 + NEGATIVES)
        loss = torch.nn.functional.cross_entropy(scores, torch.zeros(len(scores), dtype=torch.long))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        warm_then_decay.step()
        opt.zero_grad()
        losses.append(loss.item())
    return losses


def score_top(model: CrossEncoder, inst: Instance, encode: Encode) -> np.ndarray:
    """The cross-encoder's score of each of the trees' top TOP files."""
    model.eval()
    words = _words(inst.issue)
    top = [c for c in inst.candidates if c.rank <= TOP]
    with torch.no_grad():
        return model(encode([(inst.issue, document(c, words)) for c in top])).numpy()


def hits(inst: Instance, ce: np.ndarray, w: float | None) -> dict[int, bool]:
    """Whether every gold file is within k once the top TOP is reordered by logit + w z(ce) (``None``: by ce)."""
    top = [c for c in inst.candidates if c.rank <= TOP]
    z = (ce - ce.mean()) / (ce.std() + 1e-6)
    combined = z if w is None else np.array([c.logit for c in top]) + w * z
    new_rank = {top[i].path: r + 1 for r, i in enumerate(np.argsort(-combined, kind="stable"))}
    golds = [c for c in inst.candidates if c.gold]
    if len(golds) < inst.n_gold:  # a gold file the index lacks
        return {k: False for k in KS}
    worst = max(new_rank.get(c.path, c.rank) for c in golds)
    return {k: worst <= k for k in KS}


def accuracy(instances: list[Instance], ce: dict[str, np.ndarray], w: Callable[[Instance], float | None]) -> str:
    got = [hits(i, ce[i.id], w(i)) for i in instances]
    return " / ".join(f"{np.mean([g[k] for g in got]):.3f}" for k in KS) if got else "-"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cache_arguments(ap)
    ap.add_argument("--folds", type=int, default=4)
    ap.add_argument("--layers", type=int, default=2, help="of MiniLM's 6")
    ap.add_argument("--max-tokens", type=int, default=160)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    if not 2 <= args.folds <= 10 or not 1 <= args.layers <= 6 or args.max_tokens < 32:
        fail("expected 2-10 --folds, 1-6 --layers and at least 32 --max-tokens")
    rows, data = cached_pools(args.dataset, args.repos, args.work, args.dense)
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    fit_fusion.TREES["num_threads"] = args.threads
    transformers_logging.set_verbosity_error()
    started = time.perf_counter()
    fold = deal(Counter(d["repo"] for d in data), args.folds)
    logits = fold_logits(data, fold, args.folds)
    built = [instance(rows[d["id"]], d, logits[d["id"]], args.repos) for d in data]
    instances = [i for i in built if i is not None]
    print(
        f"{len(instances)} instances of {len(fold)} repositories in {args.folds} folds "
        f"({len(built) - len(instances)} whose file listing disagreed with the cache left out); "
        f"trees and candidates in {time.perf_counter() - started:.0f}s",
        flush=True,
    )
    model_path = default_model_path()
    tokenizer = AutoTokenizer.from_pretrained(model_path)

    def encode(pairs: list[tuple[str, str]]) -> dict[str, torch.Tensor]:
        return dict(
            tokenizer(
                [q for q, _ in pairs],
                [d for _, d in pairs],
                truncation="longest_first",
                max_length=args.max_tokens,
                padding=True,
                return_tensors="pt",
            )
        )

    ce: dict[str, np.ndarray] = {}
    rng = random.Random(0)
    for f in range(args.folds):
        model = CrossEncoder(model_path, args.layers)
        started = time.perf_counter()
        losses = train(model, [i for i in instances if fold[i.repo] != f], encode, rng)
        trained = time.perf_counter() - started
        held = [i for i in instances if fold[i.repo] == f]
        ce.update({i.id: score_top(model, i, encode) for i in held})
        pairs = sum(len(ce[i.id]) for i in held)
        print(
            f"fold {f + 1}/{args.folds}: {len(losses)} steps in {trained / 60:.1f} min, loss {np.mean(losses[:50]):.2f}"
            f" -> {np.mean(losses[-50:]):.2f} (chance {math.log(1 + NEGATIVES):.2f}); {pairs} pairs scored at"
            f" {1000 * (time.perf_counter() - started - trained) / max(pairs, 1):.1f} ms each",
            flush=True,
        )
    chosen = {
        f: max(WEIGHTS, key=lambda w: _at_1_and_5([i for i in instances if fold[i.repo] != f], ce, w))
        for f in range(args.folds)
    }
    print(f"w per fold (chosen on the other folds by Acc@1 + Acc@5): {[chosen[f] for f in range(args.folds)]}")
    pools: dict[str, Callable[[Instance], bool]] = {
        "small": lambda i: i.dataset == "small",
        "small, one file": lambda i: i.dataset == "small" and i.n_gold == 1,
        "big": lambda i: i.dataset == "big",
        "big, one file": lambda i: i.dataset == "big" and i.n_gold == 1,
    }
    methods: dict[str, Callable[[Instance], float | None]] = {
        "fold trees": lambda i: 0.0,
        f"cross-encoder alone, reordering the top {TOP}": lambda i: None,
        "trees + w x cross-encoder": lambda i: chosen[fold[i.repo]],
    }
    print("| method | " + " | ".join(pools) + " |\n|" + " --- |" * (len(pools) + 1))
    for name, w in methods.items():
        cells = [accuracy([i for i in instances if keep(i)], ce, w) for keep in pools.values()]
        print(f"| {name} | {' | '.join(cells)} |")


def _at_1_and_5(instances: list[Instance], ce: dict[str, np.ndarray], w: float) -> float:
    got = [hits(i, ce[i.id], w) for i in instances]
    return float(np.mean([g[1] for g in got]) + np.mean([g[5] for g in got]))


if __name__ == "__main__":
    main()
