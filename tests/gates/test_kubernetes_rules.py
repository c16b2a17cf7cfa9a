"""The API server's checks and the GPU-serving rules: one broken manifest per rule, and the everyday yes.

Each broken manifest is a shipped example with one edit; the gate must refuse
it with one line that names the field. Each everyday variant (another valid
way to write the same thing) must pass, so a rule that says no to everything
fails here too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import diff_of
from tools.findings import Finding
from tools.gates import ReviewOptions, review
from tools.options import ReviewOptions as Options
from tools.parsers import check_file
from tools.policy import Policies

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples" / "kubernetes"
GPU = (EXAMPLES / "diffusion-gpu.yaml").read_text()
WEB = (EXAMPLES / "web.yaml").read_text()
JOB = (EXAMPLES / "embed-job.yaml").read_text()

STARTUP = """\
          startupProbe:            # the weights take minutes to load: up to 10 minutes before liveness counts
            httpGet: {path: /health, port: http}
            periodSeconds: 10
            failureThreshold: 60
"""
PLACEMENT = """\
      tolerations:
        - key: nvidia.com/gpu
          operator: Exists
          effect: NoSchedule
      nodeSelector:
        nvidia.com/gpu.present: "true"
"""
GPU_LIMITS = "memory: 24Gi\n              nvidia.com/gpu: 1\n          startupProbe"


def edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def errors(text: str, path: str = "deploy/app.yaml") -> list[Finding]:
    return [f for f in check_file(path, text, Options(), Policies()) if f.severity == "error"]


BROKEN = [  # (rule, manifest, the field the finding names)
    (
        "selector",
        edit(GPU, "    matchLabels:\n      app: diffusion\n", "    matchLabels:\n      app: diffusion-v2\n"),
        "spec.selector.matchLabels",
    ),
    (
        "selector",
        edit(JOB, "  backoffLimit: 2\n", "  backoffLimit: 2\n  selector:\n    matchLabels: {job: embed}\n"),
        "spec.selector",
    ),
    ("container-name", edit(GPU, "- name: server", "- name: Server_1"), "spec.template.spec.containers[0].name"),
    (
        "container-name",
        edit(
            GPU,
            "      containers:\n",
            "      initContainers:\n        - {name: server, image: "
            "busybox:1.36, resources: {requests: {cpu: 10m, memory: "
            "8Mi}, limits: {memory: 8Mi}}}\n      containers:\n",
        ),
        "spec.template.spec.initContainers[0].name",
    ),
    (
        "port",
        edit(GPU, "containerPort: 8080", "containerPort: 80800"),
        "spec.template.spec.containers[0].ports[0].containerPort",
    ),
    ("port", edit(WEB, "  ports:\n    - port: 80\n", "  ports:\n    - port: 0\n"), "spec.ports[0].port"),
    (
        "port",
        edit(
            WEB,
            "      targetPort: 80\n",
            "      targetPort: 80\n      name: http\n    - {port: 443, targetPort: 8443}\n",
        ),
        "spec.ports[1].name",
    ),
    (
        "quantity",
        edit(GPU, 'cpu: "4"\n              memory: 24Gi', 'cpu: "4"\n              memory: 24 GB'),
        "spec.template.spec.containers[0].resources.requests.memory",
    ),
    (
        "limit-below-request",
        edit(WEB, "memory: 256Mi", "memory: 64Mi"),
        "spec.template.spec.containers[0].resources.limits.memory",
    ),
    (
        "service-selector",
        edit(GPU, "  selector:\n    app: diffusion\n  ports:", "  selector:\n    app: difusion\n  ports:"),
        "spec.selector",
    ),
    (
        "gpu-limit",
        edit(GPU, GPU_LIMITS, GPU_LIMITS.replace("gpu: 1", "gpu: 2")),
        "spec.template.spec.containers[0].resources.limits.nvidia.com/gpu",
    ),
    (
        "gpu-limit",
        edit(GPU, GPU_LIMITS, GPU_LIMITS.replace("              nvidia.com/gpu: 1\n", "")),
        "spec.template.spec.containers[0].resources.limits.nvidia.com/gpu",
    ),
    ("gpu-nodes", edit(GPU, PLACEMENT, ""), "spec.template.spec.tolerations"),
    ("model-loading", edit(GPU, STARTUP, ""), "spec.template.spec.containers[0].readinessProbe.initialDelaySeconds"),
    (
        "probes",
        edit(GPU, "          livenessProbe:\n            httpGet: {path: /health, port: http}\n", ""),
        "spec.template.spec.containers[0].livenessProbe",
    ),
    (
        "resources-requests",
        edit(WEB, "requests: {cpu: 100m, memory: 128Mi}", "requests: {cpu: 100m}"),
        "spec.template.spec.containers[0].resources.requests",
    ),
    (
        "resources-limits",
        edit(WEB, 'limits: {cpu: "1", memory: 256Mi}', 'limits: {cpu: "1"}'),
        "spec.template.spec.containers[0].resources.limits",
    ),
    ("latest-tag", edit(WEB, "image: nginx:1.27.2", "image: nginx"), "spec.template.spec.containers[0].image"),
    (
        "privileged",
        edit(WEB, "          envFrom:", "          securityContext: {privileged: true}\n          envFrom:"),
        "spec.template.spec.containers[0].securityContext.privileged",
    ),
]


@pytest.mark.parametrize(("rule", "manifest", "field"), BROKEN, ids=[f"{r}-{i}" for i, (r, _, _) in enumerate(BROKEN)])
def test_each_broken_manifest_is_refused_with_one_line_naming_the_field(rule: str, manifest: str, field: str) -> None:
    found = errors(manifest)
    assert {f.rule for f in found} == {f"kubernetes.{rule}"}, found
    message = found[0].message
    assert "\n" not in message and f": {field} " in message, message
    # the line is the field's, or its nearest parent's (a list item's first line) when the field is missing
    at = manifest.splitlines()[found[0].line - 1]
    parts = [part for part in re.split(r"[.\[\]]", field) if part and not part.isdigit()]
    assert any(f"{part}:" in at for part in parts) or at.strip().startswith("- "), (at, field)


SPARE = """\
          readinessProbe:
            httpGet: {path: /ready, port: http}
            initialDelaySeconds: 60
          livenessProbe:
            httpGet: {path: /health, port: http}
            initialDelaySeconds: 60
