"""The encoder adapter patchgate trained on issue→fix pairs, merged into the packaged MiniLM's weights.

``benchmarks/tune_encoder.py`` trains a LoRA adapter (rank 16 on every linear layer of MiniLM's six blocks) on the
mined pairs and stores its factors as plain float16 arrays named by the module they change, with the scale
(``encoder_lora.npz``, 1.2 MB: reviewable as data, no pickle). Merging ``W + scale · B A`` once at load gives an
ordinary model: no extra package, no cost per call, and the GPU and the CPU read the same weights.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from hashlib import sha1
from pathlib import Path

import numpy as np

ADAPTER_FILE = Path(__file__).with_name("encoder_lora.npz")
_A, _B = ".lora_A.weight", ".lora_B.weight"


@lru_cache(maxsize=2)
def adapter_fingerprint(path: Path = ADAPTER_FILE) -> str:
    """Part of the vector cache's key: vectors of another adapter are other vectors."""
    return sha1(path.read_bytes()).hexdigest()[:16]


def merge_adapter(weights: Mapping[str, np.ndarray], path: Path = ADAPTER_FILE) -> None:
    """Add the stored factors into ``weights`` (float32 arrays by parameter name) in place.

    Numpy, so a query is embedded without importing torch; a torch model's ``state_dict()`` on the CPU is merged
    through its tensors' ``.numpy()`` views, which share their storage. A layer the file names that the weights
    lack is an error, not a silent skip: the adapter belongs to one architecture."""
    arrays = np.load(path, allow_pickle=False)
    scale = np.float32(arrays["scale"][0])
    for key in arrays.files:
        if not key.endswith(_A):
            continue
        name = key.removesuffix(_A)
        weight = weights.get(f"{name}.weight")
        if weight is None:
            raise ValueError(f"{path.name} adapts {name}, which this model does not have")
        weight += scale * (arrays[name + _B].astype(np.float32) @ arrays[key].astype(np.float32))
