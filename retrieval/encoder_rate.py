"""How many chunks a second the tuned encoder embeds on this machine's CPU: measured once, then read from a file.

``dense = "auto"`` reads it to decide whether a repository's first index fits its time with the tuned encoder
(``retrieval.embeddings``). The CPU's instruction flags could not say it: inside sympy's index, one 2-core Xeon with
AMX embedded 405-418 chunks/s (85 s in all) and another 241 (188 s, past the 180 s a first index may take), and an
AMD EPYC with AVX512-BF16 alone 182-186 (docs/ranking.md, "Fifteenth round").

The measurement takes 3-5 s on two cores after the model loads (which an index with the tuned encoder needs anyway),
once per machine and encoder, and is as steady as the machine: on a shared virtual machine it gave 197-328 chunks/s
within minutes, and 122 and 241 an hour apart some hours later. It is cached under the user cache dir, keyed by
the CPU's model, flags and usable cores, so a home folder shared between machines keeps one figure for each, and
one machine decides the same way every time.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable
from functools import lru_cache
from hashlib import sha1
from pathlib import Path

import numpy as np

from core.atomic import atomic_write_text
from core.locks import exclusive
from core.settings import CachePaths, cache_root

Embed = Callable[[list[str]], np.ndarray]
PROBE_CHUNKS = 256  # texts a timed run embeds: about 1 s on two cores
RUNS = 3  # timed runs after a warm-up; their median is the rate


def chunks_per_second(model_id: str, embed: Embed) -> float:
    """The rate of the encoder ``model_id`` here: measured with ``embed`` if no process has yet (the encoder loads
    its model when first called), then read back."""
    path = CachePaths(root=cache_root()).encoder_rates
    key = _machine_key(model_id)
    if (rate := _read(path).get(key)) is not None:
        return rate
    with exclusive(path.with_name(path.name + ".lock"), "another patchgate process is timing the encoder; waiting"):
        rates = _read(path)  # another process may have measured it meanwhile
        if key not in rates:
            rates[key] = _measure(embed)
            atomic_write_text(path, json.dumps(rates, indent=1, sort_keys=True) + "\n")
    return rates[key]


def cached_rate(model_id: str) -> float | None:
    """The rate measured here earlier, or None: for ``patchgate doctor``, which measures nothing."""
    return _read(CachePaths(root=cache_root()).encoder_rates).get(_machine_key(model_id))


def cpu_model() -> str:
    """The CPU's model name as the kernel reports it (``unknown CPU`` where there is no /proc/cpuinfo)."""
    return cpu_field("model name") or "unknown CPU"


def probe_texts(count: int, start: int = 0) -> list[str]:
    """Code-like chunks of about 1,000 characters, the mean of sympy's and numpy's chunks: the encoder reads their
    first 64 tokens, but the tokenizer, which shares the cores, reads all of it."""
    return [
        f"def scale_{i}(value, factor_{i}, *limits):\n"
        f'    """Scale value by factor {i}, then clip it to the limits given."""\n'
        + "".join(
            f"    step_{k} = value * factor_{i} + {k} / (1 + len(limits))  # the {k}th correction of {i}\n"
            for k in range(10)
        )
        + "    return max(min(step_9, limits[0]), limits[-1]) if limits else step_9\n"
        for i in range(start, start + count)
    ]


def _measure(embed: Embed) -> float:
    from core.console import err

    err.print("timing the tuned encoder on this CPU (once per machine, a few seconds)", style="dim")
    embed(probe_texts(PROBE_CHUNKS // 2, start=RUNS * PROBE_CHUNKS))  # warm-up: kernels, allocator
    rates = []
    for run in range(RUNS):
        started = time.perf_counter()
        embed(probe_texts(PROBE_CHUNKS, start=run * PROBE_CHUNKS))
        rates.append(PROBE_CHUNKS / (time.perf_counter() - started))
    return round(statistics.median(rates), 1)


def _read(path: Path) -> dict[str, float]:
    """The cached rates; an unreadable or damaged file is only a cache, measured again."""
    try:
        rates = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(rates, dict):
        return {}
    return {k: float(v) for k, v in rates.items() if isinstance(v, int | float) and v > 0}


@lru_cache(maxsize=4)
def _machine_key(model_id: str) -> str:
    """The encoder, the CPU (model and flags) and the cores this process may use: what the rate depends on."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    machine = sha1(f"{cpu_model()}|{cpu_field('flags')}".encode()).hexdigest()[:12]
    return f"{model_id}|{machine}|{cores} cores"


@lru_cache(maxsize=4)
def cpu_field(field: str) -> str:
    """The first processor's ``field`` in /proc/cpuinfo, or "" (no such file or field): its model name, its flags."""
    info = Path("/proc/cpuinfo")
    lines = info.read_text().splitlines() if info.exists() else []
    return next((line.split(":", 1)[1].strip() for line in lines if line.split(":", 1)[0].strip() == field), "")
