"""Issue evidence: does a candidate change what the issue points at?

The issue names places (``retrieval.mentions``): identifiers written as code,
the frames of a traceback, quoted messages a program printed, file paths; and
the localizer ranks files for it. A candidate that changes the innermost frame
of the traceback, or the function the issue names, or the message it quotes,
is more likely to fix that issue than one that changes something beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

from agent.selection.fingerprint import ChangedFunction
from retrieval.mentions import Mentions
from tools.candidate import Candidate


@dataclass
class IssueEvidence:
    """A score in 0..1 and the reasons, one phrase each ("touches `calc.add` named in the issue")."""

    score: float = 0.0
    reasons: list[str] = field(default_factory=list)


def issue_evidence(
    mentions: Mentions, candidate: Candidate, functions: list[ChangedFunction], ranked_files: list[str]
) -> IssueEvidence:
    """How strongly ``candidate`` touches what the issue names; the strongest evidence counts most."""
    found = IssueEvidence()
    parts: list[float] = []
    frames = [(path, func) for path, _line, func in mentions.frames]
    for depth, (path, func) in enumerate(reversed(frames)):  # the innermost frame first
        hit = next((f for f in functions if f.qualname.rsplit(".", 1)[-1] == func and _same_file(f.path, path)), None)
        if hit is not None:
            parts.append(1.0 / (1 + depth))
            found.reasons.append(f"changes `{hit.qualname}`, frame {len(frames) - depth} of the issue's traceback")
            break
    named = [(f, mentions.identifiers.get(f.qualname.rsplit(".", 1)[-1], 0.0)) for f in functions]
    if named and (best := max(named, key=lambda item: item[1]))[1] > 0:
        parts.append(best[1])
        found.reasons.append(f"touches `{_dotted(best[0])}` named in the issue")
    changed_text = "\n".join(t for f in candidate.files for _, t in (*f.added, *f.removed))
    quoted = [p for p in mentions.phrases if p in changed_text]
    if quoted:
        parts.append(0.8)
        found.reasons.append(f'changes the message "{quoted[0][:60]}" quoted in the issue')
    paths = [p for p in candidate.paths if any(_same_file(p, m) for m in mentions.paths)]
    if paths:
        parts.append(0.6)
        found.reasons.append(f"edits {paths[0]} named in the issue")
    ranks = [ranked_files.index(p) for p in candidate.paths if p in ranked_files]
    if ranks:
        parts.append(0.5 / (1 + min(ranks)))
        found.reasons.append(f"edits the localizer's file #{min(ranks) + 1}")
    found.score = min(1.0, sum(sorted(parts, reverse=True)[:2]) / 1.5) if parts else 0.0
    return found


def _same_file(path: str, named: str) -> bool:
    """Whether a repository path is the file an issue names (tracebacks carry absolute, installed paths)."""
    ours, theirs = PurePosixPath(path).parts, PurePosixPath(named.replace("\\", "/")).parts
    tail = min(len(ours), len(theirs), 2)
    return tail > 0 and ours[-tail:] == theirs[-tail:]


def _dotted(function: ChangedFunction) -> str:
    module = PurePosixPath(function.path).stem
    return function.qualname if function.qualname.startswith("<") else f"{module}.{function.qualname}"
