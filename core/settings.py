"""One run's settings: resolved once, at the command's edge, into a frozen value every layer receives.

    settings = resolve(root, base="HEAD", model=flag, agent={"rounds": 2}, tests={"timeout": 60})
    solve(root, issue, settings)            # the agent, the gates, build_context and the index read only this

Each part is a pydantic model (``extra="forbid"``, a description per field) of one
``[tool.patchgate.*]`` table, so a misspelt key is a one-line ``ConfigError``.
Precedence is flag > environment > file > default. The repository's working
tree gives the model, ``agent``, ``index`` and ``models``; ``review`` and
``tests`` come from the *base commit*, read once, because a change must never
choose the rules it is judged by (``tools.baserules``). This module and the
commands (``patchgate/``) are the only readers of configuration files and
environment variables; it also owns their names and the one cache folder.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.config import load_table, load_table_from, not_utf8, section
from core.console import err
from core.errors import ConfigError
from core.git import bytes_at, open_repo, resolve_rev, staged_bytes
from core.trust import settings_approved, user_config

if TYPE_CHECKING:
    import git

# Every environment variable patchgate reads (the bubblewrap path is the sandbox's own: tools.sandbox.BWRAP_ENV).
MODEL_ENV = "PATCHGATE_MODEL"  # the model string, between the flag and the repository's config
CACHE_ENV = "PATCHGATE_CACHE"  # the one cache folder: embeddings' distillations and built environments
OLD_CACHE_ENV = "PATCHGATE_CACHE_DIR"  # its former second name (environments only), still honoured with a note
CONFIG_DIR_ENV = "PATCHGATE_CONFIG_DIR"  # the user's own config folder (core.trust)
DEBUG_ENV = "PATCHGATE_DEBUG"  # "1": tracebacks instead of one-line errors
Overrides = Mapping[str, Any] | None
Dense = Literal["auto", "transformer", "tuned", "static", "none"]
# How long ``auto`` lets the tuned encoder take over a first index's vectors on a CPU, at the rate timed there
# (``retrieval.encoder_rate``): 180 s for a sympy-sized index, less its other phases (11-14 s of sympy's and numpy's
# on a 2-core Xeon) and the index's own work beside the encoder (numpy's vectors came at 229 chunks/s where a timing
# minutes apart gave 293; docs/ranking.md, "Fifteenth round").
TUNED_VECTOR_SECONDS = 130
Origin = Literal["human", "model"]  # who wrote a change: a person's own commit, or a model's patch
CALLER_SET = ("origin", "config_from")  # review settings only the reviewing command may set, never a file
Device = Literal["auto", "cpu", "cuda"]


class AgentSettings(BaseModel):
    """``[tool.patchgate.agent]``: the bounds of one solve run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rounds: int = Field(default=3, ge=1, description="Gate rounds per candidate (a failed gate's report goes back).")
    candidates: int = Field(default=1, ge=1, description="Candidates sampled; the one passing most gates wins.")
    context_tokens: int = Field(default=6000, ge=500, description="Token budget of the packed context.")
    tool_calls: int = Field(default=6, ge=0, description="Read-only tool calls the model may make while planning.")
    max_edit_tokens: int = Field(default=4096, ge=256, description="Completion budget of one edit answer.")
    context_window: int = Field(
        default=16384,
        ge=2048,
        description=(
            "The model's context window in tokens. The first edit prompt gets half of what the edit answer "
            "leaves, so the answer and feedback rounds still fit; planned files are cut to fit it."
        ),
    )
    sample_temperature: float = Field(default=0.7, ge=0, le=2, description="Temperature of candidates after the first.")
    rerank: bool = Field(default=False, description="Let the model reorder the top-ranked files before planning.")
    issue_chars: int = Field(
        default=20_000,
        ge=1000,
        description=(
            "The most characters of the issue text sent to the model (its start is kept, with a notice): a pasted "
            "log of megabytes would otherwise go whole into every prompt of every round."
        ),
    )


