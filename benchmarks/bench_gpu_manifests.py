"""GPU manifests from a small local model: of N seeds, how many the rules accept and how many request the GPU.

    nice .venv/bin/python benchmarks/bench_gpu_manifests.py [--seeds 100] [--instruction TEXT]

Builds the tests' tiny random-weights Llama (tests/models/tiny.py) with a BPE
tokenizer that has seen the shipped example manifests, and runs what
``patchgate generate --grammar kubernetes --seed N`` runs (``generate_document``)
for each seed at temperature 1. A document counts as accepted when the parse
gate (schema and policies/kubernetes.yaml) has no error for it, and as
requesting the GPU when each container requests the instruction's GPU count
with an equal limit. Also prints how many needed a second sample and the
median seconds per seed (one torch thread: the model is tiny).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "models"))


def requests_gpus(text: str, count: int) -> bool:
    """Whether every container of the manifest requests ``count`` nvidia.com/gpu and limits it to that."""
    import yaml

    doc = yaml.safe_load(text)
    containers = (((doc.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []
    return bool(containers) and all(
        c["resources"]["requests"].get("nvidia.com/gpu") == count == c["resources"]["limits"].get("nvidia.com/gpu")
        for c in containers
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--instruction", default="a Deployment serving a diffusion model on one GPU")
    args = parser.parse_args()

    import torch
    from tiny import build_tiny_model, manifest_corpus

    from agent.models.hf import HFModel
    from agent.writing.documents import gate_error, generate_document
    from agent.writing.grammar_plan import gpus_asked
    from core.errors import GateFailure

    torch.set_num_threads(1)
    count = gpus_asked(args.instruction) or 0
    with tempfile.TemporaryDirectory() as tmp:
        model = HFModel(build_tiny_model(Path(tmp) / "model", vocab_size=800, corpus=manifest_corpus()))
        accepted = gpu = resampled = failed = 0
        seconds = []
        for seed in range(args.seeds):
            start = time.perf_counter()
            try:
                doc = generate_document(model, args.instruction, grammar="kubernetes", seed=seed, temperature=1.0)
            except GateFailure as exc:
                failed += 1
                print(f"seed {seed}: {exc}")
                continue
            finally:
                seconds.append(time.perf_counter() - start)
            accepted += gate_error("manifest.yaml", doc.text) is None
            gpu += requests_gpus(doc.text, count) if count else 0
            resampled += doc.attempts > 1
    print(f"instruction: {args.instruction!r} ({count} GPU asked)")
    print(
        f"seeds: {args.seeds}  accepted by the rules: {accepted}  request the GPU: {gpu}  "
        f"needed a second sample: {resampled}  no valid document: {failed}"
    )
    print(f"median {statistics.median(seconds):.2f} s a seed (max {max(seconds):.2f} s)")


if __name__ == "__main__":
    main()
