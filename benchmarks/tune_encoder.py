"""Fine-tune the packaged MiniLM itself on the mined pairs (a LoRA adapter), validated by repository, on a GPU.

The learned query of ``train_learned.py`` only re-weighs and rotates the issue's static vector; this measures what
training the encoder's own layers gives, the model option issue 23 names first (docs/ranking.md, "Eighth round").

    python benchmarks/tune_encoder.py export --repos /tmp/i23/repos --out .gpu/pairs.json.xz --model-out .gpu/minilm
    python benchmarks/tune_encoder.py train --data .gpu/pairs.json.xz --model .gpu/minilm --out OUT [--device cuda]
                                            [--chunk-tokens 64]
    python benchmarks/tune_encoder.py apply --data .gpu/dev.json.xz --model .gpu/minilm [--repo NAME]

``export`` (CPU, a minute) writes the bundle the other steps read (``encoder_bundle.py``); ``--pairs`` takes the mined
pairs or a SWE-bench dataset.

``train`` (a GPU: everything in minutes; a 2-core CPU trains the final adapter alone, ``--folds '' --variants shared
--budget 100000``, in 36 minutes at ``--chunk-tokens 64`` (timed before activations were recomputed, see
``CHUNK_GROUP``), about three hours at 256, 41 s a step): ``train_learned``'s five folds of whole repositories. Per
fold, a LoRA adapter (rank ``RANK`` on every linear layer) is trained on the other folds' pairs: each pair's query
against one chunk its fix touched, with the other pairs' positives and ``HARD_PER_PAIR`` hard negatives each (drawn from
the plain model's top ``HARD_POOL`` chunks of the pair's repository outside its gold files) as negatives, softmax at
temperature ``TEMPERATURE``. The held-out fold is measured as ``train_learned`` measures (files ranked by their best
chunk of the snapshot, the gold files by their chunks at the pair's base): the plain static and transformer encoders,
then the variants (``VARIANTS``): the adapter shared by queries and chunks (the GPU path), a static model distilled from
that tuned transformer (the CPU path), and a query tower (the tuned transformer for the query only, a linear head into
the static index's space). Results are written to ``OUT`` fold by fold, so a run cut short keeps what it measured; the
adapters trained on every pair last, as ``save_adapter`` stores them.

``train --start ADAPTER --folds '' --variants shared`` is a second stage: the adapter ``ADAPTER`` (the shipped one, or a
first stage's) trained further on every pair (``--epochs``, ``--lr``), its hard negatives now the chunks whose heads
its own index ranks highest outside a pair's gold files: the mistakes the product makes, not the plain model's.

``apply`` (CPU): a bundle ranked by the plain encoders and by the transformer with a saved adapter merged in.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.encoder_bundle import cut_chunks, export, half_model, load_bundle, token_ids, used_strings
from benchmarks.errors import fail
from retrieval.adapter import ADAPTER_FILE, merge_adapter
from retrieval.embeddings import TUNED_DOCUMENT_TOKENS

FOLDS = 5
KS = (1, 5, 10)
MAX_TOKENS = 256  # MiniLM's ``max_seq_length``
RANK, ALPHA, LR, EPOCHS, BATCH = 16, 32, 3e-4, 2, 64
HARD_POOL, HARD_PER_PAIR = 30, 3
TEMPERATURE = 0.05
# A training step embeds its texts in length-sorted groups: a report's length varies far more than a chunk's, and one
# long report would pad all 64 to its length (a CPU step at 64-token chunks: 13.6 s -> 7.0 s). At 256 tokens a step's
# activations outgrow this CPU's 24 GiB (killed, even 64 candidates at a time, with the long chunks a tuned index
# mines as hard negatives), so on a CPU each block's are recomputed in the backward pass: 41 s a step.
QUERY_GROUP, CHUNK_GROUP = 8, 64


class Encoder:
    """Mean-pooled, unit-length MiniLM embeddings of token id lists, in length-sorted batches."""

    def __init__(self, model: Any, device: str) -> None:
        self.model, self.device = model, device

    def __call__(self, ids: list[list[int]], batch: int = 512, grad: bool = False) -> Any:
        import torch

        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        pooled = torch.cat(
            [self._pool([ids[i] for i in order[at : at + batch]], grad) for at in range(0, len(ids), batch)]
        )
        return pooled[torch.argsort(torch.tensor(order, device=self.device))]  # back in the order given

    def _pool(self, seqs: list[list[int]], grad: bool) -> Any:
        import torch

        width = max(len(s) for s in seqs)
        input_ids = torch.zeros((len(seqs), width), dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        for i, s in enumerate(seqs):
            input_ids[i, : len(s)] = torch.tensor(s)
            mask[i, : len(s)] = 1
        input_ids, mask = input_ids.to(self.device), mask.to(self.device)
        ctx = torch.enable_grad() if grad else torch.no_grad()
        with ctx, torch.autocast(self.device.split(":")[0], dtype=torch.bfloat16):
            hidden = self.model(input_ids=input_ids, attention_mask=mask).last_hidden_state
        m = mask.unsqueeze(-1).float()
        pooled = (hidden.float() * m).sum(1) / m.sum(1).clamp(min=1)
        return torch.nn.functional.normalize(pooled, dim=1)


@dataclass(frozen=True)
class Schedule:
    """How an adapter is trained: from zero for ``epochs`` at ``lr`` (the first stage), or onward from the factors
    a first stage stored (``start``: a second stage, its hard negatives mined by that adapter)."""

    epochs: int = EPOCHS
    lr: float = LR
    start: Path | None = None


def file_hits(repo: dict[str, Any], vec: Any) -> list[dict[int, bool]]:
    """Per pair with a gold chunk: whether every gold file is within the top k, files ranked by their best chunk
    (``train_learned.file_hits``: snapshot chunks outside the gold files, the gold files by their chunks at the
    pair's base). ``vec`` maps a string id to its unit vector (a tensor row)."""
    import torch

    files = sorted(set(repo["paths"]))
    number = {p: i for i, p in enumerate(files)}
    of_chunk = torch.tensor([number[p] for p in repo["paths"]], device=vec.device, dtype=torch.long)
    snap = vec[torch.tensor(repo["chunks"], device=vec.device, dtype=torch.long)]
    out = []
    for pair in repo["pairs"]:
        if not pair["gold_chunks"]:
            continue
        q = vec[pair["query"]]
        gold_numbers = torch.tensor([number[g] for g in pair["gold_files"] if g in number], device=vec.device)
        kept = ~torch.isin(of_chunk, gold_numbers)
        best = torch.full((len(files),), -torch.inf, device=vec.device)
        best = best.scatter_reduce(0, of_chunk[kept], snap[kept] @ q, reduce="amax")
        others = best[torch.isfinite(best)]
        gold_best: dict[str, float] = {}
        gs = (vec[torch.tensor(pair["gold_chunks"], device=vec.device, dtype=torch.long)] @ q).tolist()
        for p, s in zip(pair["gold_paths"], gs, strict=True):
            gold_best[p] = max(gold_best.get(p, -1.0), s)
        ranks = [
            1 + int((others > gold_best[g]).sum()) + sum(v > gold_best[g] for v in gold_best.values())
            if g in gold_best
            else 10**9
            for g in pair["gold_files"]
        ]
        out.append({k: max(ranks) <= k for k in KS})
    return out


def acc(hits: list[dict[int, bool]]) -> str:
    return " / ".join(f"{np.mean([h[k] for h in hits]):.3f}" for k in KS) + f"  ({len(hits)})"


def embed_all(encoder: Encoder, tokens: list[list[int]], wanted: list[int]) -> Any:
    """A table string id -> vector, filled for ``wanted`` (zeros elsewhere)."""
    import torch

    vectors = encoder([tokens[i] for i in wanted])
    table = torch.zeros((len(tokens), vectors.shape[1]), device=encoder.device)
    table[torch.tensor(wanted, device=encoder.device)] = vectors
    return table


def hard_negatives(repos: list[dict[str, Any]], plain: Any) -> dict[int, list[int]]:
    """Per pair (by query string id): string ids of the plain model's top chunks of its repository outside its gold
    files."""
    import torch

    out: dict[int, list[int]] = {}
    for repo in repos:
        chunk_ids = torch.tensor(repo["chunks"], device=plain.device)
        snap = plain[chunk_ids]
        for pair in repo["pairs"]:
            gold = set(pair["gold_files"])
            order = torch.argsort(snap @ plain[pair["query"]], descending=True).tolist()
            picked = [repo["chunks"][i] for i in order[: 4 * HARD_POOL] if repo["paths"][i] not in gold]
            out[pair["query"]] = list(dict.fromkeys(picked))[:HARD_POOL]
    return out


def train_adapter(
    base: Any,
    tokens: list[list[int]],
    repos: list[dict[str, Any]],
    hard: dict[int, list[int]],
    device: str,
    batch: int,
    docs: Any = None,
    schedule: Schedule = Schedule(),
) -> tuple[Any, Any]:
    """A LoRA-wrapped copy of ``base`` trained on the pairs of ``repos`` (the contrastive loss of the module doc),
    and the head. With ``docs`` (a fixed table: the static index's vectors) only queries pass through the
    transformer and a linear head into that table's space (the query tower); else queries and chunks share the
    encoder and the head is None. The adapter starts at zero, or at ``schedule.start``'s factors."""
    import torch
    from peft import LoraConfig, get_peft_model

    wrapped = copy.deepcopy(base)
    if device == "cpu":  # see CHUNK_GROUP: 24 GiB does not hold a 256-token step's activations
        wrapped.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    model = get_peft_model(
        wrapped,
        LoraConfig(r=RANK, lora_alpha=ALPHA, lora_dropout=0.05, target_modules=["query", "key", "value", "dense"]),
    )
    if schedule.start is not None:
        load_factors(model, schedule.start)
    model.train()
    enc = Encoder(model, device)
    head = None if docs is None else torch.nn.Linear(base.config.hidden_size, docs.shape[1]).to(device)
    examples = [
        (pair["query"], [c for c, t in zip(pair["gold_chunks"], pair["touched"], strict=True) if t])
        for repo in repos
        for pair in repo["pairs"]
    ]
    examples = [(q, pos) for q, pos in examples if pos]
    params = [p for p in model.parameters() if p.requires_grad] + ([] if head is None else list(head.parameters()))
    opt = torch.optim.AdamW(params, lr=schedule.lr, weight_decay=0.01)
    rng = random.Random(0)
    total = schedule.epochs * (len(examples) // batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=schedule.lr, total_steps=max(total, 1), pct_start=0.1)
    step, losses = 0, []
    while step < total:
        rng.shuffle(examples)
        for at in range(0, len(examples) - batch + 1, batch):
            if step >= total:
                break
            chosen = examples[at : at + batch]
            cands = [rng.choice(pos) for _, pos in chosen]
            for q, _ in chosen:
                pool = hard.get(q, [])
                cands += rng.sample(pool, min(HARD_PER_PAIR, len(pool)))
            qv = enc([tokens[q] for q, _ in chosen], batch=QUERY_GROUP, grad=True)
            if head is None:
                cv = enc([tokens[c] for c in cands], batch=CHUNK_GROUP, grad=True)
            else:
                qv = torch.nn.functional.normalize(head(qv), dim=1)
                cv = docs[torch.tensor(cands, device=device)]
            logits = qv @ cv.T / TEMPERATURE
            loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(chosen), device=device))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            losses.append(float(loss.detach()))
            step += 1
            if step % 20 == 0:  # a CPU step takes seconds: show the run is alive
                print(f"    step {step}/{total}, loss {np.mean(losses[-20:]):.3f}", flush=True)
    model.eval()
    print(
        f"    {step} steps of {batch} pairs, loss {np.mean(losses[:10]):.3f} -> {np.mean(losses[-10:]):.3f}", flush=True
    )
    return model, head


