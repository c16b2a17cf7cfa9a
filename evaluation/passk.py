"""pass@k with the unbiased estimator of Chen et al. (2021), as SWE-bench and HumanEval report it.

With n samples of which c are correct, pass@k = 1 - C(n-c, k) / C(n, k): the
chance that at least one of k samples drawn without replacement is correct.
Averaging ``c/n`` over draws of size k (the naive estimate) is biased low for
k > 1; this one is not. Exact integers (``math.comb``) keep it exact for the
small n we sample, and the product form keeps it finite for large n.
"""

from __future__ import annotations

from collections.abc import Iterable
from math import comb


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k for one problem with ``n`` samples, ``c`` of them correct."""
    if not 0 <= c <= n or k < 1:
        raise ValueError(f"need 0 <= c <= n and k >= 1, got n={n}, c={c}, k={k}")
    if k > n:
        raise ValueError(f"pass@{k} needs at least {k} samples, got {n}")
    if n - c < k:
        return 1.0
    return 1.0 - comb(n - c, k) / comb(n, k)


def mean_pass_at_k(counts: Iterable[tuple[int, int]], k: int) -> float:
    """pass@k averaged over problems, each given as (samples, correct)."""
    values = [pass_at_k(n, c, k) for n, c in counts]
    return sum(values) / len(values) if values else 0.0
