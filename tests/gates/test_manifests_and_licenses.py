"""Kubernetes manifests in the parse gate, model licences in the license gate, grammars from config."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import diff_of, git, write_files
from tools.gates import ReviewOptions, review

GOOD_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          resources:
            requests: {cpu: 100m, memory: 128Mi, nvidia.com/gpu: 1}
            limits: {memory: 256Mi, nvidia.com/gpu: 1}
          startupProbe: {httpGet: {path: /, port: 80}, failureThreshold: 30}
          readinessProbe: {httpGet: {path: /, port: 80}}
          livenessProbe: {httpGet: {path: /, port: 80}}
      tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]
"""


def findings(result, gate: str) -> dict[str, str]:
    report = next(g for g in result.gates if g.name == gate)
    return {f.rule: f.severity for f in report.findings}


@pytest.fixture
def repo(make_repo) -> Path:
    return make_repo({"README.md": "hello\n", "gen.py": ""})  # gen.py exists: a new root script is its own rule


def test_a_good_manifest_passes(repo: Path) -> None:
    result = review(repo, diff_of(repo, {"deploy/web.yaml": GOOD_DEPLOYMENT}), options=ReviewOptions(tests="none"))
    assert result.passed, result


@pytest.mark.parametrize(
    ("old", "new", "rule"),
    [
        ("image: nginx:1.27", "image: nginx:latest", "kubernetes.latest-tag"),
        ("image: nginx:1.27", "image: nginx", "kubernetes.latest-tag"),
        ("limits: {memory: 256Mi, nvidia.com/gpu: 1}", "limits: {memory: 256Mi}", "kubernetes.gpu-limit"),
        (
            "requests: {cpu: 100m, memory: 128Mi, nvidia.com/gpu: 1}",
            "requests: {nvidia.com/gpu: 1}",
            "kubernetes.resources-requests",
        ),
        ("          livenessProbe: {httpGet: {path: /, port: 80}}\n", "", "kubernetes.probes"),
        (
            "          image: nginx:1.27\n",
            "          image: nginx:1.27\n          securityContext: {privileged: true}\n",
            "kubernetes.privileged",
        ),
        (
            "          image: nginx:1.27\n",
            "          image: nginx:1.27\n          imagePullPolcy: Always\n",
            "kubernetes.schema",
        ),
    ],
)
def test_manifest_rules(repo: Path, old: str, new: str, rule: str) -> None:
    manifest = GOOD_DEPLOYMENT.replace(old, new)
    assert manifest != GOOD_DEPLOYMENT
    result = review(repo, diff_of(repo, {"deploy/web.yaml": manifest}), options=ReviewOptions(tests="none"))
    assert findings(result, "parse").get(rule) == "error"
    assert not result.passed


def test_plain_yaml_is_not_a_manifest(repo: Path) -> None:
    result = review(repo, diff_of(repo, {"conf.yaml": "name: x\nitems: [1, 2]\n"}), options=ReviewOptions(tests="none"))
    assert result.passed


MODEL_LINE = 'MODEL = "stabilityai/stable-diffusion-3-medium-diffusers"\n'


@pytest.mark.parametrize(
    ("usage", "severity", "passed"),
    [("commercial", "error", False), ("unspecified", "warning", True), ("non-commercial", None, True)],
)
def test_restricted_model_depends_on_usage(repo: Path, usage: str, severity: str | None, passed: bool) -> None:
    result = review(repo, diff_of(repo, {"gen.py": MODEL_LINE}), options=ReviewOptions(tests="none", usage=usage))
    assert findings(result, "license").get("license.restricted-model") == severity
    assert result.passed is passed


def test_usage_comes_from_project_config(repo: Path) -> None:
    from core.settings import resolve

    write_files(repo, {"pyproject.toml": '[tool.patchgate.review]\nusage = "commercial"\ntests = "none"\n'})
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "config")  # settings count once committed: review reads the base's
    options = resolve(repo, base="HEAD").review
    result = review(repo, diff_of(repo, {"gen.py": MODEL_LINE}), options=options)
    assert not result.passed and findings(result, "license") == {"license.restricted-model": "error"}


def test_permissive_model_passes_and_unknown_model_warns(repo: Path) -> None:
    diff = diff_of(
        repo, {"gen.py": 'A = "Qwen/Qwen2.5-Coder-1.5B-Instruct"\nB = "meta-llama/Some-New-Model-9B"\nC = "src/pkg"\n'}
    )
    result = review(repo, diff, options=ReviewOptions(tests="none", usage="commercial"))
    assert result.passed
    assert findings(result, "license") == {"license.unknown-model": "warning"}


def test_files_mapped_to_a_grammar_must_parse_under_it(repo: Path) -> None:
    options = ReviewOptions(tests="none", grammars={"settings/*.conf": "json"})
    assert review(repo, diff_of(repo, {"settings/a.conf": '{"a": [1, 2]}\n'}), options=options).passed
    result = review(repo, diff_of(repo, {"settings/a.conf": '{"a": [1, 2}\n'}), options=options)
    assert findings(result, "parse") == {"parse.grammar": "error"}