def static_table(model: Any, tokenizer: Any, strings: list[str], wanted: list[int], device: str) -> Any:
    """Vectors of ``wanted`` strings under a static model distilled from ``model`` as patchgate distils (model2vec,
    256 PCA dimensions), unit length; the CPU path's embedding of the same texts."""
    import torch
    from model2vec.distill import distill_from_model

    static = distill_from_model(model=model, tokenizer=tokenizer, device=device, pca_dims=256)
    vecs = np.asarray(static.encode([strings[i] for i in wanted]), dtype=np.float32)
    vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-9)
    table = torch.zeros((len(strings), vecs.shape[1]), device=device)
    table[torch.tensor(wanted, device=device)] = torch.from_numpy(vecs).to(device)
    return table


def load_factors(model: Any, path: Path) -> None:
    """Set a LoRA-wrapped model's factors to those ``save_adapter`` stored: a second stage continues the first."""
    import torch

    arrays = np.load(path, allow_pickle=False)
    if not np.isclose(float(arrays["scale"][0]), ALPHA / RANK):
        fail(f"{path} was trained at another LoRA scale than {ALPHA / RANK}")
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_" not in name:
                continue
            if stored_name(name) not in arrays.files:
                fail(f"{path} has no {stored_name(name)}: not an adapter of this model")
            p.copy_(torch.from_numpy(arrays[stored_name(name)].astype(np.float32)))


