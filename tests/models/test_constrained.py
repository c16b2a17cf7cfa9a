"""Grammar-constrained decoding on a random-weights model: every document parses, within budget."""

from __future__ import annotations

import json
import tomllib

import kubernetes_validate
import pytest
import yaml
from pydantic import BaseModel

from agent.decoding.constrained import llg_grammar
from agent.models.base import Message
from agent.writing.documents import generate_document
from core.errors import InputError
from core.grammars import GRAMMARS, parse_error

PROMPT = [Message("user", "write a config")]
# manifests carry resources and probes (~250 tokens of a tokenizer that has seen manifests, ~570 for a GPU
# Deployment of one that has not); test_grammar_seeds covers 100 seeds
BUDGETS = {"json": (12, 48), "yaml": (16, 64), "toml": (8, 64), "kubernetes": (400,)}


def real_parse(name: str, text: str) -> None:
    """The format's own parser must accept the document too."""
    if name == "json":
        json.loads(text)
    elif name == "toml":
        tomllib.loads(text)
    else:
        assert isinstance(yaml.safe_load(text), dict)
    if name == "kubernetes":
        manifest = yaml.safe_load(text)
        assert manifest["kind"] in {"Deployment", "Service", "Job", "ConfigMap"}
        kubernetes_validate.validate(manifest, kubernetes_validate.latest_version(), strict=True)


@pytest.mark.parametrize("name", GRAMMARS)
def test_every_seed_parses_within_the_budget(request, name: str) -> None:
    tiny = request.getfixturevalue("manifest_model" if name == "kubernetes" else "tiny")
    grammar = llg_grammar(grammar=name)
    for budget in BUDGETS[name]:
        for seed in range(6 if name != "kubernetes" else 2):
            completion, _stats = tiny.generate_constrained(
                PROMPT, grammar, max_tokens=budget, temperature=1.5, seed=seed
            )
            assert completion.usage.completion_tokens <= budget
            assert parse_error(name, completion.text) is None, (seed, budget, completion.text)
            real_parse(name, completion.text)


def test_a_budget_below_the_shortest_document_is_refused(tiny) -> None:
    with pytest.raises(InputError, match="max-tokens 3 is too small"):
        tiny.generate_constrained(PROMPT, llg_grammar(grammar="kubernetes"), max_tokens=3)


def test_tight_budgets_force_the_close(tiny) -> None:
    forced = [
        tiny.generate_constrained(PROMPT, llg_grammar(grammar="yaml"), max_tokens=16, temperature=1.5, seed=s)[
            1
        ].forced_close
        for s in range(4)
    ]
    assert any(forced)  # a random model never closes by itself: the guide had to


class Service(BaseModel):
    name: str
    replicas: int
    public: bool


def test_structured_output_on_a_local_model_validates(tiny) -> None:
    for seed in range(4):
        answer, usage = tiny.structured(PROMPT, Service, max_tokens=64, temperature=1.0, seed=seed)
        assert isinstance(answer, Service) and usage.completion_tokens <= 64


def test_json_schema_documents_validate(tiny) -> None:
    schema = {
        "type": "object",
        "properties": {"port": {"type": "integer"}, "tags": {"type": "array", "items": {"type": "string"}}},
        "required": ["port", "tags"],
        "additionalProperties": False,
    }
    doc = generate_document(tiny, "a port", schema=schema, max_tokens=48, seed=2, temperature=1.0)
    data = json.loads(doc.text)
    assert isinstance(data["port"], int) and isinstance(data["tags"], list) and doc.constrained
