"""The tuned encoder: the packaged MiniLM's weights, its adapter merged, mean-pooled, on torch or on numpy alone.

sentence-transformers or transformers would run the same network, but importing transformers takes about 2.5 s
on a 2-core machine, paid by every cold ``patchgate context`` for one query vector. MiniLM is a plain BERT
encoder (six blocks, absolute positions, GELU; the package's ``config.json`` is checked), and its pipeline is
known (mean pooling over the attention mask; the package's ``modules.json``), so its forward pass is written
here once, over five primitives each backend supplies, and the ``tokenizers`` library cuts and pads the text.

Two backends, for two jobs: torch's fused kernels embed an index's thousands of chunks (bfloat16 on a CPU that
has it, fp16 on a GPU); numpy embeds one query in float32 without importing torch, which alone is about 0.9 s of
a cold query on two cores. ``tests/index`` checks both against transformers' ``BertModel`` with the same
adapter merged. The class offers the few members ``TransformerEmbedder`` uses of a ``SentenceTransformer``, so
the torch backend runs through the same batching code.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import ConfigError
from retrieval.adapter import merge_adapter


class TorchOps:
    """The primitives as torch's library calls."""

    def __init__(self) -> None:
        import torch
        from torch.nn import functional

        self.torch, self.F = torch, functional

    def tensor(self, rows: list[list[int]]) -> Any:
        return self.torch.tensor(rows, dtype=self.torch.long)

    def linear(self, x: Any, weight: Any, bias: Any) -> Any:
        return self.F.linear(x, weight, bias)

    def layer_norm(self, x: Any, weight: Any, bias: Any, eps: float) -> Any:
        return self.F.layer_norm(x, (x.shape[-1],), weight, bias, eps)

    def gelu(self, x: Any) -> Any:
        return self.F.gelu(x)

    def attention(self, q: Any, k: Any, v: Any, mask: Any) -> Any:
        return self.F.scaled_dot_product_attention(q, k, v, attn_mask=mask[:, None, None, :].bool())

    def mean_pool(self, h: Any, mask: Any) -> Any:
        m = mask.unsqueeze(-1).to(h.dtype)
        return (h * m).sum(1) / self.torch.clamp(m.sum(1), min=1)