class EmbeddingConfig(BaseModel):
    """``[tool.patchgate.index]``: how chunks and queries become vectors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    embedding_model: str | None = Field(
        default=None, description="Local path or id of a sentence-transformers model; default: packaged MiniLM."
    )
    query_prefix: str = Field(default="", description="Prepended to queries (instruction-tuned models need one).")
    document_prefix: str = Field(default="", description="Prepended to chunks before embedding.")
    dense: Dense = Field(
        default="auto",
        description=(
            "auto: tuned on a GPU, and on a CPU with bfloat16 instructions for a repository whose vectors it embeds "
            f"in {TUNED_VECTOR_SECONDS} s at the rate measured there once; static elsewhere; tuned: the packaged MiniLM "
            "with patchgate's trained adapter; "
            "transformer: the model as it is; none: BM25 only."
        ),
    )
    device: Device = Field(default="auto", description="Where the transformer runs.")
    batch_size: int | None = Field(
        default=None, ge=1, description="Chunks per transformer batch; default 512 on CUDA, 64 on CPU."
    )
    max_chars: int = Field(default=2000, ge=64, description="Chunk text is cut to this many characters first.")

    def document_texts(self, texts: list[str]) -> list[str]:
        """What an embedder reads of each chunk: its prefix, then the chunk cut to ``max_chars``."""
        return [self.document_prefix + t[: self.max_chars] for t in texts]

    def query_text(self, text: str) -> str:
        """What an embedder reads of an issue: the query prefix and the issue, cut to ``max_chars`` together."""
        return (self.query_prefix + text)[: self.max_chars]


class ModelSettings(BaseModel):
    """``[tool.patchgate.models]``: how patient hosted calls are, and how local decoding is sped up."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timeout_s: float = Field(60.0, gt=0, description="Timeout of one HTTP call, in seconds.")
    deadline_s: float = Field(300.0, gt=0, description="Overall budget for one logical call, retries included.")
    max_retries: int = Field(5, ge=0, description="Retries after the first attempt on transient failures.")
    backoff_base_s: float = Field(0.5, ge=0, description="First backoff; doubles on every retry, with jitter.")
    backoff_cap_s: float = Field(20.0, ge=0, description="Largest backoff between two attempts.")
    retry_after_cap_s: float = Field(30.0, ge=0, description="Largest server-requested Retry-After we honour.")
    speculation: Literal["none", "prompt_lookup", "draft"] = Field(
        "prompt_lookup", description="Local greedy decoding speed-up: n-grams from the prompt, or a draft model."
    )
    draft_model: str | None = Field(None, description="Draft model for speculation (hf:PATH), same tokenizer.")


class SandboxSettings(BaseModel):
    """How code from a change runs: ``[tool.patchgate.tests]`` keys ``sandbox`` and ``network``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sandbox: Literal["on", "off"] = Field(
        default="on", description="'off' runs the change's code with your full rights; only for code you trust."
    )
    network: bool = Field(default=False, description="Let the change's code reach the network.")


class TestSettings(SandboxSettings):
    """``[tool.patchgate.tests]``: how this repository's tests are run (and, inherited, how they are confined)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    __test__ = False  # not a pytest class

    python: Path | None = Field(
        default=None,
        description="Interpreter that has the project's dependencies (relative paths are from the repository root).",
    )
    command: list[str] | None = Field(
        default=None,
        description="A pytest invocation prefix, e.g. "
        "['poetry', 'run', 'pytest']; patchgate appends its options and test ids.",
    )
    env: Literal["auto", "build"] = Field(
        default="auto",
        description="'build' makes an isolated environment with uv "
        "from the repository's metadata; 'auto' looks for the repository's own.",
    )
    pass_env: list[str] = Field(
        default_factory=list,
        description="Variables passed through to the tests besides "
        "the basic ones (PATH, HOME, locale); nothing else of yours reaches them.",
    )
    timeout: float = Field(
        default=300.0,
        gt=0,
        description="Seconds one test run may take (each of base and candidate, and each import check).",
    )


