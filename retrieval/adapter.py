"""The encoder adapter patchgate trained on issue→fix pairs, merged into the packaged MiniLM's weights.

``benchmarks/tune_encoder.py`` trains a LoRA adapter (rank 16 on every linear layer of MiniLM's six blocks) on the
mined pairs and stores its factors as plain float16 arrays named by the module they change, with the scale
(``encoder_lora.npz``, 1.2 MB: reviewable as data, no pickle). Merging ``W + scale · B A`` once at load gives an
ordinary model: no extra package, no cost per call, and the GPU and the CPU read the same weights.
"""

from __future__ import annotations

from functools import lru_cache
from hashlib import sha1
from pathlib import Path
from typing import Any

import numpy as np

ADAPTER_FILE = Path(__file__).with_name("encoder_lora.npz")
_A, _B = ".lora_A.weight", ".lora_B.weight"


@lru_cache(maxsize=2)
def adapter_fingerprint(path: Path = ADAPTER_FILE) -> str:
    """Part of the vector cache's key: vectors of another adapter are other vectors."""
    return sha1(path.read_bytes()).hexdigest()[:16]


def merge_adapter(weights: dict[str, Any], path: Path = ADAPTER_FILE) -> None:
    """Add the stored factors into ``weights`` (tensors by parameter name, such as a model's ``state_dict()``,
    whose tensors share the model's storage) in place. A layer the file names that the weights lack is an error,
    not a silent skip: the adapter belongs to one architecture."""
    import torch

    arrays = np.load(path, allow_pickle=False)
    scale = float(arrays["scale"][0])
    with torch.no_grad():
        for key in arrays.files:
            if not key.endswith(_A):
                continue
            name = key.removesuffix(_A)
            weight = weights.get(f"{name}.weight")
            if weight is None:
                raise ValueError(f"{path.name} adapts {name}, which this model does not have")
            a = torch.from_numpy(arrays[key].astype(np.float32))
            b = torch.from_numpy(arrays[name + _B].astype(np.float32))
            weight += (scale * b @ a).to(weight.device, weight.dtype)
