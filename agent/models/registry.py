"""Providers by name, imported only when used, and the one function that picks a model.

A model is named by one string, ``provider:name[@base_url]``:
``openai:gpt-4.1``, ``openai:qwen2.5-coder@http://localhost:8000/v1``,
``hf:/models/Qwen2.5-Coder-7B``, ``scripted:answers.json``. Precedence:
the ``--model`` flag, then ``PATCHGATE_MODEL``, then ``model = "..."`` under
``[tool.patchgate]`` in pyproject.toml or .patchgate.toml, then ``model`` in the
user's own ``~/.config/patchgate/config.toml``.

A repository's string is a suggestion: the user's key never follows it to a
server the user did not name (``core.trust``).
"""

from __future__ import annotations

import dataclasses
import importlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.models.base import Model
from agent.models.retry import ModelSettings
from agent.models.trace import OnCall
from core.config import load_table, section
from core.console import err
from core.errors import ConfigError
from core.trust import OPENAI_DEFAULT_URL, origin, trusted_origins, user_config

# provider name -> "module:Class"; adding a provider is adding a file and a line here.
PROVIDERS: dict[str, str] = {
    "openai": "agent.models.openai_model:OpenAIModel",
    "hf": "agent.models.hf:HFModel",
    "scripted": "agent.models.scripted:ScriptedModel",
}

LOCAL_PROVIDERS = ("hf",)  # models whose tokens we decode ourselves (fill-in-the-middle, grammars)
HOW_TO_CONFIGURE_LOCAL = "no local model configured: pass --model hf:/path/to/a/saved/model, or set PATCHGATE_MODEL"
HOW_TO_CONFIGURE = ('no model configured: pass --model openai:gpt-4.1 (or hf:/path/to/model), '
                    'set PATCHGATE_MODEL, or add model = "openai:gpt-4.1" under [tool.patchgate] in pyproject.toml')


@dataclass(frozen=True)
class ModelSpec:
    """A parsed model string."""

    provider: str
    name: str
    base_url: str | None = None
    send_key: bool = True  # False: the endpoint came from a repository the user has not trusted for it


def parse_spec(spec: str) -> ModelSpec:
    """Split ``provider:name[@base_url]``; an unknown provider lists the valid ones."""
    provider, sep, rest = spec.strip().partition(":")
    if not sep or not rest:
        raise ConfigError(f"model {spec!r} must look like PROVIDER:NAME (providers: {', '.join(sorted(PROVIDERS))})")
    if provider not in PROVIDERS:
        raise ConfigError(f"unknown model provider {provider!r}; valid: {', '.join(sorted(PROVIDERS))}")
    base_url = None
    if provider == "openai" and "@" in rest:
        rest, base_url = rest.split("@", 1)
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(f"model {spec!r}: the part after @ must be an http(s) base URL")
    return ModelSpec(provider, rest, base_url)


def configured_spec(spec: str | None, root: Path) -> str | None:
    """The model string that wins: flag, then PATCHGATE_MODEL, then the repository's config, then the user's."""
    return _chosen(spec, root)[0]


def _chosen(spec: str | None, root: Path) -> tuple[str | None, bool]:
    """The winning model string, and whether it came from the repository (not from the user)."""
    if spec:
        return spec, False
    if env := os.environ.get("PATCHGATE_MODEL"):
        return env, False
    if value := _model_string(load_table(root).get("model"), "[tool.patchgate] model"):
        return value, True
    return _model_string(user_config().get("model"), "model in the user config.toml"), False


def _model_string(value: object, where: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ConfigError(f'{where} must be a string such as "openai:gpt-4.1"')
    return value or None


def key_may_follow(spec: ModelSpec, from_repository: bool, root: Path) -> bool:
    """Whether the user's hosted key may go where ``spec`` points.

    Yes for anything the user named, for the default endpoint, for ``OPENAI_BASE_URL``, and for
    an endpoint the user trusted for this repository; no for a server only the repository names.
    """
    if not from_repository or spec.provider != "openai" or spec.base_url is None:
        return True
    user_urls = [OPENAI_DEFAULT_URL, os.environ.get("OPENAI_BASE_URL") or OPENAI_DEFAULT_URL]
    if (mine := _user_url()) is not None:
        user_urls.append(mine)
    return origin(spec.base_url) in {origin(u) for u in user_urls} | trusted_origins(root)


def _user_url() -> str | None:
    """The server of the user's own ``model`` in config.toml, if it names one."""
    value = _model_string(user_config().get("model"), "model in the user config.toml")
    return parse_spec(value).base_url if value else None


def provider_class(provider: str) -> Any:
    """Import a provider's class only when it is needed (torch is heavy)."""
    module, attr = PROVIDERS[provider].split(":")
    return getattr(importlib.import_module(module), attr)


def resolve_model(spec: str | None, root: Path, *, on_call: OnCall | None = None,
                  draft_model: str | None = None, local_only: str | None = None) -> Model:
    """The model to use for the repository at ``root``; ConfigError says how to configure one.

    ``draft_model`` (a ``--draft-model`` flag) turns on draft-model speculation for local models.
    ``local_only`` names a command that needs a local model (``complete``): any other
    provider is refused before anything asks for its key or server.
    """
    chosen, from_repository = _chosen(spec, root)
    if not chosen:
        raise ConfigError(HOW_TO_CONFIGURE_LOCAL if local_only else HOW_TO_CONFIGURE)
    parsed = parse_spec(chosen)
    if local_only and parsed.provider not in LOCAL_PROVIDERS:
        raise ConfigError(f"{local_only} takes a local model (hf:/path/to/a/saved/model), not {chosen!r}: "
                          f"it needs the model's own tokens, which {parsed.provider} models do not expose")
    if not key_may_follow(parsed, from_repository, root):
        parsed = dataclasses.replace(parsed, send_key=False)
        err.print(f"note: this repository's config points the model at {parsed.base_url}; your OPENAI_API_KEY "
                  "is not sent there (run `patchgate trust` to allow it)", markup=False)
    overrides = {"draft_model": draft_model, "speculation": "draft" if draft_model else None}
    settings = section(root, "models", ModelSettings, overrides)
    return provider_class(parsed.provider).from_spec(parsed, settings=settings, on_call=on_call)
