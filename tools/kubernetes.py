"""Kubernetes manifests: the official schemas (kubernetes-validate) plus ``policies/kubernetes.yaml``.

A YAML document is a manifest when it has ``apiVersion`` and ``kind``. The
schema says whether the cluster will accept it; the policy says whether we
want it: requests and limits, GPUs with limits, probes, pinned images, no
privileged containers.
"""

from __future__ import annotations

from typing import Any

import yaml

from tools.findings import Finding
from tools.policy import Kubernetes, KubernetesRules


def is_manifest(doc: Any) -> bool:
    """Whether a parsed YAML document looks like a Kubernetes object."""
    return isinstance(doc, dict) and "apiVersion" in doc and "kind" in doc


def manifest_findings(path: str, text: str, policy: Kubernetes) -> list[Finding]:
    """Schema and policy findings for every manifest document in ``text`` (already known to parse)."""
    findings: list[Finding] = []
    for node in yaml.compose_all(text, Loader=yaml.SafeLoader):
        if node is None:
            continue
        doc = yaml.safe_load(yaml.serialize(node))
        if not is_manifest(doc):
            continue
        line = node.start_mark.line + 1
        findings.extend(_schema(path, line, doc, policy.version))
        findings.extend(_rules(path, line, text, doc, policy))
    return findings


def _schema(path: str, line: int, doc: dict[str, Any], version: str) -> list[Finding]:
    import kubernetes_validate  # 0.2 s of imports, paid only when a manifest is checked (not before every edit)

    try:
        kubernetes_validate.validate(doc, version, strict=True)
    except kubernetes_validate.ValidationError as exc:
        where = "/".join(str(p) for p in exc.path) or doc["kind"]
        return [Finding(rule="kubernetes.schema", path=path, line=line,
                        message=f"{doc['kind']} does not match the Kubernetes {version} schema at {where}: "
                                f"{exc.message[:200]}")]
    except kubernetes_validate.SchemaNotFoundError:
        return [Finding(rule="kubernetes.unknown-kind", path=path, line=line, severity="warning",
                        message=f"no Kubernetes {version} schema for {doc['apiVersion']} {doc['kind']}")]
    except kubernetes_validate.utils.InvalidSchemaError as exc:
        return [Finding(rule="kubernetes.schema", path=path, line=line, message=str(exc)[:200])]
    return []


def pod_spec(doc: dict[str, Any]) -> dict[str, Any] | None:
    """The pod template spec of a workload, wherever its kind keeps it."""
    spec = doc.get("spec") or {}
    if doc["kind"] == "Pod":
        return spec
    if doc["kind"] == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    return (spec.get("template") or {}).get("spec")


def _rules(path: str, line: int, text: str, doc: dict[str, Any], policy: Kubernetes) -> list[Finding]:
    if doc["kind"] not in policy.workload_kinds:
        return []
    spec = pod_spec(doc) or {}
    enabled = policy.rules
    long_running = doc["kind"] not in policy.batch_kinds
    findings: list[Finding] = []
    for container in [*spec.get("containers", []), *spec.get("initContainers", [])]:
        if not isinstance(container, dict):
            continue
        name = container.get("name", "?")
        at = _line_of(text, f"name: {name}", line)
        problems = _container_problems(container, policy.gpu_resources, enabled,
                                       probes=long_running and container in spec.get("containers", []))
        findings.extend(Finding(rule=f"kubernetes.{rule}", path=path, line=at,
                                message=f"{doc['kind']} {doc.get('metadata', {}).get('name', '?')}, "
                                        f"container {name}: {message}")
                        for rule, message in problems)
    return findings


def _container_problems(container: dict[str, Any], gpus: list[str], enabled: KubernetesRules,
                        probes: bool) -> list[tuple[str, str]]:
    resources = container.get("resources") or {}
    requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
    problems = []
    if enabled.requests and not {"cpu", "memory"} <= set(requests):
        problems.append(("resources-requests", "set resources.requests for cpu and memory"))
    if enabled.limits and "memory" not in limits:
        problems.append(("resources-limits", "set resources.limits.memory"))
    for gpu in gpus:
        if enabled.gpu_limits and gpu in requests and str(limits.get(gpu)) != str(requests[gpu]):
            problems.append(("gpu-limit", f"{gpu} is requested; set an equal limit (GPUs cannot be overcommitted)"))
    if enabled.probes and probes:
        missing = [p for p in ("readinessProbe", "livenessProbe") if p not in container]
        if missing:
            problems.append(("probes", f"add {' and '.join(missing)}"))
    image = str(container.get("image", ""))
    if enabled.latest_tag and image and "@" not in image:
        tag = image.rsplit("/", 1)[-1].partition(":")[2]
        if tag in ("", "latest"):
            problems.append(("latest-tag", f"pin image {image} to a version tag or digest, not latest"))
    if enabled.privileged and (container.get("securityContext") or {}).get("privileged") is True:
        problems.append(("privileged", "privileged containers are not allowed"))
    return problems


def _line_of(text: str, needle: str, default: int) -> int:
    """The first line at or after ``default`` containing ``needle`` (a good enough anchor for a comment)."""
    lines = text.splitlines()
    for number in range(default, len(lines) + 1):
        if needle in lines[number - 1]:
            return number
    return default