def stored_name(name: str) -> str:
    """A peft parameter's name as ``save_adapter`` stores it: the module it changes, as ``merge_adapter`` reads."""
    return name.removeprefix("base_model.model.").replace(".default", "")


def save_adapter(model: Any, head: Any, path: Path) -> None:
    """The LoRA factors (and the query tower's head) as plain float16 arrays: ``W + (alpha / r) B A`` is the
    tuned weight, so any copy of the packaged MiniLM can apply it without peft."""
    arrays = {
        stored_name(name): p.detach().float().cpu().numpy() for name, p in model.named_parameters() if "lora_" in name
    }
    if head is not None:
        arrays |= {"head.weight": head.weight.detach().cpu().numpy(), "head.bias": head.bias.detach().cpu().numpy()}
    arrays["scale"] = np.array([ALPHA / RANK])
    np.savez_compressed(path, **{k: v.astype(np.float16) for k, v in arrays.items()})


def merged(base: Any, adapter: Path, device: str) -> Encoder:
    """An encoder of ``base`` with ``adapter``'s factors merged in, as the product merges them (``base`` untouched)."""
    model = copy.deepcopy(base).cpu()  # merged on the CPU, through numpy views of its tensors
    merge_adapter({k: v.numpy() for k, v in model.state_dict().items()}, adapter)
    return Encoder(model.to(device), device)