class ReviewOptions(BaseModel):
    """``[tool.patchgate.review]``: what a review runs; every field has a safe default.

    Gate names in ``disabled`` are checked against the gate registry by ``tools.options.check_gates``
    (this layer cannot know which gates are installed).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    tests: Literal["related", "all", "none"] = Field(
        default="related", description="Which tests the tests gate runs: related to the change, all, or none."
    )
    disabled: list[str] = Field(default_factory=list, description="Gates to skip entirely (apply always runs).")
    usage: Literal["commercial", "non-commercial", "unspecified"] = Field(
        default="unspecified", description="How the project is used; 'commercial' fails on restricted model licences."
    )
    allowed_paths: list[str] = Field(
        default_factory=list, description="If set, the only paths a change may touch (globs)."
    )
    denied_paths: list[str] = Field(default_factory=list, description="Paths a change may never touch (globs).")
    allow_protected: list[str] = Field(
        default_factory=list, description="Protected paths (CI, lockfiles) this repository allows changes to (globs)."
    )
    max_files: int | None = Field(
        default=None, ge=1, description="Most files a change may touch (policy default if unset)."
    )
    max_hunks: int | None = Field(default=None, ge=1, description="Most hunks a change may have.")
    max_changed_lines: int | None = Field(default=None, ge=1, description="Most added plus removed lines.")
    grammars: dict[str, str] = Field(
        default_factory=dict, description="Glob -> grammar in core.grammars that matching files must parse under."
    )
    policy_dir: Path | None = Field(
        default=None,
        description="A folder with the repository's own policy YAML files "
        "(one inside the repository is read as the base commit has it).",
    )
    issue_tests: list[str] = Field(
        default_factory=list,
        description="Tests (pytest ids) that must pass on the candidate; the agent sets the "
        "plan's, and the issue-tests gate runs only when there are some.",
    )
    origin: Origin = Field(
        default="model",
        description="Who wrote the change: a person's own commit ('human') or a model's patch "
        "('model', the strictest, so a caller that forgets to say is held to it).",
    )
    model_rules: Literal["model", "all"] = Field(
        default="model",
        description="Whom the rules written for model patches bind: model patches only, or every "
        "change. They are the reviewer rules (new files only, root scripts, protected paths), and on a "
        "person's own commit test weakening (a deleted test, a removed assertion, an added skip) and the "
        "size limits are shown as warnings unless this is 'all'.",
    )
    config_from: Literal["base", "candidate"] = Field(
        default="base",
        description="Whose [tool.patchgate] judges the change: the base commit's, or the "
        "candidate's when a person's commit changes it and they approved that "
        "change locally (`patchgate trust --config`); set by the command, not a file.",
    )
    reuse_worktrees: bool = Field(
        default=False,
        description="Review in worktrees kept between reviews, so only what differs from the last "
        "review is checked out (core.worktrees); `patchgate review` and the hook do.",
    )

    @property
    def model_patch_rules(self) -> bool:
        """Whether the rules written for model-made patches apply to this change."""
        return self.origin == "model" or self.model_rules == "all"

    def enabled(self, gate: str) -> bool:
        """Whether ``gate`` runs at all (issue-tests need tests to run; with tests = 'none' the tests gate only
        imports the changed modules)."""
        if gate in self.disabled:
            return False
        if gate == "issue-tests":
            return bool(self.issue_tests)
        return True


class CachePaths(BaseModel):
    """The one cache folder and what lives in it; nothing else in the code knows where caches are."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    root: Path = Field(description=f"${CACHE_ENV}, else $XDG_CACHE_HOME/patchgate, else ~/.cache/patchgate.")

    @property
    def environments(self) -> Path:
        """Test environments built with uv, one folder per dependency-file hash (shared by clones)."""
        return self.root / "envs"

    @property
    def distillations(self) -> Path:
        """Static distillations of embedding models, one folder per model fingerprint."""
        return self.root / "static"

    @property
    def encoder_rates(self) -> Path:
        """How fast the tuned encoder runs on each machine that shares this cache (``retrieval.encoder_rate``)."""
        return self.root / "encoder_rates.json"


