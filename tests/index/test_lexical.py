"""Incremental BM25: a re-index gathers unchanged rows yet scores exactly like a fresh build."""

from __future__ import annotations

import numpy as np

from retrieval.embeddings import EmbeddingConfig
from retrieval.index import build_index, open_index
from retrieval.lexical import Lexical, tokenize

DOCS = [
    "def parse_config_file(path): return read(path)",
    "class HttpServer: def run(self): serve()",
    "total price of the order",
    "user name value",
    "parseConfigFile in JavaScript",
]


def test_assembled_index_scores_like_a_fresh_build() -> None:
    old = Lexical.build([tokenize(d) for d in DOCS])
    changed = "def parse_config_file(path, strict): return read(path, strict)"
    parts: list = [0, tokenize(changed), 2, 4, tokenize("a brand new order parser")]
    fresh = Lexical.build([tokenize(t) for t in [DOCS[0], changed, DOCS[2], DOCS[4], "a brand new order parser"]])
    assembled = Lexical.assemble(old, parts)
    for query in ("config file parser", "order total", "HttpServer", "strict parse"):
        assert np.allclose(assembled.scores(query), fresh.scores(query))
    assert assembled.search("parse config", 2)[0][0] in (0, 3)
    assert not assembled.scores("HttpServer").any()  # the removed document is gone


def test_camel_and_snake_case_meet_in_queries_and_documents() -> None:
    index = Lexical.build([tokenize(d) for d in DOCS])
    assert set(np.flatnonzero(index.scores("ParseConfigFile"))) == {0, 4}
    assert set(np.flatnonzero(index.scores("parse_config_file"))) == {0, 4}


def test_one_file_edit_reindexes_to_the_same_scores_as_a_full_build(make_repo, tmp_path) -> None:
    files = {f"pkg/m{i}.py": f"def func_{i}(value):\n    return value + {i}  # item {i}\n" for i in range(30)}
    root = make_repo(files)
    config = EmbeddingConfig(dense="none")
    build_index(root, config=config, progress=False)
    (root / "pkg/m7.py").write_text("def func_7(value):\n    return special_discount(value)\n")
    stats = build_index(root, config=config, progress=False)
    assert stats.parsed_files == 1 and stats.reused_files == 29
    incremental = open_index(root)
    build_index(root, tmp_path / "fresh", config=config, progress=False)
    fresh = open_index(root, tmp_path / "fresh")
    for query in ("special discount", "func_3 item", "value"):
        assert np.allclose(incremental.file_lexical_scores(query), fresh.file_lexical_scores(query))
        assert incremental.lexical_search(query, 5) == fresh.lexical_search(query, 5)
