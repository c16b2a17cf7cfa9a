"""Rules for a pod template: its containers as the API server validates them, and GPU serving.

Each rule answers ``Problem``s: the rule id, the path of the field at fault and
what is wrong with it, so a finding names the field
(``spec.template.spec.containers[0].resources.limits.memory``) and its line.
The schema (kubernetes-validate) sees types; these are the checks the API
server makes beyond them, plus the policy's own (probes, pinned images).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from tools.policy import GpuNodes, Kubernetes

Path = tuple[str | int, ...]


class Problem(NamedTuple):
    """One broken rule at one field."""

    rule: str  # the finding's rule id after ``kubernetes.``
    field: Path
    message: str  # what is wrong, said after the field's name


def field_name(path: Path) -> str:
    """``("spec", "containers", 0, "name")`` -> ``spec.containers[0].name``."""
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
IANA_SVC_NAME = re.compile(r"(?=.*[a-z])(?!.*--)[a-z0-9]([-a-z0-9]*[a-z0-9])?")
# <signed number><suffix>: binary SI, decimal SI or a decimal exponent, as resource.Quantity parses it
QUANTITY = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?")
SUFFIX = {
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
    "Ei": Decimal(2) ** 60,
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
}


def quantity(value: Any) -> Decimal | None:
    """A Kubernetes resource quantity (``500m``, ``16Gi``, ``1e3``, ``2``) as a number; None if it is not one.

    Thirty lines of the API's own quantity grammar, rather than the whole
    kubernetes client package for its ``parse_quantity``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    match = QUANTITY.fullmatch(str(value).strip())
    if match is None:
        return None
    number, suffix = match.group(1), match.group(2) or ""
    try:
        if suffix[:1] in ("e", "E"):
            return Decimal(number) * Decimal(10) ** int(suffix[1:])
        return Decimal(number) * SUFFIX[suffix]
    except (InvalidOperation, OverflowError):
        return None


def port_problems(value: Any, field: Path, *, named: bool, lowest: int = 1) -> list[Problem]:
    """A port number in ``lowest``-65535, or (where ``named``) an IANA service name such as ``http``."""
    if isinstance(value, str) and named:
        if len(value) <= 15 and IANA_SVC_NAME.fullmatch(value):
            return []
        return [Problem("port", field, f"{value!r} is not a port name (at most 15 of a-z, 0-9, '-', with a letter)")]
    if isinstance(value, int) and not isinstance(value, bool) and lowest <= value <= 65535:
        return []
    return [Problem("port", field, f"{value!r} is not a port number in {lowest}-65535")]


def pod_problems(spec: dict[str, Any], at: Path, policy: Kubernetes, *, long_running: bool) -> list[Problem]:
    """Every rule on the pod spec ``spec``, found at path ``at`` of its manifest."""
    enabled = policy.rules
    problems: list[Problem] = []
    gpus: list[str] = []
    if enabled.container_names:
        problems.extend(_names(spec, at))
    for field, container, main in _containers(spec, at):
        requests, limits = _resources(container)
        gpus.extend(g for g in policy.gpu_resources if g in requests or g in limits)
        problems.extend(_container(container, field, policy, probes=long_running and main))
        if (
            enabled.model_loading
            and long_running
            and main
            and any(g in requests or g in limits for g in policy.gpu_resources)
        ):
            problems.extend(_model_loading(container, field, policy.model_load_seconds))
    if enabled.gpu_nodes and gpus and not _on_gpu_nodes(spec, policy.gpu_nodes):
        problems.append(
            Problem(
                "gpu-nodes",
                (*at, "tolerations"),
                f"is missing: the pod requests {gpus[0]} but neither tolerates a GPU node taint "
                f"({', '.join(policy.gpu_nodes.toleration_keys)}) nor selects GPU nodes "
                f"(nodeSelector on {', '.join(policy.gpu_nodes.node_label_keys[:3]) or 'a GPU label'})",
            )
        )
    return problems