class RunSettings(BaseModel):
    """Everything one command run is configured by, resolved once by :func:`resolve`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str | None = Field(
        default=None,
        description="The winning model string (flag, $PATCHGATE_MODEL, the "
        "repository's, the user's), or None when none is configured.",
    )
    model_from_repository: bool = Field(
        default=False,
        description="Whether ``model`` came from the repository's "
        "config (then the user's key follows it only to a trusted server).",
    )
    user_model: str | None = Field(
        default=None,
        description="``model`` in the user's own config.toml, whose server "
        "the user's key may always reach (read only when ``model`` is the repository's).",
    )
    agent: AgentSettings = Field(default_factory=AgentSettings, description="[tool.patchgate.agent] with flags.")
    index: EmbeddingConfig = Field(default_factory=EmbeddingConfig, description="[tool.patchgate.index] with flags.")
    models: ModelSettings = Field(default_factory=ModelSettings, description="[tool.patchgate.models] with flags.")
    base: str | None = Field(
        default=None,
        description="The base commit ``review`` and ``tests`` were read from; "
        "None for a command that never gates (they are the defaults then).",
    )
    review: ReviewOptions = Field(default_factory=ReviewOptions, description="[tool.patchgate.review] of the base.")
    tests: TestSettings = Field(default_factory=TestSettings, description="[tool.patchgate.tests] of the base.")
    cache: CachePaths = Field(default_factory=lambda: CachePaths(root=cache_root()), description="Where caches live.")

    @property
    def commit(self) -> str:
        """The base commit a run that gates is judged at; settings resolved without one are the caller's bug."""
        if self.base is None:
            raise ValueError("settings resolved without a base commit: use core.settings.resolve(root, base=...)")
        return self.base


def resolve(
    root: Path,
    *,
    base: str | None = None,
    model: str | None = None,
    agent: Overrides = None,
    index: Overrides = None,
    models: Overrides = None,
    review: Overrides = None,
    tests: Overrides = None,
    candidate: Callable[[], dict[str, Any]] | None = None,
) -> RunSettings:
    """The settings of one run on the repository at ``root``: flags (``None`` values mean "not given") over the
    environment over the files over the defaults; ``review`` and ``tests`` as commit ``base`` has them.

    ``candidate`` reads the ``[tool.patchgate]`` table a person's own change brings (``review={"origin":
    "human"}``): it judges the change instead of the base's only when the user approved exactly that table
    for this repository (``patchgate trust --config``). A person may change their project's rules, but only
    by saying so outside the change itself; a model's patch is always judged by the base's.
    """
    table = load_table(root)
    chosen, from_repository = _model(model, table)
    settings: dict[str, Any] = {
        "model": chosen,
        "model_from_repository": from_repository,
        "user_model": _user_model() if from_repository else None,  # needed only to judge the repository's server
        "agent": section(root, "agent", AgentSettings, dict(agent or {}), table=table),
        "index": section(root, "index", EmbeddingConfig, dict(index or {}), table=table),
        "models": section(root, "models", ModelSettings, dict(models or {}), table=table),
    }
    if base is not None:
        repo = open_repo(root)
        commit = resolve_rev(repo, base)
        human = dict(review or {}).get("origin") == "human"
        table, approved = _rules_table(root, repo, commit, candidate if human else None)
        review = {**dict(review or {}), "config_from": "candidate" if approved else "base"}
        settings.update(base=commit, **_base_rules(root, table, review, tests))
    return RunSettings(**settings)


def base_table(repo: git.Repo, commit: str) -> dict[str, Any]:
    """The ``[tool.patchgate]`` table as ``commit`` has it (a config file that is not UTF-8 is an error)."""
    return load_table_from(_strict(lambda name: bytes_at(repo, commit, name)))


