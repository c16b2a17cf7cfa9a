"""What an issue names: paths, modules, stack frames, identifiers and tests.

People point at code in a few recognisable ways; each is a strong hint that
bag-of-words retrieval alone under-weights. Extraction is purely lexical
(no repository knowledge); ``rank`` matches the names against the index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from retrieval.lexical import STOPWORDS

_EXT = r"(?:py|pyi|js|jsx|ts|tsx|go|rs|java|c|h|cpp|rb|toml|ya?ml|json|cfg|ini|md|rst)"
_PATH = re.compile(rf"(?<![\w/.-])((?:[\w.-]+/)*[\w.-]+\.{_EXT})\b")
_FRAME = re.compile(r'File "([^"]+)", line (\d+), in ([\w<>]+)')
_DOTTED = re.compile(r"\b([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)\b")
_CODE = re.compile(r"```.*?```|`[^`\n]+`", re.S)
_IDENT = re.compile(r"\b[A-Za-z_]\w*\b")
_CALL = re.compile(r"\b([A-Za-z_]\w*)\s*\(")
_TEST = re.compile(r"\b(test_\w+)")
# What a program printed, quoted in the issue: an exception or warning message, or a quoted sentence.
_MESSAGE = re.compile(r"^[ \t>]*(?:[\w.]*(?:Error|Exception|Warning|Exit)\w*|ERROR|WARNING|CRITICAL):[ \t]*(.+)$", re.M)
_QUOTED = re.compile(r'"([^"\n]{12,200})"|(?<!\w)\'([^\'\n]{12,200})\'(?!\w)|`([^`\n]{12,200})`')  # not "it's"
# The interpreter's own messages: a file that happens to contain one is not where the issue points.
_BUILTIN = re.compile(
    r"object has no attribute|object is not (?:subscriptable|callable|iterable)|argument of type|"
    r"object of type|argument must be|unsupported operand|unsupported format string|positional argument|"
    r"keyword argument|is not defined|invalid literal for|index out of range|No module named|"
    r"cannot import name|division by zero|maximum recursion depth|character maps to"
)
_COMMAND = re.compile(
    r"^\s*(?:\$|>>>|from |import |pip |python|git |conda |cd )|;"
)  # a command or a statement, not a message
_FORMATTED = re.compile(r"[\d{}%<>\"'`\[\]()=|]")  # where a program's message holds values, not its own words
PHRASE_WORDS = 6  # the first words of a quoted message: long enough to be specific, short enough to be verbatim


@dataclass
class Mentions:
    """Names an issue uses, by kind. Identifiers map to their strength (code > call > shape)."""

    paths: list[str] = field(default_factory=list)
    frames: list[tuple[str, int, str]] = field(default_factory=list)
    modules: list[str] = field(default_factory=list)
    identifiers: dict[str, float] = field(default_factory=dict)
    tests: list[str] = field(default_factory=list)
    code: list[str] = field(default_factory=list)  # written as code: backticks, code blocks, ``Foo.bar``
    phrases: list[str] = field(default_factory=list)  # words a program printed, as they would be in its source


def extract(issue: str) -> Mentions:
    """Everything ``issue`` names that could be a place in a repository."""
    m = Mentions()
    m.frames = [(path, int(line), func) for path, line, func in _FRAME.findall(issue)]
    m.paths = _unique(p for p in _PATH.findall(issue) if not p.startswith("."))
    m.modules = _unique(d for d in _DOTTED.findall(issue) if not _PATH.fullmatch(d) and not _looks_like_number(d))
    code = " ".join(_CODE.findall(issue))
    _add(m.identifiers, _IDENT.findall(code), 1.0)
    _add(m.identifiers, _CALL.findall(issue), 0.8)
    for dotted in m.modules:
        _add(m.identifiers, dotted.split("."), 0.6)
    _add(m.identifiers, (w for w in _IDENT.findall(issue) if _is_code_shaped(w)), 0.6)
    for depth, (_, _, func) in enumerate(reversed(m.frames)):  # the innermost frame is where it broke
        _add(m.identifiers, [func], 1.0 / (1 + depth))
    m.tests = _unique(_TEST.findall(issue))
    formatted: dict[str, float] = {}
    _add(formatted, _IDENT.findall(code), 1.0)
    _add(formatted, (part for dotted in m.modules for part in dotted.split(".")), 1.0)
    m.code = list(formatted)
    m.phrases = _phrases(issue)
    return m


def _phrases(issue: str) -> list[str]:
    """Literal text of the messages and quoted sentences in ``issue``, as it would appear in the source.

    A message is split where values were formatted into it (numbers, quotes, brackets) and its longest
    literal piece of at least three words kept, cut to its first ``PHRASE_WORDS`` words: "Iterations
    exceeded maximum. Check that func" of "Iterations exceeded maximum. Check that func(x0) ...".
    """
    found = [m.group(1) for m in _MESSAGE.finditer(issue)]
    found += [next(g for g in m.groups() if g) for m in _QUOTED.finditer(issue)]
    out = []
    for text in found:
        if _COMMAND.search(text):
            continue
        pieces = [" ".join(p.split()) for p in _FORMATTED.split(text)]
        best = max(pieces, key=lambda p: len(p.split()), default="")
        words = best.strip(" :,;.").split()[:PHRASE_WORDS]
        if len(words) >= 3 and len(" ".join(words)) >= 12 and not _BUILTIN.search(text):
            out.append(" ".join(words).rstrip(":,;"))
    return _unique(out)


def _add(target: dict[str, float], words, strength: float) -> None:
    for w in words:
        if len(w) > 2 and w.lower() not in STOPWORDS and not w.isdigit():
            target[w] = max(target.get(w, 0.0), strength)


def _is_code_shaped(word: str) -> bool:
    """snake_case, CamelCase with an inner capital, or dunder names: not ordinary English."""
    inner_cap = any(c.isupper() for c in word[1:]) and any(c.islower() for c in word)
    return "_" in word.strip("_") or word.startswith("__") or inner_cap


def _looks_like_number(text: str) -> bool:
    return all(part.isdigit() for part in text.split("."))


def _unique(items) -> list[str]:
    return list(dict.fromkeys(items))
