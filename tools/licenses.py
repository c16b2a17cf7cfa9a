"""The ``license`` gate: model identifiers a candidate adds, checked against ``policies/models.yaml``.

A model id in code or config (``stabilityai/stable-diffusion-3-medium-diffusers``)
brings its licence with it. A model whose licence forbids commercial use fails
a project configured with ``usage = "commercial"``, warns otherwise; a model
from a known publisher that the list does not have warns, so a person checks.
"""

from __future__ import annotations

import re

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
            for match in pattern.finditer(text):
                model_id = match.group(0)
                entry = known.get(model_id.lower())
                if entry is not None:
                    findings.extend(_listed(changed.path, line, model_id, entry, options))
                elif match.group(1).lower() in orgs:
                    findings.append(Finding(rule="license.unknown-model", path=changed.path, line=line, severity="warning",
                                            message=f"model {model_id} is not in policies/models.yaml; check its licence"))
    return GateReport(name="license", passed=not any(f.severity == "error" for f in findings), findings=findings)


def _listed(path: str, line: int, model_id: str, entry: ModelEntry, options: ReviewOptions) -> list[Finding]:
    if entry.commercial:
        return []
    note = f" ({entry.note})" if entry.note else ""
    if options.usage == "commercial":
        return [Finding(rule="license.restricted-model", path=path, line=line,
                        message=f"model {model_id} has licence {entry.license}, which does not allow commercial "
                                f"use{note}; this project's usage is commercial")]
    if options.usage == "unspecified":
        return [Finding(rule="license.restricted-model", path=path, line=line, severity="warning",
                        message=f"model {model_id} has licence {entry.license} (no commercial use){note}; "
                                "set [tool.patchgate.review] usage to check it")]
    return []