def staged_table(repo: git.Repo) -> dict[str, Any]:
    """The ``[tool.patchgate]`` table the commit being made records (the caller's index inside a hook)."""
    return load_table_from(_strict(lambda name: staged_bytes(repo, name)))


def _rules_table(
    root: Path, repo: git.Repo, commit: str, candidate: Callable[[], dict[str, Any]] | None
) -> tuple[dict[str, Any], bool]:
    """The table that judges a change, and whether it is the change's own (approved) one."""
    base = base_table(repo, commit)
    if candidate is None:
        return base, False
    try:
        new = candidate()
    except ConfigError:
        return base, False  # unreadable new settings judge nothing; the parse gate reports the file
    if new != base and settings_approved(root, new):
        return new, True
    return base, False


def _strict(fetch: Callable[[str], bytes | None]) -> Callable[[str], str | None]:
    """A config-file reader that refuses a file that is not UTF-8 instead of reading it as absent."""

    def read(name: str) -> str | None:
        data = fetch(name)
        if data is None:
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise not_utf8(name) from None

    return read


def _base_rules(root: Path, table: dict[str, Any], review: Overrides, tests: Overrides) -> dict[str, Any]:
    """``review`` and ``tests`` of the base's ``table``; a ``timeout`` or ``tests_env`` still written under
    ``[tool.patchgate.review]`` (where they lived before) is read as ``[tool.patchgate.tests]``'s, with a note."""
    review_table, tests_table = table.get("review", {}), table.get("tests", {})
    if isinstance(review_table, dict) and (caller := set(CALLER_SET) & set(review_table)):
        raise ConfigError(
            f"[tool.patchgate.review] {sorted(caller)[0]} is set by the command that reviews, "
            "not by the configuration; remove it"
        )
    if isinstance(review_table, dict) and isinstance(tests_table, dict):  # else section() says what is wrong
        review_table, tests_table = dict(review_table), dict(tests_table)
        for old, new in (("timeout", "timeout"), ("tests_env", "env")):
            if old in review_table:
                err.print(
                    f"note: [tool.patchgate.review] {old} is now [tool.patchgate.tests] {new}; please move it",
                    markup=False,
                )
                tests_table.setdefault(new, review_table.pop(old))
    moved = {**table, "review": review_table, "tests": tests_table}
    return {
        "review": section(root, "review", ReviewOptions, dict(review or {}), table=moved),
        "tests": section(root, "tests", TestSettings, dict(tests or {}), table=moved),
    }


def _model(flag: str | None, table: dict[str, Any]) -> tuple[str | None, bool]:
    """The winning model string, and whether it came from the repository (not from the user)."""
    if flag:
        return flag, False
    if env := os.environ.get(MODEL_ENV):
        return env, False
    if value := model_string(table.get("model"), "[tool.patchgate] model"):
        return value, True
    return _user_model(), False


def _user_model() -> str | None:
    return model_string(user_config().get("model"), "model in the user config.toml")


def model_string(value: object, where: str) -> str | None:
    """``value`` as a model string; anything but a string is a ConfigError naming ``where``."""
    if value is not None and not isinstance(value, str):
        raise ConfigError(f'{where} must be a string such as "openai:gpt-4.1"')
    return value or None


def cache_root() -> Path:
    """``$PATCHGATE_CACHE``, else ``$XDG_CACHE_HOME/patchgate``, else ``~/.cache/patchgate`` (pre-commit's way).

    ``$PATCHGATE_CACHE_DIR``, which once named the environments' cache alone, is still honoured when
    ``$PATCHGATE_CACHE`` is unset, with a note to rename it.
    """
    if chosen := os.environ.get(CACHE_ENV):
        return Path(chosen)
    if old := os.environ.get(OLD_CACHE_ENV):
        err.print(f"note: {OLD_CACHE_ENV} is deprecated; set {CACHE_ENV}={old} instead", markup=False)
        return Path(old)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "patchgate"