class NumpyOps:
    """The same primitives in numpy, in float32 (GELU through erf, as BERT's, not the tanh approximation)."""

    def tensor(self, rows: list[list[int]]) -> np.ndarray:
        return np.array(rows, dtype=np.int64)

    def linear(self, x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
        return x @ weight.T + bias

    def layer_norm(self, x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
        centred = x - x.mean(-1, keepdims=True)
        variance = (centred * centred).mean(-1, keepdims=True)
        return centred / np.sqrt(variance + np.float32(eps)) * weight + bias

    def gelu(self, x: np.ndarray) -> np.ndarray:
        return np.float32(0.5) * x * (np.float32(1) + _erf(x * np.float32(2**-0.5)))

    def attention(self, q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: np.ndarray) -> np.ndarray:
        scores = q @ k.swapaxes(-1, -2) * np.float32(q.shape[-1] ** -0.5)
        scores = np.where(mask[:, None, None, :].astype(bool), scores, np.float32(-np.inf))
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        return (scores / scores.sum(-1, keepdims=True)) @ v

    def mean_pool(self, h: np.ndarray, mask: np.ndarray) -> np.ndarray:
        m = mask[..., None].astype(h.dtype)
        return (h * m).sum(1) / np.maximum(m.sum(1), 1)


_ERF_P = np.float32(0.3275911)
_ERF_A = [np.float32(a) for a in (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592)]


def _erf(x: np.ndarray) -> np.ndarray:
    """erf to within 1e-6 in float32 (Abramowitz and Stegun 7.1.26): scipy.special's import alone is 0.24 s of a
    cold query, and numpy has no erf."""
    a = np.abs(x)
    t = np.float32(1) / (np.float32(1) + _ERF_P * a)
    poly = np.zeros_like(t)
    for coefficient in _ERF_A:  # Horner, highest power first
        poly = (poly + coefficient) * t
    return np.sign(x) * (np.float32(1) - poly * np.exp(-a * a))


@lru_cache(maxsize=1)
def merged_weights(path: str) -> dict[str, np.ndarray]:
    """The package's float32 weights with the adapter merged in, read and merged once per process: the torch model
    that embeds a refresh's chunks and the numpy one that embeds the query after it share them (never written
    after the merge; torch on the CPU reads them in place, a cast or a GPU copies them)."""
    from safetensors.numpy import load_file

    weights = load_file(str(Path(path) / "model.safetensors"))
    merge_adapter(weights)
    return weights


class TunedModel:
    """MiniLM's weights as a dict of arrays, the trained adapter added in, and its fast tokenizer.

    ``device``: torch tensors there (``cpu`` or ``cuda``); None: numpy arrays, and torch is never imported.
    """

    def __init__(self, path: str, device: str | None) -> None:
        from tokenizers import Tokenizer

        folder = Path(path)
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        if (config.get("model_type"), config.get("hidden_act"), config.get("position_embedding_type")) != (
            "bert",
            "gelu",
            "absolute",
        ):
            raise ConfigError(f"{folder} is not the BERT encoder the tuned adapter was trained on")
        self.hidden, self.heads = int(config["hidden_size"]), int(config["num_attention_heads"])
        self.blocks, self.eps = int(config["num_hidden_layers"]), float(config["layer_norm_eps"])
        weights = merged_weights(path)
        self.ops: TorchOps | NumpyOps
        self.w: dict[str, Any]  # numpy arrays or torch tensors, by parameter name
        if device is None:
            self.ops, self.w = NumpyOps(), weights
        else:
            self.ops = TorchOps()
            self.w = {k: self.ops.torch.from_numpy(v).to(device) for k, v in weights.items()}
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        # what a query is cut to: the package's own limit (sentence-transformers reads the same file)
        self.max_seq_length = int(
            json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))["max_seq_length"]
        )

    def get_embedding_dimension(self) -> int:
        return self.hidden

    def half(self) -> None:
        self._cast("float16")

    def bfloat16(self) -> None:
        self._cast("bfloat16")

    def _cast(self, dtype: str) -> None:
        """Lower the torch backend's precision (numpy has neither type: its query stays float32)."""
        assert isinstance(self.ops, TorchOps), "only the torch backend lowers its precision"
        to = getattr(self.ops.torch, dtype)
        self.w = {k: v.to(to) if v.is_floating_point() else v for k, v in self.w.items()}

    def preprocess(self, texts: list[str]) -> dict[str, Any]:
        """Token ids and attention mask, each text cut to ``max_seq_length`` tokens and padded to the longest."""
        self.tokenizer.enable_truncation(self.max_seq_length)
        encoded = self.tokenizer.encode_batch(texts)
        return {
            "input_ids": self.ops.tensor([e.ids for e in encoded]),
            "attention_mask": self.ops.tensor([e.attention_mask for e in encoded]),
        }

    def __call__(self, features: dict[str, Any]) -> dict[str, Any]:
        """BERT's forward pass (inference: no dropout), then the mean of the unmasked tokens' last states."""
        ops, w, ids, mask = self.ops, self.w, features["input_ids"], features["attention_mask"]
        batch, length = ids.shape

        def norm(x: Any, name: str) -> Any:
            return ops.layer_norm(x, w[f"{name}.weight"], w[f"{name}.bias"], self.eps)

        def dense(x: Any, name: str) -> Any:
            return ops.linear(x, w[f"{name}.weight"], w[f"{name}.bias"])

        h = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:length]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        h = norm(h, "embeddings.LayerNorm")
        for b in range(self.blocks):
            at = f"encoder.layer.{b}"
            q, k, v = (
                dense(h, f"{at}.attention.self.{n}").reshape(batch, length, self.heads, -1).swapaxes(1, 2)
                for n in ("query", "key", "value")
            )
            # every token may look at every real token, none at padding
            mixed = ops.attention(q, k, v, mask).swapaxes(1, 2).reshape(h.shape)
            h = norm(h + dense(mixed, f"{at}.attention.output.dense"), f"{at}.attention.output.LayerNorm")
            inner = ops.gelu(dense(h, f"{at}.intermediate.dense"))
            h = norm(h + dense(inner, f"{at}.output.dense"), f"{at}.output.LayerNorm")
        return {"sentence_embedding": ops.mean_pool(h, mask)}