def _containers(spec: dict[str, Any], at: Path) -> Iterator[tuple[Path, dict[str, Any], bool]]:
    """(path, container, whether it is a main container) for containers and init containers."""
    for key in ("containers", "initContainers"):
        items = spec.get(key)
        for index, container in enumerate(items if isinstance(items, list) else []):
            if isinstance(container, dict):
                yield (*at, key, index), container, key == "containers"


def _resources(container: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    resources = container.get("resources") or {}
    return resources.get("requests") or {}, resources.get("limits") or {}


def _names(spec: dict[str, Any], at: Path) -> list[Problem]:
    """Container names are DNS-1123 labels, unique across containers and init containers."""
    problems, seen = [], set()
    for field, container, _ in _containers(spec, at):
        name = container.get("name")
        if not isinstance(name, str) or len(name) > 63 or not DNS_LABEL.fullmatch(name):
            problems.append(
                Problem(
                    "container-name",
                    (*field, "name"),
                    f"{name!r} is not a DNS-1123 label "
                    "(at most 63 of a-z, 0-9 and '-', starting and ending alphanumeric)",
                )
            )
        elif name in seen:
            problems.append(
                Problem(
                    "container-name",
                    (*field, "name"),
                    f"{name!r} is used by another container of this pod; names must be unique",
                )
            )
        seen.add(name)
    return problems


def _container(container: dict[str, Any], field: Path, policy: Kubernetes, *, probes: bool) -> list[Problem]:
    enabled = policy.rules
    requests, limits = _resources(container)
    resources = (*field, "resources")
    problems: list[Problem] = []
    if enabled.requests and not {"cpu", "memory"} <= set(requests):
        problems.append(Problem("resources-requests", (*resources, "requests"), "needs cpu and memory"))
    if enabled.limits and "memory" not in limits:
        problems.append(Problem("resources-limits", (*resources, "limits"), "needs memory"))
    problems.extend(_amounts(requests, limits, resources, policy))
    if enabled.ports:
        problems.extend(_container_ports(container, field))
    if enabled.probes and probes:
        missing = [p for p in ("readinessProbe", "livenessProbe") if p not in container]
        if missing:
            problems.append(Problem("probes", (*field, missing[0]), f"is missing: add {' and '.join(missing)}"))
    image = str(container.get("image", ""))
    if enabled.latest_tag and image and "@" not in image:
        tag = image.rsplit("/", 1)[-1].partition(":")[2]
        if tag in ("", "latest"):
            problems.append(
                Problem(
                    "latest-tag", (*field, "image"), f"{image} is not pinned: use a version tag or a digest, not latest"
                )
            )
    if enabled.privileged and (container.get("securityContext") or {}).get("privileged") is True:
        problems.append(
            Problem(
                "privileged",
                (*field, "securityContext", "privileged"),
                "is true: privileged containers are not allowed",
            )
        )
    return problems


def _amounts(requests: dict[str, Any], limits: dict[str, Any], resources: Path, policy: Kubernetes) -> list[Problem]:
    """Quantities parse, every limit covers its request, and a GPU request has an equal, whole limit."""
    enabled = policy.rules
    problems: list[Problem] = []
    amounts: dict[tuple[str, str], Decimal] = {}
    for kind, values in (("requests", requests), ("limits", limits)):
        for name, value in values.items():
            if (amount := quantity(value)) is None or amount < 0:
                if enabled.quantities:
                    problems.append(
                        Problem(
                            "quantity",
                            (*resources, kind, name),
                            f"{value!r} is not a Kubernetes quantity (such as 500m, 2, 16Gi)",
                        )
                    )
            else:
                amounts[kind, name] = amount
    for gpu in policy.gpu_resources:
        if not enabled.gpu_limits or (gpu not in requests and gpu not in limits):
            continue
        request, limit = amounts.get(("requests", gpu)), amounts.get(("limits", gpu))
        if gpu in requests and request != limit:
            problems.append(
                Problem(
                    "gpu-limit",
                    (*resources, "limits", gpu),
                    f"is {limits.get(gpu, 'unset')} but requests.{gpu} is {requests[gpu]}: a GPU "
                    "must be limited to exactly what is requested (GPUs cannot be overcommitted)",
                )
            )
        elif (amount := request if request is not None else limit) is not None and amount != amount.to_integral():
            problems.append(
                Problem(
                    "gpu-limit",
                    (*resources, "limits" if limit is not None else "requests", gpu),
                    f"is {amount}: GPUs are whole devices",
                )
            )
    if enabled.limits_cover_requests:
        for (kind, name), request in amounts.items():
            limit = amounts.get(("limits", name))
            if kind == "requests" and limit is not None and limit < request and name not in policy.gpu_resources:
                problems.append(
                    Problem(
                        "limit-below-request",
                        (*resources, "limits", name),
                        f"{limits[name]} is below requests.{name} {requests[name]}",
                    )
                )
    return problems


def _container_ports(container: dict[str, Any], field: Path) -> list[Problem]:
    problems: list[Problem] = []
    names: set[str] = set()
    ports = container.get("ports")
    for index, port in enumerate(ports if isinstance(ports, list) else []):
        if not isinstance(port, dict):
            continue
        at = (*field, "ports", index)
        problems.extend(port_problems(port.get("containerPort"), (*at, "containerPort"), named=False))
        if port.get("hostPort", 0) != 0:
            problems.extend(port_problems(port.get("hostPort"), (*at, "hostPort"), named=False))
        if (name := port.get("name")) is not None:
            problems.extend(
                port_problems(name, (*at, "name"), named=True)
                if isinstance(name, str)
                else [Problem("port", (*at, "name"), f"{name!r} is not a port name")]
            )
            if name in names:
                problems.append(Problem("port", (*at, "name"), f"{name!r} names another port of this container too"))
            names.add(name)
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        spec = container.get(probe)
        for handler in ("httpGet", "tcpSocket", "grpc"):
            target = (spec or {}).get(handler) if isinstance(spec, dict) else None
            if isinstance(target, dict) and "port" in target:
                problems.extend(
                    port_problems(target["port"], (*field, probe, handler, "port"), named=handler != "grpc")
                )
    return problems


def _model_loading(container: dict[str, Any], field: Path, seconds: int) -> list[Problem]:
    """A GPU server's probes wait for its model: a startup probe, or an initial delay on each probe."""
    if "startupProbe" in container:
        return []
    problems = []
    for probe in ("readinessProbe", "livenessProbe"):
        spec = container.get(probe)
        if not isinstance(spec, dict):
            continue
        delay = spec.get("initialDelaySeconds", 0)
        if not isinstance(delay, int) or delay < seconds:
            problems.append(
                Problem(
                    "model-loading",
                    (*field, probe, "initialDelaySeconds"),
                    f"is {spec.get('initialDelaySeconds', 'unset')}: a GPU server loads its model "
                    f"first; add a startupProbe or wait at least {seconds} s",
                )
            )
    return problems


def _on_gpu_nodes(spec: dict[str, Any], nodes: GpuNodes) -> bool:
    """Whether the pod tolerates a GPU taint or requires a GPU node label."""
    tolerations = [t for t in spec.get("tolerations") or [] if isinstance(t, dict)]
    if any(
        t.get("key") in nodes.toleration_keys or (t.get("operator") == "Exists" and not t.get("key"))
        for t in tolerations
    ):
        return True
    labels = set(spec.get("nodeSelector") or {})
    affinity = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    for term in affinity.get("nodeSelectorTerms") or []:
        labels.update(e.get("key") for e in (term or {}).get("matchExpressions") or [] if isinstance(e, dict))
    return bool(labels & set(nodes.node_label_keys))
