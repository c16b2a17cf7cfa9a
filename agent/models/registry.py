"""Providers by name, imported only when used, and the one function that picks a model.

A model is named by one string, ``provider:name[@base_url]``:
``openai:gpt-4.1``, ``openai:qwen2.5-coder@http://localhost:8000/v1``,
``hf:/models/Qwen2.5-Coder-7B``, ``scripted:answers.json``. Which string wins
(the ``--model`` flag, then ``PATCHGATE_MODEL``, then ``model = "..."`` under
``[tool.patchgate]``, then the user's own ``~/.config/patchgate/config.toml``) is
settled once at the command's edge (``core.settings.resolve``).

A repository's string is a suggestion: the user's key never follows it to a
server the user did not name (``core.trust``).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.models.base import Model
from agent.models.trace import OnCall
from core.console import err
from core.errors import ConfigError
from core.registry import Registry
from core.settings import RunSettings
from core.trust import OPENAI_DEFAULT_URL, origin, trusted_origins

# provider name -> "module:Class"; adding a provider is adding a file and a line here (or, for an installed
# package, an entry point in the ``patchgate.providers`` group).
PROVIDERS: dict[str, str] = {
    "openai": "agent.models.openai_model:OpenAIModel",
    "hf": "agent.models.hf:HFModel",
    "scripted": "agent.models.scripted:ScriptedModel",
}
REGISTRY = Registry("model provider", PROVIDERS, group="patchgate.providers")

LOCAL_PROVIDERS = ("hf",)  # models whose tokens we decode ourselves (fill-in-the-middle, grammars)
HOW_TO_CONFIGURE_LOCAL = "no local model configured: pass --model hf:/path/to/a/saved/model, or set PATCHGATE_MODEL"
HOW_TO_CONFIGURE = (
    "no model configured: pass --model openai:gpt-4.1 (or hf:/path/to/model), "
    'set PATCHGATE_MODEL, or add model = "openai:gpt-4.1" under [tool.patchgate] in pyproject.toml'
)


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
        raise ConfigError(f"model {spec!r} must look like PROVIDER:NAME (providers: {', '.join(REGISTRY.names())})")
    if provider not in REGISTRY:
        REGISTRY.load(provider)  # the miss: lists the valid providers
    base_url = None
    if provider == "openai" and "@" in rest:
        rest, base_url = rest.split("@", 1)
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(f"model {spec!r}: the part after @ must be an http(s) base URL")
    return ModelSpec(provider, rest, base_url)


def key_may_follow(spec: ModelSpec, settings: RunSettings, root: Path) -> bool:
    """Whether the user's hosted key may go where ``spec`` points.

    Yes for anything the user named, for the default endpoint, for ``OPENAI_BASE_URL``, and for
    an endpoint the user trusted for this repository; no for a server only the repository names.
    """
    if not settings.model_from_repository or spec.provider != "openai" or spec.base_url is None:
        return True
    user_urls = [OPENAI_DEFAULT_URL, os.environ.get("OPENAI_BASE_URL") or OPENAI_DEFAULT_URL]
    if settings.user_model and (mine := parse_spec(settings.user_model).base_url) is not None:
        user_urls.append(mine)
    return origin(spec.base_url) in {origin(u) for u in user_urls} | trusted_origins(root)


def provider_class(provider: str) -> Any:
    """Import a provider's class only when it is needed (torch is heavy)."""
    return REGISTRY.load(provider)


def resolve_model(
    settings: RunSettings, root: Path, *, on_call: OnCall | None = None, local_only: str | None = None
) -> Model:
    """The model ``settings`` name for the repository at ``root``; ConfigError says how to configure one.

    ``local_only`` names a command that needs a local model (``complete``): any other
    provider is refused before anything asks for its key or server.
    """
    chosen = settings.model
    if not chosen:
        raise ConfigError(HOW_TO_CONFIGURE_LOCAL if local_only else HOW_TO_CONFIGURE)
    parsed = parse_spec(chosen)
    if local_only and parsed.provider not in LOCAL_PROVIDERS:
        raise ConfigError(
            f"{local_only} takes a local model (hf:/path/to/a/saved/model), not {chosen!r}: "
            f"it needs the model's own tokens, which {parsed.provider} models do not expose"
        )
    if not key_may_follow(parsed, settings, root):
        parsed = dataclasses.replace(parsed, send_key=False)
        err.print(
            f"note: this repository's config points the model at {parsed.base_url}; your OPENAI_API_KEY "
            "is not sent there (run `patchgate trust` to allow it)",
            markup=False,
        )
    return provider_class(parsed.provider).from_spec(parsed, settings=settings.models, on_call=on_call)