def apply(
    data: Path, model_dir: Path, adapter: Path, repo_name: str | None, device: str, chunk_tokens: list[int]
) -> None:
    """A bundle's pairs ranked as the folds rank them, by the static model distilled from the plain MiniLM, the
    plain transformer and the transformer with the kept adapter merged in, its chunks cut to each of
    ``chunk_tokens``. On the dev split's repositories (none trained on) a measurement; on a training repository
    in-sample, a check that the stored factors apply."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    bundle = load_bundle(data)
    strings: list[str] = bundle["strings"]
    repos = [r for r in bundle["repos"] if repo_name in (None, r["name"])]
    if not repos:
        fail(f"no repository {repo_name} in {data}")
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    wanted = used_strings(repos)
    tokens = token_ids(tokenizer, strings, wanted, MAX_TOKENS)
    plain = AutoModel.from_pretrained(model_dir, dtype=torch.float32).to(device).eval()
    tables = {
        "static, plain": static_table(plain, tokenizer, strings, wanted, device),
        "transformer, plain": embed_all(Encoder(plain, device), tokens, wanted),
    }
    tuned = merged(plain, adapter, device)
    for cut in chunk_tokens:
        tables[f"transformer, kept adapter, chunks ≤ {cut} tokens"] = embed_all(
            tuned, cut_chunks(tokens, repos, cut), wanted
        )
    print("file Acc@1 / @5 / @10 (best chunk per file):")
    for name, table in tables.items():
        per_repo = {r["name"]: file_hits(r, table) for r in repos}
        print(f"  {name:48s} {acc([h for hits in per_repo.values() for h in hits])}")
        for repo, hits in per_repo.items():
            print(f"      {repo:44s} {acc(hits)}")


VARIANTS = ("shared", "distilled", "query-tower")


def train(
    data: Path,
    model_dir: Path,
    out: Path,
    device: str,
    limit: int | None,
    budget: float,
    variants: list[str],
    folds_wanted: list[int],
    layers: int | None = None,
    max_tokens: int = MAX_TOKENS,
    chunk_tokens: int | None = None,
    schedule: Schedule = Schedule(),
) -> None:
    import torch
    from transformers import AutoModel, AutoTokenizer

    started = time.perf_counter()
    torch.manual_seed(0)
    bundle = load_bundle(data)
    strings: list[str] = bundle["strings"]
    repos: list[dict[str, Any]] = bundle["repos"]
    if limit is not None:  # a smoke run: a few pairs and chunks of each repository
        for r in repos:
            r["pairs"] = r["pairs"][:limit]
            r["chunks"], r["paths"] = r["chunks"][: 20 * limit], r["paths"][: 20 * limit]
    batch = 4 if limit else BATCH
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    base = AutoModel.from_pretrained(model_dir, dtype=torch.float32).to(device)
    base.eval()
    wanted = used_strings(repos)
    tokens = token_ids(tokenizer, strings, wanted, max_tokens)
    if chunk_tokens is not None:  # trained and measured on the chunk heads the index embeds, the queries whole
        tokens = cut_chunks(tokens, repos, chunk_tokens)
    out.mkdir(parents=True, exist_ok=True)
    log = out / "log.txt"

    def say(line: str) -> None:
        line = f"[{time.perf_counter() - started:5.0f}s] {line}"
        print(line, flush=True)
        with log.open("a", encoding="utf-8") as f:
            f.write(line + "\n")

    say(f"{len(repos)} repositories, {sum(len(r['pairs']) for r in repos)} pairs, {len(wanted)} texts tokenized")
    plain_static: Any = None  # the CPU path's, distilled from the whole model: for the folds' rows and the query tower
    if folds_wanted or "query-tower" in variants:
        plain_static = static_table(base, tokenizer, strings, wanted, device)
        say("static model distilled from the plain transformer")
    if layers is not None:  # a cut-down encoder, its first blocks: what the CPU could afford to run at index time
        base.encoder.layer = base.encoder.layer[:layers]
        base.config.num_hidden_layers = layers
    cut = f", chunks cut to {chunk_tokens}" if chunk_tokens is not None else ""
    say(f"encoder: {len(base.encoder.layer)} blocks, {max_tokens} tokens at most{cut}, on {device}")
    plain: Any = None  # the plain transformer's: the folds' row, and the first stage's hard negatives
    if schedule.start is None:
        plain = embed_all(Encoder(base, device), tokens, wanted)
        say("plain transformer embeddings done")
        hard = {"shared": hard_negatives(repos, plain)}
    else:  # a second stage: the chunks whose heads the start's index ranks highest outside a pair's gold files
        heads = cut_chunks(tokens, repos, TUNED_DOCUMENT_TOKENS)
        hard = {"shared": hard_negatives(repos, embed_all(merged(base, schedule.start, device), heads, wanted))}
        say(f"{schedule.start}'s index embedded ({TUNED_DOCUMENT_TOKENS}-token chunk heads)")
    if plain_static is not None:
        hard["query-tower"] = hard_negatives(repos, plain_static)
    say("hard negatives done")

    def tuned_table(variant: str, model: Any, head: Any, held: list[dict[str, Any]]) -> Any:
        if variant == "shared":
            return embed_all(Encoder(model, device), tokens, used_strings(held))
        table = plain_static.clone()
        queries = [p["query"] for r in held for p in r["pairs"]]
        with torch.no_grad():
            vecs = torch.nn.functional.normalize(head(Encoder(model, device)([tokens[q] for q in queries])), dim=1)
        table[torch.tensor(queries, device=device)] = vecs
        return table

    docs = {"shared": None, "query-tower": plain_static}
    folds = [repos[k::FOLDS] for k in range(FOLDS)]
    results: dict[str, dict[str, list[dict[int, bool]]]] = {}
    for k in folds_wanted:
        if time.perf_counter() - started > budget:
            say(f"budget spent before fold {k + 1}")
            break
        held = folds[k]
        train_repos = [r for j, f in enumerate(folds) if j != k for r in f]
        fold = {
            "transformer, plain": [h for r in held for h in file_hits(r, plain)],
            "static, plain": [h for r in held for h in file_hits(r, plain_static)],
        }
        trained: dict[str, tuple[Any, Any]] = {}
        for variant in variants:
            tower = "query-tower" if variant == "query-tower" else "shared"
            if tower not in trained:
                trained[tower] = train_adapter(
                    base, tokens, train_repos, hard[tower], device, batch, docs[tower], schedule
                )
            model, head = trained[tower]
            if variant == "distilled":  # the CPU path's static model, distilled from the tuned transformer
                table = static_table(model.merge_and_unload(), tokenizer, strings, used_strings(held), device)
                trained.pop("shared")  # merged: no longer the LoRA-wrapped model
            else:
                table = tuned_table(variant, model, head, held)
            fold[variant] = [h for r in held for h in file_hits(r, table)]
        results[str(k)] = fold
        (out / "folds.json").write_text(json.dumps(results), encoding="utf-8")
        say(f"fold {k + 1}/{FOLDS} ({', '.join(r['name'] for r in held)}):")
        for name, hits in fold.items():
            say(f"    {name:40s} {acc(hits)}")
    pooled: dict[str, list[dict[int, bool]]] = defaultdict(list)
    for fold in results.values():
        for name, hits in fold.items():
            pooled[name] += hits
    if pooled:
        say("pooled, file Acc@1 / @5 / @10 held out by repository (best chunk per file):")
    for name, hits in pooled.items():
        say(f"    {name:40s} {acc(hits)}")
    for variant in [v for v in variants if v != "distilled"]:
        if time.perf_counter() - started > budget:
            say(f"budget spent before the final {variant} adapter")
            break
        model, head = train_adapter(base, tokens, repos, hard[variant], device, batch, docs[variant], schedule)
        save_adapter(model, head, out / f"{variant}.npz")
        say(f"{variant} adapter trained on every pair: {out / f'{variant}.npz'}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="step", required=True)
    ex = sub.add_parser("export")
    ex.add_argument("--repos", type=Path, required=True)
    ex.add_argument("--pairs", type=Path, default=Path("benchmarks/data/learned_pairs.jsonl.gz"))
    ex.add_argument("--out", type=Path, required=True)
    ex.add_argument("--model-out", type=Path, help="also write the packaged model with float16 weights here")
    tr = sub.add_parser("train")
    tr.add_argument("--data", type=Path, required=True)
    tr.add_argument("--model", type=Path, required=True)
    tr.add_argument("--out", type=Path, required=True)
    tr.add_argument("--device", default="cuda")
    tr.add_argument(
        "--limit",
        type=int,
        help="a smoke run: this many pairs and 20 times as many chunks of each repository, batches of 4",
    )
    tr.add_argument(
        "--budget",
        type=float,
        default=420.0,
        help="seconds after which no new fold or final adapter starts (sized for the GPU)",
    )
    tr.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated, of: " + ", ".join(VARIANTS))
    tr.add_argument("--folds", default=",".join(map(str, range(FOLDS))), help="validate these folds ('': none)")
    tr.add_argument("--layers", type=int, help="keep only the model's first LAYERS blocks")
    tr.add_argument("--max-tokens", type=int, default=MAX_TOKENS, help="cut every text to this many tokens")
    tr.add_argument(
        "--chunk-tokens",
        type=int,
        help=f"also cut every chunk (not the queries) to this many tokens: the index embeds {TUNED_DOCUMENT_TOKENS}",
    )
    tr.add_argument("--epochs", type=int, default=EPOCHS)
    tr.add_argument("--lr", type=float, default=LR, help="the one-cycle schedule's peak learning rate")
    tr.add_argument(
        "--start",
        type=Path,
        help="a second stage: continue this saved adapter, on the hard negatives its index ranks highest "
        "(every pair: no folds, shared variant only)",
    )
    ck = sub.add_parser("apply", help="rank a bundle's pairs with the plain model and with a saved adapter")
    ck.add_argument("--data", type=Path, required=True)
    ck.add_argument("--model", type=Path, required=True)
    ck.add_argument("--adapter", type=Path, default=ADAPTER_FILE)
    ck.add_argument("--repo", help="only this repository's pairs")
    ck.add_argument("--device", default="cpu")
    ck.add_argument(
        "--chunk-tokens", default=str(MAX_TOKENS), help="comma-separated: a tuned row with chunks cut to each"
    )
    args = ap.parse_args()
    if args.step == "apply":
        apply(
            args.data, args.model, args.adapter, args.repo, args.device, [int(t) for t in args.chunk_tokens.split(",")]
        )
    elif args.step == "export":
        export(args.repos, args.pairs, args.out)
        if args.model_out:
            half_model(args.model_out)
    else:
        variants = [v for v in args.variants.split(",") if v]
        if unknown := set(variants) - set(VARIANTS):
            ap.error(f"unknown variants: {', '.join(sorted(unknown))}")
        folds = [int(k) for k in args.folds.split(",") if k]
        if args.start is not None and (folds or variants != ["shared"] or args.layers is not None):
            ap.error(
                "--start continues an adapter trained on every pair by the whole model: it takes --folds '' "
                "--variants shared, and no --layers"
            )
        if args.epochs < 1:
            ap.error("--epochs must be at least 1")
        if args.start is not None and not args.start.is_file():
            ap.error(f"no adapter at {args.start}")
        train(
            args.data,
            args.model,
            args.out,
            args.device,
            args.limit,
            args.budget,
            variants,
            folds,
            args.layers,
            args.max_tokens,
            args.chunk_tokens,
            Schedule(args.epochs, args.lr, args.start),
        )


if __name__ == "__main__":
    main()
