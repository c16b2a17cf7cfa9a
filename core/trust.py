"""Where the user's API key may go: endpoints the user named, and repositories the user trusted.

A repository's configuration is written by whoever wrote the repository. It may
suggest a model, even an OpenAI-compatible server (``openai:m@http://host/v1``),
but the user's hosted key follows it only to an endpoint the user's own
settings name (the ``--model`` flag, ``PATCHGATE_MODEL``, ``OPENAI_BASE_URL``,
the user-level ``config.toml``) or to one the user accepted for that repository
with ``patchgate trust``, as other coding agents ask before they act on a
folder. The record lives in the user's config folder, never in the repository.
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from core.atomic import atomic_write_text
from core.errors import ConfigError

OPENAI_DEFAULT_URL = "https://api.openai.com/v1"
TRUST_FILE = "trusted.json"
APPROVED_FILE = "approved-settings.json"  # per repository, the hashes of [tool.patchgate] tables the user approved


def user_config_dir() -> Path:
    """``$PATCHGATE_CONFIG_DIR``, else ``$XDG_CONFIG_HOME/patchgate``, else ``~/.config/patchgate``."""
    if explicit := os.environ.get("PATCHGATE_CONFIG_DIR"):
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "patchgate"


def user_config() -> dict[str, Any]:
    """The user's own settings (``config.toml`` in :func:`user_config_dir`); empty when there is none."""
    path = user_config_dir() / "config.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    return data


def origin(url: str) -> str:
    """``scheme://host:port`` of ``url``, the unit a key is trusted for (paths on one server share it)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


def trusted_origins(repo: Path) -> set[str]:
    """The endpoints the user accepted for the repository at ``repo``."""
    return set(_records().get(_key(repo), []))


def trust(repo: Path, url: str) -> Path:
    """Record that the repository at ``repo`` may send the user's key to ``url``'s origin."""
    records = _records()
    entry = set(records.get(_key(repo), [])) | {origin(url)}
    records[_key(repo)] = sorted(entry)
    return _save(records)


def revoke(repo: Path) -> bool:
    """Forget every endpoint accepted for ``repo``; True if there was any."""
    records = _records()
    if records.pop(_key(repo), None) is None:
        return False
    _save(records)
    return True


def settings_digest(table: dict[str, Any]) -> str:
    """A stable hash of a ``[tool.patchgate]`` table: what an approval is an approval of."""
    return hashlib.sha256(json.dumps(table, sort_keys=True, default=str).encode()).hexdigest()


def approve_settings(repo: Path, table: dict[str, Any]) -> Path:
    """Record that the user accepts ``table`` as the settings of the repository at ``repo``.

    The hook judges a person's commit that changes patchgate's settings under the new settings only once
    they said so here: a settings change is the one thing review cannot judge by the change itself.
    """
    records = _records(APPROVED_FILE)
    records[_key(repo)] = sorted({*records.get(_key(repo), []), settings_digest(table)})
    return _save(records, APPROVED_FILE)


def settings_approved(repo: Path, table: dict[str, Any]) -> bool:
    """Whether the user approved exactly ``table`` for the repository at ``repo``."""
    return settings_digest(table) in _records(APPROVED_FILE).get(_key(repo), [])


def _key(repo: Path) -> str:
    return str(repo.resolve())


def _records(name: str = TRUST_FILE) -> dict[str, list[str]]:
    path = user_config_dir() / name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}; fix or delete it (it lists repositories you trusted)") from None
    if not isinstance(data, dict) or not all(isinstance(v, list) for v in data.values()):
        raise ConfigError(f"{path} is not a trust record; fix or delete it")
    return data


def _save(records: dict[str, list[str]], name: str = TRUST_FILE) -> Path:
    path = user_config_dir() / name
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(records, indent=2, sort_keys=True) + "\n")
    return path
