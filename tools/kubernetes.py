"""Kubernetes manifests: the official schemas (kubernetes-validate) plus ``policies/kubernetes.yaml``.

A YAML document is a manifest when it has ``apiVersion`` and ``kind``. The
schema says whether its fields have the right types; the rules say what the
API server would still refuse (a selector that does not select its own pod
template, duplicate container names, ports out of range, a limit below its
request) and what the policy wants (requests and limits, GPUs on GPU nodes,
probes that wait for a model to load, pinned images). Every finding names the
field it is about and its line.

A Service is checked against the pod templates of the whole change (the
parse gate passes them in): one whose selector selects none of them would
route to nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from tools.findings import Finding
from tools.podspec import Path, Problem, field_name, pod_problems, port_problems
from tools.policy import Kubernetes


def is_manifest(doc: Any) -> bool:
    """Whether a parsed YAML document looks like a Kubernetes object."""
    return isinstance(doc, dict) and "apiVersion" in doc and "kind" in doc


@dataclass(frozen=True)
class Manifest:
    """One manifest document of a file, with its YAML node (for the line of any field)."""

    path: str
    doc: dict[str, Any]
    node: yaml.Node

    @property
    def title(self) -> str:
        return f"{self.doc['kind']} {(self.doc.get('metadata') or {}).get('name', '?')}"

    @property
    def namespace(self) -> str | None:
        return (self.doc.get("metadata") or {}).get("namespace")

    def line(self, field: Path = ()) -> int:
        """The line of ``field`` (its key's line), or of the deepest part of it that exists."""
        node, line = self.node, self.node.start_mark.line
        for part in field:
            if isinstance(node, yaml.MappingNode):
                pair = next(((k, v) for k, v in node.value if getattr(k, "value", None) == part), None)
                if pair is None:
                    break
                line, node = pair[0].start_mark.line, pair[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                node = node.value[part]
                line = node.start_mark.line
            else:
                break
        return line + 1


@dataclass(frozen=True)
class PodTemplate:
    """The labels of the pods a workload of a change makes, for the Services beside it."""

    title: str
    namespace: str | None
    labels: dict[str, Any]


def manifests_in(path: str, text: str) -> list[Manifest]:
    """Every manifest document of ``text`` (already known to parse as YAML)."""
    found = []
    for node in yaml.compose_all(text, Loader=yaml.SafeLoader):
        if node is not None and is_manifest(doc := yaml.safe_load(yaml.serialize(node))):
            found.append(Manifest(path, doc, node))
    return found


def pod_templates(manifests: list[Manifest], policy: Kubernetes) -> list[PodTemplate]:
    """The pod templates of the workloads among ``manifests``."""
    pods = []
    for manifest in manifests:
        if manifest.doc["kind"] in policy.workload_kinds:
            template = _template(manifest.doc)
            labels = ((template or {}).get("metadata") or {}).get("labels") or {}
            pods.append(PodTemplate(manifest.title, manifest.namespace, labels if isinstance(labels, dict) else {}))
    return pods


def manifest_findings(path: str, text: str, policy: Kubernetes, pods: list[PodTemplate] | None = None) -> list[Finding]:
    """Schema and rule findings for every manifest in ``text``; ``pods`` are the change's (default: this file's)."""
    manifests = manifests_in(path, text)
    pods = pod_templates(manifests, policy) if pods is None else pods
    findings: list[Finding] = []
    for manifest in manifests:
        findings.extend(_schema(manifest, policy.version))
        findings.extend(
            Finding(
                rule=f"kubernetes.{p.rule}",
                path=path,
                line=manifest.line(p.field),
                message=f"{manifest.title}: {field_name(p.field)} {p.message}",
            )
            for p in _problems(manifest.doc, policy, pods)
        )
    return findings


def _schema(manifest: Manifest, version: str) -> list[Finding]:
    doc, path, line = manifest.doc, manifest.path, manifest.line()
    import kubernetes_validate  # a quarter second to import: only when a change has a manifest

    try:
        kubernetes_validate.validate(doc, version, strict=True)
    except kubernetes_validate.ValidationError as exc:
        where = "/".join(str(p) for p in exc.path) or doc["kind"]
        return [
            Finding(
                rule="kubernetes.schema",
                path=path,
                line=manifest.line(tuple(exc.path)),
                message=f"{doc['kind']} does not match the Kubernetes {version} schema at {where}: {exc.message[:200]}",
            )
        ]
    except kubernetes_validate.SchemaNotFoundError:
        return [
            Finding(
                rule="kubernetes.unknown-kind",
                path=path,
                line=line,
                severity="warning",
                message=f"no Kubernetes {version} schema for {doc['apiVersion']} {doc['kind']}",
            )
        ]
    except kubernetes_validate.utils.InvalidSchemaError as exc:
        return [Finding(rule="kubernetes.schema", path=path, line=line, message=str(exc)[:200])]
    return []


def _template(doc: dict[str, Any]) -> dict[str, Any] | None:
    """The pod template of a workload (a Pod is its own), wherever its kind keeps it."""
    spec = doc.get("spec") or {}
    if doc["kind"] == "Pod":
        return {"metadata": doc.get("metadata") or {}, "spec": spec}
    if doc["kind"] == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    template = spec.get("template")
    return template if isinstance(template, dict) else None


def _template_path(kind: str) -> Path:
    return {"Pod": (), "CronJob": ("spec", "jobTemplate", "spec", "template")}.get(kind, ("spec", "template"))


def _problems(doc: dict[str, Any], policy: Kubernetes, pods: list[PodTemplate]) -> list[Problem]:
    kind = doc["kind"]
    problems: list[Problem] = []
    if kind in policy.workload_kinds and isinstance(spec := (_template(doc) or {}).get("spec"), dict):
        at = (*_template_path(kind), "spec") if kind != "Pod" else ("spec",)
        problems.extend(pod_problems(spec, at, policy, long_running=kind not in policy.batch_kinds))
    if kind in policy.selector_kinds and policy.rules.selector:
        problems.extend(_selector(doc))
    if kind == "Service":
        problems.extend(_service(doc, policy, pods))
    return problems


def _selector(doc: dict[str, Any]) -> list[Problem]:
    """The workload's selector selects its own pod template, as the API server requires."""
    spec = doc.get("spec") or {}
    selector = spec.get("selector")
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    if doc["kind"] == "Job" and selector is not None and spec.get("manualSelector") is not True:
        return [
            Problem(
                "selector",
                ("spec", "selector"),
                "is set but spec.manualSelector is not true: the API server generates a Job's selector; remove it",
            )
        ]
    if not isinstance(selector, dict):
        return []  # required by the schema where it is required
    if not selector.get("matchLabels") and not selector.get("matchExpressions"):
        return [Problem("selector", ("spec", "selector"), "is empty: it must select spec.template.metadata.labels")]
    if selects(selector, labels):
        return []
    field = ("spec", "selector", "matchLabels" if selector.get("matchLabels") else "matchExpressions")
    return [
        Problem(
            "selector",
            field,
            f"{_show(selector.get(field[-1]))} does not select spec.template.metadata.labels {_show(labels)}",
        )
    ]


def selects(selector: dict[str, Any], labels: dict[str, Any]) -> bool:
    """Whether a label selector (matchLabels and matchExpressions) selects ``labels``."""
    labels = {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}
    wanted = selector.get("matchLabels") or {}
    if not isinstance(wanted, dict) or any(labels.get(str(k)) != str(v) for k, v in wanted.items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator = str(expression.get("key")), expression.get("operator")
        values = {str(v) for v in expression.get("values") or []}
        if not {
            "In": key in labels and labels[key] in values,
            "NotIn": labels.get(key) not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }.get(operator, False):
            return False
    return True


def _service(doc: dict[str, Any], policy: Kubernetes, pods: list[PodTemplate]) -> list[Problem]:
    spec = doc.get("spec") or {}
    problems: list[Problem] = []
    if policy.rules.ports:
        problems.extend(_service_ports(spec.get("ports")))
    selector = spec.get("selector")
    namespace = (doc.get("metadata") or {}).get("namespace")
    near = [p for p in pods if None in (p.namespace, namespace) or p.namespace == namespace]
    if (
        policy.rules.service_selector
        and isinstance(selector, dict)
        and selector
        and near
        and not any(selects({"matchLabels": selector}, p.labels) for p in near)
    ):
        problems.append(
            Problem(
                "service-selector",
                ("spec", "selector"),
                f"{_show(selector)} selects no pod template of this change "
                f"({near[0].title} has labels {_show(near[0].labels)})",
            )
        )
    return problems


def _service_ports(ports: Any) -> list[Problem]:
    problems: list[Problem] = []
    ports = [p for p in ports if isinstance(p, dict)] if isinstance(ports, list) else []
    names: set[Any] = set()
    for index, port in enumerate(ports):
        at: Path = ("spec", "ports", index)
        problems.extend(port_problems(port.get("port"), (*at, "port"), named=False))
        if "targetPort" in port:
            problems.extend(port_problems(port["targetPort"], (*at, "targetPort"), named=True))
        if port.get("nodePort", 0) != 0:
            problems.extend(port_problems(port.get("nodePort"), (*at, "nodePort"), named=False))
        name = port.get("name")
        if len(ports) > 1 and (not name or name in names):
            problems.append(
                Problem(
                    "port",
                    (*at, "name"),
                    "is missing: a Service with several ports names each, uniquely"
                    if not name
                    else f"{name!r} is used twice",
                )
            )
        names.add(name)
    return problems


def _show(value: Any) -> str:
    """A selector or labels as one short line: ``{app: web}``."""
    if isinstance(value, dict):
        text = "{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}"
    else:
        text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."
