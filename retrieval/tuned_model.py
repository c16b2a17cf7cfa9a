"""The tuned encoder, run with torch alone: the packaged MiniLM's weights, its adapter merged, mean-pooled.

sentence-transformers or transformers would run the same network, but importing transformers takes about 2.5 s
on a 2-core machine, paid by every cold ``patchgate context`` for one query vector. MiniLM is a plain BERT
encoder (six blocks, absolute positions, GELU; the package's ``config.json`` is checked), and its pipeline is
known (mean pooling over the attention mask; the package's ``modules.json``), so its forward pass is written
here in a few torch calls and the ``tokenizers`` library cuts and pads the text. ``tests/index`` checks it
against transformers' ``BertModel`` with the same adapter merged. The class offers the few members
``TransformerEmbedder`` uses of a ``SentenceTransformer``, so both run through the same batching code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from core.errors import ConfigError
from retrieval.adapter import merge_adapter


class TunedModel:
    """MiniLM's weights as a dict of tensors, the trained adapter added in, and its fast tokenizer."""

    def __init__(self, path: str, device: str) -> None:
        from safetensors.torch import load_file
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
        weights = load_file(str(folder / "model.safetensors"))
        merge_adapter(weights)
        self.w = {k: v.to(device) for k, v in weights.items()}
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
        import torch

        self.w = {k: v.to(getattr(torch, dtype)) if v.is_floating_point() else v for k, v in self.w.items()}

    def preprocess(self, texts: list[str]) -> dict[str, Any]:
        """Token ids and attention mask, each text cut to ``max_seq_length`` tokens and padded to the longest."""
        import torch

        self.tokenizer.enable_truncation(self.max_seq_length)
        encoded = self.tokenizer.encode_batch(texts)
        return {
            "input_ids": torch.tensor([e.ids for e in encoded], dtype=torch.long),
            "attention_mask": torch.tensor([e.attention_mask for e in encoded], dtype=torch.long),
        }

    def __call__(self, features: dict[str, Any]) -> dict[str, Any]:
        """BERT's forward pass (inference: no dropout), then the mean of the unmasked tokens' last states."""
        import torch
        from torch.nn import functional as F

        w, ids, mask = self.w, features["input_ids"], features["attention_mask"]
        batch, length = ids.shape

        def norm(x: Any, name: str) -> Any:
            return F.layer_norm(x, (self.hidden,), w[f"{name}.weight"], w[f"{name}.bias"], self.eps)

        def dense(x: Any, name: str) -> Any:
            return F.linear(x, w[f"{name}.weight"], w[f"{name}.bias"])

        h = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:length]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        h = norm(h, "embeddings.LayerNorm")
        seen = mask[:, None, None, :].bool()  # every query may look at every real token, none at padding
        for b in range(self.blocks):
            at = f"encoder.layer.{b}"
            q, k, v = (
                dense(h, f"{at}.attention.self.{n}").view(batch, length, self.heads, -1).transpose(1, 2)
                for n in ("query", "key", "value")
            )
            mixed = F.scaled_dot_product_attention(q, k, v, attn_mask=seen).transpose(1, 2).reshape(h.shape)
            h = norm(h + dense(mixed, f"{at}.attention.output.dense"), f"{at}.attention.output.LayerNorm")
            inner = F.gelu(dense(h, f"{at}.intermediate.dense"))
            h = norm(h + dense(inner, f"{at}.output.dense"), f"{at}.output.LayerNorm")
        m = mask.unsqueeze(-1).to(h.dtype)
        return {"sentence_embedding": (h * m).sum(1) / torch.clamp(m.sum(1), min=1)}