"""

EVERYDAY = [  # valid ways to write what a rule looks at: each must pass
    ("shipped GPU example", GPU),
    ("shipped web example", WEB),
    ("shipped job example", JOB),
    (
        "selector by expression",
        edit(
            GPU,
            "    matchLabels:\n      app: diffusion\n",
            "    matchExpressions:\n      - {key: app, operator: In, values: [diffusion, x]}\n",
        ),
    ),
    (
        "job with a manual selector",
        edit(
            JOB,
            "  backoffLimit: 2\n  template:\n",
            "  backoffLimit: 2\n  manualSelector: true\n  selector:\n    matchLabels: "
            "{job: embed}\n  template:\n    metadata:\n      labels: {job: embed}\n",
        ),
    ),
    ("limit equal in other units", edit(WEB, "memory: 256Mi", "memory: 0.125Gi")),
    (
        "no cpu limit, numeric cpu",
        edit(WEB, 'limits: {cpu: "1", memory: 256Mi}', "limits: {memory: 256Mi}").replace("cpu: 100m", "cpu: 0.5"),
    ),
    ("GPU only in limits", edit(GPU, "              nvidia.com/gpu: 1\n            limits:", "            limits:")),
    ("toleration only", edit(GPU, '      nodeSelector:\n        nvidia.com/gpu.present: "true"\n', "")),
    (
        "node affinity only",
        edit(
            GPU,
            PLACEMENT,
            "      affinity:\n        nodeAffinity:\n          requiredDuringScheduling"
            "IgnoredDuringExecution:\n            nodeSelectorTerms:\n              - "
            "matchExpressions:\n                  - {key: nvidia.com/gpu.product, "
            "operator: Exists}\n",
        ),
    ),
    (
        "initial delays instead of a startup probe",
        edit(edit(GPU, STARTUP, ""), SPARE.replace("            initialDelaySeconds: 60\n", ""), SPARE),
    ),
    ("a Service alone in its change", GPU.split("---\n", 1)[1]),
    (
        "several named Service ports",
        edit(
            WEB,
            "      targetPort: 80\n",
            "      targetPort: 80\n      name: http\n    - {name: https, port: 443, targetPort: 8443}\n",
        ),
    ),
]


@pytest.mark.parametrize(("case", "manifest"), EVERYDAY, ids=[c for c, _ in EVERYDAY])
def test_everyday_manifests_pass(case: str, manifest: str) -> None:
    assert errors(manifest) == []


def test_the_policy_turns_a_rule_off(tmp_path: Path) -> None:
    shipped = Policies().kubernetes.kubernetes
    policy_dir = tmp_path / "policies"
    policy_dir.mkdir()
    rules = shipped.rules.model_copy(update={"gpu_nodes": False})
    data = {"version": 1, "kubernetes": shipped.model_copy(update={"rules": rules}).model_dump()}
    import yaml

    (policy_dir / "kubernetes.yaml").write_text(yaml.safe_dump(data))
    manifest = edit(GPU, PLACEMENT, "")
    assert [f.rule for f in errors(manifest)] == ["kubernetes.gpu-nodes"]
    assert check_file("a.yaml", manifest, Options(), Policies(policy_dir)) == []


@pytest.fixture
def repo(make_repo) -> Path:
    return make_repo({"README.md": "hello\n"})


def test_shipped_examples_pass_review_together(repo: Path) -> None:
    files = {f"deploy/{p.name}": p.read_text() for p in sorted(EXAMPLES.glob("*.yaml"))}
    assert len(files) >= 3
    result = review(repo, diff_of(repo, files), options=ReviewOptions(tests="none", usage="commercial"))
    assert result.passed, [(g.name, g.findings) for g in result.gates if g.findings]


def test_a_service_must_select_a_workload_elsewhere_in_the_change(repo: Path) -> None:
    deployment, service = GPU.split("---\n", 1)
    ok = review(
        repo,
        diff_of(repo, {"k8s/deploy.yaml": deployment, "k8s/svc.yaml": service}),
        options=ReviewOptions(tests="none"),
    )
    assert ok.passed
    stray = service.replace("app: diffusion", "app: diffusion-api")
    result = review(
        repo, diff_of(repo, {"k8s/deploy.yaml": deployment, "k8s/svc.yaml": stray}), options=ReviewOptions(tests="none")
    )
    parse = next(g for g in result.gates if g.name == "parse")
    assert not result.passed and [(f.rule, f.path) for f in parse.findings] == [
        ("kubernetes.service-selector", "k8s/svc.yaml")
    ]
    assert "Deployment diffusion has labels {app: diffusion}" in parse.findings[0].message


@pytest.mark.parametrize(
    ("reference", "rule", "severity"),
    [
        ("value: https://huggingface.co/black-forest-labs/FLUX.1-dev", "license.restricted-model", "error"),
        ("value: stabilityai/stable-diffusion-3-medium-diffusers", "license.restricted-model", "error"),
        ("value: stabilityai/stable-diffusion-xl-base-1.0", None, None),
    ],
)
def test_a_model_named_in_a_manifest_meets_the_licence_policy(
    repo: Path, reference: str, rule: str | None, severity: str | None
) -> None:
    manifest = edit(GPU, "value: stabilityai/stable-diffusion-xl-base-1.0", reference)
    result = review(
        repo, diff_of(repo, {"deploy/app.yaml": manifest}), options=ReviewOptions(tests="none", usage="commercial")
    )
    licence = next(g for g in result.gates if g.name == "license")
    assert {f.rule: f.severity for f in licence.findings} == ({rule: severity} if rule else {})
    assert result.passed is (severity != "error")


def test_an_image_from_a_model_publisher_is_a_model_use(repo: Path) -> None:
    manifest = edit(GPU, "image: ghcr.io/example/diffusion-server:1.4.0", "image: ghcr.io/stabilityai/sd3-server:1.0")
    result = review(repo, diff_of(repo, {"deploy/app.yaml": manifest}), options=ReviewOptions(tests="none"))
    licence = next(g for g in result.gates if g.name == "license")
    assert [(f.rule, f.severity, f.line) for f in licence.findings] == [("license.unknown-model", "warning", 20)]
    assert "stabilityai/sd3-server is not in policies/models.yaml" in licence.findings[0].message
