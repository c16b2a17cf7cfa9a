"""The policy packs in ``policies/`` (data, not code), loaded into typed models, and path globs.

A policy is YAML beside the code; a repository may point a review at its own copy
(``[tool.patchgate.review] policy_dir``), file by file. Each file validates into a pydantic model with
``extra="forbid"``, so a misspelt or missing key is a one-line ``ConfigError`` naming the file and the key
instead of a crash deep inside a gate. Globs use .gitignore syntax via pathspec, so ``.github/**`` and
``*.lock`` mean what people expect.
"""

from __future__ import annotations

from functools import cached_property, lru_cache
from pathlib import Path
from typing import Literal, TypeVar

import pathspec
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.errors import ConfigError
from core.paths import POLICY_DIR
from core.secrets import SecretsPolicy


class Strict(BaseModel):
    """Every policy model: unknown keys are errors, values are frozen once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Limits(Strict):
    max_files: int = Field(ge=1, description="Most files a change may touch.")
    max_hunks: int = Field(ge=1, description="Most hunks a change may have.")
    max_changed_lines: int = Field(ge=1, description="Most added plus removed lines.")


class TestRules(Strict):
    paths: list[str] = Field(description="Globs that make a path a test file.")
    skip_markers: list[str] = Field(description="Regexes: an added line matching one skips or xfails a test.")
    assertions: list[str] = Field(description="Regexes: a removed line matching one is an assertion.")


class ReviewerRule(Strict):
    severity: Literal["error", "warning"] = Field(default="error", description="error fails the gate; warning reports.")


class ScratchFileRule(ReviewerRule):
    names: list[str] = Field(description="File-name globs of scratch work (reproduce*, debug_*...).")


class RootScriptRule(ReviewerRule):
    extensions: list[str] = Field(description="Suffixes of new root-level files that count as scripts.")
    allowed: list[str] = Field(default_factory=list, description="Root-level files that may be added (setup.py...).")


class StrayTestRule(ReviewerRule):
    folders: list[str] = Field(description="Globs of the folders where new test files belong.")


class BuildOutputRule(ReviewerRule):
    paths: list[str] = Field(description="Globs of generated files (build/, *.egg-info/, __pycache__/...).")


class OnlyNewFilesRule(ReviewerRule):
    code_extensions: list[str] = Field(description="Suffixes of source files.")
    not_source: list[str] = Field(default_factory=list, description="Globs of code that is not the project's source.")


class PackagingRule(ReviewerRule):
    paths: list[str] = Field(description="Globs of packaging and dependency files.")
    pyproject_tables: list[str] = Field(
        default_factory=list, description="Dotted pyproject.toml tables of dependencies."
    )


class DebugStatementsRule(ReviewerRule):
    patterns: list[str] = Field(description="Regexes of debugging statements on an added line.")
    not_in: list[str] = Field(default_factory=list, description="Globs where printing is normal (scripts, docs).")


class Reviewer(Strict):
    """What a reviewer rejects on sight in a model's patch; leave a rule out of a policy copy to turn it off."""

    scratch_file: ScratchFileRule | None = None
    root_script: RootScriptRule | None = None
    stray_test: StrayTestRule | None = None
    build_output: BuildOutputRule | None = None
    only_new_files: OnlyNewFilesRule | None = None
    packaging: PackagingRule | None = None
    debug_statements: DebugStatementsRule | None = None


class Scope(Strict):
    allowed: list[str] = Field(default_factory=list, description="If non-empty, the only paths a change may touch.")
    denied: list[str] = Field(default_factory=list, description="Paths a change may never touch.")
    protected: list[str] = Field(default_factory=list, description="Paths allowed only by allow_protected.")
    limits: Limits
    tests: TestRules
    reviewer: Reviewer = Field(default_factory=Reviewer)


class DefaultPolicy(Strict):
    """``default.yaml``: the scope of a change."""

    version: Literal[1]
    scope: Scope


class CodeRule(Strict):
    id: str = Field(description="Stable SARIF rule id.")
    description: str
    calls: list[str] = Field(description="Dotted call names the rule watches.")
    suggestion: str | None = None
    safe_loaders: list[str] = Field(default_factory=list, description="Loader names that make yaml.load safe.")


class TextRule(Strict):
    id: str
    regex: str


class Code(Strict):
    rules: list[CodeRule]
    text_rules: list[TextRule] = Field(default_factory=list)


class SecurityPolicy(Strict):
    """``security.yaml``: secrets and injection patterns on added lines."""

    version: Literal[1]
    secrets: SecretsPolicy
    code: Code


