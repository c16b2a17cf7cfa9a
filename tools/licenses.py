"""The ``license`` gate: model identifiers a candidate adds, checked against ``policies/models.yaml``.

A model id in code or config (``stabilityai/stable-diffusion-3-medium-diffusers``,
also behind a host or registry in a URL or a manifest's image) brings its licence with it. A model whose licence forbids commercial use fails
a project configured with ``usage = "commercial"``, warns otherwise; a model
from a known publisher that the list does not have warns, so a person checks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tools.candidate import Candidate
from tools.findings import Finding, GateReport
from tools.gate import GateContext
from tools.options import ReviewOptions
from tools.policy import ModelEntry, ModelsPolicy


class LicenseGate:
    """``license``: model ids a candidate adds, against policies/models.yaml and the project's usage."""

    name = "license"
    needs = "nothing"

    def run(self, ctx: GateContext) -> GateReport:
        return license_gate(ctx.candidate, ctx.options, ctx.policies.models)


def license_gate(candidate: Candidate, options: ReviewOptions, policy: ModelsPolicy) -> GateReport:
    """Licence findings for the model ids on added lines of ``candidate``."""
    known = {m.id.lower(): m for m in policy.models}
    orgs = {o.lower() for o in policy.known_orgs}
    pattern = re.compile(policy.model_id_regex)
    findings: list[Finding] = []
    for changed in candidate.files:
        for line, text in changed.added:
            for model_id, entry in model_ids(text, pattern, known, orgs):
                if entry is not None:
                    findings.extend(_listed(changed.path, line, model_id, entry, options))
                else:
                    findings.append(
                        Finding(
                            rule="license.unknown-model",
                            path=changed.path,
                            line=line,
                            severity="warning",
                            message=f"model {model_id} is not in policies/models.yaml; check its licence",
                        )
                    )
    return GateReport(name="license", passed=not any(f.severity == "error" for f in findings), findings=findings)


def model_ids(
    text: str, pattern: re.Pattern[str], known: dict[str, ModelEntry], orgs: set[str]
) -> Iterator[tuple[str, ModelEntry | None]]:
    """The model ids in ``text``: listed ones with their entry, unlisted ones of a known organisation with None.

    An id may sit behind a host or registry (``huggingface.co/black-forest-labs/FLUX.1-dev``,
    ``ghcr.io/stabilityai/sd3-server:1.0`` in a manifest): a path whose first two parts are not a model
    is tried again from its second part.
    """
    position = 0
    while (match := pattern.search(text, position)) is not None:
        model_id = match.group(0)
        entry = known.get(model_id.lower())
        if entry is not None or match.group(1).lower() in orgs:
            yield model_id, entry
            position = match.end()
        else:
            position = match.start(2)


def _listed(path: str, line: int, model_id: str, entry: ModelEntry, options: ReviewOptions) -> list[Finding]:
    if entry.commercial:
        return []
    note = f" ({entry.note})" if entry.note else ""
    if options.usage == "commercial":
        return [
            Finding(
                rule="license.restricted-model",
                path=path,
                line=line,
                message=f"model {model_id} has licence {entry.license}, which does not allow commercial "
                f"use{note}; this project's usage is commercial",
            )
        ]
    if options.usage == "unspecified":
        return [
            Finding(
                rule="license.restricted-model",
                path=path,
                line=line,
                severity="warning",
                message=f"model {model_id} has licence {entry.license} (no commercial use){note}; "
                "set [tool.patchgate.review] usage to check it",
            )
        ]
    return []
