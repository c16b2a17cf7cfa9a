"""Which model a run gets: flag > PATCHGATE_MODEL > [tool.patchgate]; clear errors otherwise."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.models.base import Message
from agent.models.openai_model import PLACEHOLDER_KEY, OpenAIModel
from agent.models.registry import parse_spec, resolve_model
from agent.models.trace import CallRecord
from core.errors import ConfigError, OutputValidationError
from core.settings import resolve


def model_for(spec: str | None, root: Path, **options):
    """The model a command resolves for ``--model spec`` (None: no flag) in ``root``."""
    return resolve_model(resolve(root, model=spec), root, **options)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PATCHGATE_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def test_nothing_configured_says_how(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"--model.*PATCHGATE_MODEL.*tool\.patchgate"):
        model_for(None, tmp_path)


def test_unknown_provider_lists_the_valid_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="valid: openai, hf, scripted"):
        model_for("anthropic:claude", tmp_path)


def test_spec_with_base_url() -> None:
    spec = parse_spec("openai:qwen2.5-coder@http://localhost:8000/v1")
    assert (spec.provider, spec.name, spec.base_url) == ("openai", "qwen2.5-coder", "http://localhost:8000/v1")
    assert parse_spec("hf:/models/x@y").name == "/models/x@y"


def test_local_server_needs_no_key(tmp_path: Path) -> None:
    model = model_for("openai:qwen@http://127.0.0.1:8000/v1", tmp_path)
    assert isinstance(model, OpenAIModel) and model._client.api_key == PLACEHOLDER_KEY


def test_hosted_openai_without_key_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        model_for("openai:gpt-4.1", tmp_path)


def test_precedence_flag_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    (tmp_path / "pyproject.toml").write_text('[tool.patchgate]\nmodel = "openai:from-file"\n')
    assert model_for(None, tmp_path).name == "openai:from-file"
    monkeypatch.setenv("PATCHGATE_MODEL", "openai:from-env")
    assert model_for(None, tmp_path).name == "openai:from-env"
    assert model_for("openai:from-flag", tmp_path).name == "openai:from-flag"


def test_env_base_url_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:1234/v1")
    model = model_for("openai:local", tmp_path)
    assert model.base_url == "http://127.0.0.1:1234/v1"


def test_models_settings_are_validated(tmp_path: Path) -> None:
    (tmp_path / ".patchgate.toml").write_text('model = "openai:x@http://h/v1"\n[models]\ntimeout = 3\n')
    with pytest.raises(ConfigError, match="models"):
        model_for(None, tmp_path)


def test_scripted_model_goes_through_the_registry_and_trace(tmp_path: Path) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(["not json", "still not json"]))
    records: list[CallRecord] = []
    model = model_for(f"scripted:{answers}", tmp_path, on_call=records.append)
    from pydantic import BaseModel

    class Answer(BaseModel):
        value: int

    with pytest.raises(OutputValidationError):
        model.structured([Message("user", "q")], Answer)
    assert [r.kind for r in records] == ["structured", "structured"]


def test_hf_uses_the_chat_template_when_the_tokenizer_has_one(tiny_path: Path) -> None:
    from agent.models.hf import HFModel

    model = HFModel(tiny_path)
    messages = [Message("user", "hi")]
    assert model.tokenizer.decode(model.prompt_ids(messages)) == "user: hi\n\nassistant: "
    model.tokenizer.chat_template = "{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}<assistant>"
    assert model.tokenizer.decode(model.prompt_ids(messages)) == "<user>hi<assistant>"
