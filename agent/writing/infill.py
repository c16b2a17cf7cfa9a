"""``patchgate complete``: fill the middle at a cursor in a file, written only on request.

The cursor splits the file into prefix and suffix; the model's middle is
inserted between them (never appended). Writing is atomic (temp file +
``os.replace``) so an interrupted write never leaves half a file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from agent.decoding.fim import detect_family, fim_prompt_ids, stop_ids
from agent.models.base import InfillModel, Model
from core.errors import ConfigError, InputError

MAX_PREFIX_CHARS = 12_000
MAX_SUFFIX_CHARS = 4_000
LOCATION = re.compile(r"^(?P<path>.+?):(?P<line>\d+)(?::(?P<col>\d+))?$")


@dataclass
class Infill:
    """A completion at a cursor: the middle and the file before and after."""

    path: Path
    line: int
    col: int
    middle: str
    original: str
    updated: str
    family: str


def parse_location(spec: str) -> tuple[Path, int, int | None]:
    """``FILE:LINE[:COL]`` (1-based) into its parts."""
    match = LOCATION.match(spec)
    if not match:
        raise InputError(f"expected FILE:LINE[:COL], got {spec!r}")
    col = match["col"]
    return Path(match["path"]), int(match["line"]), int(col) if col else None


def cursor_offset(text: str, line: int, col: int | None) -> tuple[int, int]:
    """Character offset of a 1-based line/column; no column means the end of the line."""
    lines = text.splitlines(keepends=True) or [""]
    if not 1 <= line <= len(lines):
        raise InputError(f"line {line} is outside the file (1..{len(lines)})")
    body = lines[line - 1].rstrip("\r\n")
    col = len(body) + 1 if col is None else col
    if not 1 <= col <= len(body) + 1:
        raise InputError(f"column {col} is outside line {line} (1..{len(body) + 1})")
    return sum(len(x) for x in lines[: line - 1]) + col - 1, col


def read_cursor(path: Path, line: int, col: int | None) -> tuple[str, int, int]:
    """The file's text, the cursor's offset and column (checked before any model is loaded)."""
    try:
        original = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from None
    return (original, *cursor_offset(original, line, col))


def infill_file(model: Model, path: Path, line: int, col: int | None, *, max_tokens: int = 128) -> Infill:
    """Ask a local FIM model for the middle at ``path:line:col``; nothing is written."""
    if not isinstance(model, InfillModel):
        raise ConfigError(f"{model.name}: complete needs a local FIM model (--model hf:/path/to/code-model)")
    original, offset, col = read_cursor(path, line, col)
    prefix, suffix = original[:offset], original[offset:]
    family = detect_family(model.tokenizer)
    prompt = fim_prompt_ids(model.tokenizer, family, prefix[-MAX_PREFIX_CHARS:], suffix[:MAX_SUFFIX_CHARS])
    generated = model.generate_ids(
        prompt, max_tokens=max_tokens, stop_ids=stop_ids(model.tokenizer, family), speculate=True
    )
    middle = model.tokenizer.decode(generated.tokens, skip_special_tokens=True)
    return Infill(path, line, col, middle, original, prefix + middle + suffix, family.name)


def completion_problems(result: Infill) -> list[str]:
    """Why the completed file must not be written: it no longer parses, or the middle carries broken bytes.

    The parse gate's own check decides what "parses" means; a file that did not
    parse before the completion is not held against it (the user is mid-edit).
    """
    from tools.options import ReviewOptions
    from tools.parsers import check_file
    from tools.policy import Policies

    problems = []
    if bad := sorted(
        {
            f"U+{ord(c):04X}"
            for c in result.middle
            if c == "\ufffd" or (ord(c) < 32 and c not in "\t\n\r") or 0x7F <= ord(c) <= 0x9F
        }
    ):
        problems.append(f"the completion contains control or replacement characters ({', '.join(bad)})")
    options, policies = ReviewOptions(), Policies()
    name = result.path.name
    before = [f for f in check_file(name, result.original, options, policies) if f.severity == "error"]
    after = [f for f in check_file(name, result.updated, options, policies) if f.severity == "error"]
    if after and not before:
        problems.extend(f.message for f in after)
    return problems