class ModelEntry(Strict):
    id: str
    license: str
    commercial: bool = True
    note: str | None = None


class ModelsPolicy(Strict):
    """``models.yaml``: model licences and their allowed uses."""

    version: Literal[1]
    model_id_regex: str
    known_orgs: list[str]
    models: list[ModelEntry]


class KubernetesRules(Strict):
    """Which manifest rules run; each is the finding rule ``kubernetes.<id>`` named in kubernetes.yaml."""

    requests: bool = True
    limits: bool = True
    gpu_limits: bool = True
    probes: bool = True
    latest_tag: bool = True
    privileged: bool = True
    selector: bool = True
    container_names: bool = True
    ports: bool = True
    quantities: bool = True
    limits_cover_requests: bool = True
    service_selector: bool = True
    gpu_nodes: bool = True
    model_loading: bool = True


class GpuNodes(Strict):
    """How a pod shows that it is meant for GPU nodes: a toleration of their taint or a node label it selects."""

    toleration_keys: list[str] = Field(
        default_factory=lambda: ["nvidia.com/gpu"], description="Taint keys of GPU nodes; tolerating one is enough."
    )
    node_label_keys: list[str] = Field(
        default_factory=list,
        description="Node label keys of GPU nodes; a nodeSelector or a required node affinity on one is enough.",
    )


class Kubernetes(Strict):
    version: str = Field(description="The Kubernetes version manifests are validated against.")
    workload_kinds: list[str]
    batch_kinds: list[str]
    selector_kinds: list[str] = Field(
        default_factory=lambda: ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"],
        description="Kinds whose spec.selector must select their own pod template.",
    )
    gpu_resources: list[str]
    gpu_nodes: GpuNodes = Field(default_factory=GpuNodes)
    model_load_seconds: int = Field(
        default=30,
        ge=0,
        description="Without a startup probe, the least "
        "initialDelaySeconds of a GPU container's readiness and liveness probes.",
    )
    rules: KubernetesRules


class KubernetesPolicy(Strict):
    """``kubernetes.yaml``: manifest rules such as GPU requests and probes."""

    version: Literal[1]
    kubernetes: Kubernetes


P = TypeVar("P", bound=Strict)


class Policies:
    """The four policy packs of one review, each read on first use from ``policy_dir`` or the shipped ones."""

    def __init__(self, policy_dir: Path | None = None) -> None:
        if policy_dir is not None and not policy_dir.is_dir():
            raise ConfigError(f"policy_dir {policy_dir} is not a folder")
        self.policy_dir = policy_dir

    @cached_property
    def default(self) -> DefaultPolicy:
        return self._load("default", DefaultPolicy)

    @cached_property
    def security(self) -> SecurityPolicy:
        return self._load("security", SecurityPolicy)

    @cached_property
    def models(self) -> ModelsPolicy:
        return self._load("models", ModelsPolicy)

    @cached_property
    def kubernetes(self) -> KubernetesPolicy:
        return self._load("kubernetes", KubernetesPolicy)

    def _load(self, name: str, model: type[P]) -> P:
        for folder in (self.policy_dir, POLICY_DIR):
            if folder is not None and (path := folder / f"{name}.yaml").is_file():
                return _validated(path.resolve(), path.stat().st_mtime_ns, model)
        raise ConfigError(f"no policy named {name!r} in {self.policy_dir or POLICY_DIR}")


@lru_cache(maxsize=32)
def _validated(path: Path, mtime_ns: int, model: type[P]) -> P:
    """``path`` validated as ``model``; cached by modification time, since policies rarely change."""
    try:
        # libyaml's safe loader when PyYAML has it: the pure-Python one takes ~70 ms per pack, paid before every
        # agent edit (agent.integrations.hooks)
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read policy {path}: {exc}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}" for e in exc.errors()[:3]]
        raise ConfigError(f"policy {path}: {'; '.join(problems)}") from None


@lru_cache(maxsize=64)
def glob_spec(patterns: tuple[str, ...]) -> pathspec.PathSpec:
    """A compiled matcher for .gitignore-style ``patterns`` (cached: policies rarely change)."""
    return pathspec.PathSpec.from_lines("gitwildmatch", patterns)


def matches(path: str, patterns: list[str] | tuple[str, ...]) -> bool:
    """Whether repository-relative ``path`` matches any of ``patterns``."""
    return bool(patterns) and glob_spec(tuple(patterns)).match_file(path)
