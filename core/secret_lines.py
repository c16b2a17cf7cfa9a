"""Which lines each detect-secrets plugin reads: gitleaks-style keyword and entropy prefilters.

gitleaks gives every rule keywords and runs the rule's regex only where one of them occurs. Here the
keywords are not written by hand: they are read from the plugin's own regexes (a set of literals of which
every match must contain one, ``required_literals``), so they cannot drift from what the plugin looks for.
All plugins' keywords are found in one Aho-Corasick pass over the text; a line holding none of a plugin's
keywords cannot hold its secret, so the plugin never sees it, and a line holding one is confirmed with the
plugin's regex before detect-secrets reads it. Entropy plugins read only lines with a quoted string long
enough, and random enough, to pass their limit.

Before, every plugin's regex scanned the whole text, and most start with a character class, so they try
every position: ArtifactoryDetector, MailchimpDetector and TelegramBotTokenDetector took about a third of
a second each per 30 MB, and redacting sympy ran at 3.5 MB/s.

What a plugin needs of a line is plain data here (``FilterSpec``: its trigger patterns, keywords and
entropy limit), read from the plugins by ``core.secret_scanner`` and cached as JSON by ``core.secrets``.
So this module imports nothing of detect-secrets, and a text in which no line passes (98 % of a large
repository's files) is cleared without importing the library or compiling its plugins' regexes, which
was 0.2 s of every one-file re-index.
"""

from __future__ import annotations

import importlib
import math
import re
from collections.abc import Iterable
from functools import cached_property
from operator import methodcaller
from typing import Any

from ahocorasick_rs import AhoCorasick
from pydantic import BaseModel, ConfigDict

MAX_VARIANTS = 64  # literal sets grow as products of small character classes; past this the set is cut
MAX_CLASS = 16  # a character class of at most this many characters is spelled out
MIN_KEYWORD = 2  # shorter keywords match nearly every line: the plugin's regex then scans the whole text
# CPython's own regex parser (private modules: typeshed has no stubs for them since mypy 2.4, so they are Any)
sre: Any = importlib.import_module("re._constants")
_parser: Any = importlib.import_module("re._parser")
_CATEGORY_CHARS = {sre.CATEGORY_DIGIT: "0123456789"}
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)


class Trigger(BaseModel):
    """A regex one of whose matches a line must hold, and whether it reads the lower-cased line."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pattern: str
    flags: int
    folded: bool


class FilterSpec(BaseModel):
    """What one plugin needs of a line before it reads it: a keyword (None: every line is searched with the
    triggers), then a trigger match; for an entropy plugin, a quoted string of its ``charset`` whose Shannon
    entropy exceeds ``limit`` bits per character."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    triggers: tuple[Trigger, ...]
    keywords: tuple[tuple[str, bool], ...] | None  # (keyword, looked for in lower-cased text)
    charset: str | None = None
    limit: float | None = None

    @classmethod
    def entropic(cls, charset: str, limit: float) -> FilterSpec:
        """An entropy plugin's: every quoted string of ``charset``, overlapping ones included (a lookahead), as
        the plugin's regex reads them, long enough to pass ``limit``."""
        chars = re.escape(charset)
        shortest = _shortest(limit)
        trigger = Trigger(pattern=rf"(?=(['\"])([{chars}]{{{shortest},}})\1)", flags=re.UNICODE, folded=False)
        return cls(triggers=(trigger,), keywords=None, charset=charset, limit=limit)


class LineFilter:
    """One plugin's filter; its trigger regexes are compiled when a keyword first sends a line to them."""

    def __init__(self, spec: FilterSpec) -> None:
        self.spec = spec

    @cached_property
    def triggers(self) -> list[tuple[re.Pattern[str], bool]]:
        return [(re.compile(t.pattern, t.flags), t.folded) for t in self.spec.triggers]

    def confirms(self, line: str) -> bool:
        """Whether a trigger matches in ``line`` (for an entropy plugin: a string that could pass its limit)."""
        return any(
            self._passes(m) for t, on_folded in self.triggers for m in t.finditer(line.lower() if on_folded else line)
        )

    def _passes(self, match: re.Match[str]) -> bool:
        if self.spec.charset is None or self.spec.limit is None:
            return True
        return shannon_entropy(match.group(2), self.spec.charset) > self.spec.limit


class Prefilter:
    """Every plugin's line filter, sharing one keyword search and one quoted-string scan per text."""

    def __init__(self, specs: Iterable[FilterSpec]) -> None:
        self.filters = [LineFilter(s) for s in specs]
        self._automata: list[tuple[AhoCorasick, list[list[int]], bool]] = []
        for on_folded in (False, True):
            owners: dict[str, list[int]] = {}
            for n, f in enumerate(self.filters):
                for word, folded in f.spec.keywords or ():
                    if folded == on_folded:
                        owners.setdefault(word, []).append(n)  # a spec's keywords are a set: no repeats
            if owners:
                words = sorted(owners)
                self._automata.append((AhoCorasick(words), [owners[w] for w in words], on_folded))
        entropy = [f.spec for f in self.filters if f.spec.charset is not None]
        self._entropic = [n for n, f in enumerate(self.filters) if f.spec.charset is not None]
        # One scan finds the quoted strings every entropy plugin could want: its charsets' union, its shortest.
        charset = "".join(sorted({c for s in entropy for c in s.charset or ""}))
        shortest = min((_shortest(s.limit or 0) for s in entropy), default=1)
        self._quoted = re.compile(rf"(['\"])[{re.escape(charset)}]{{{shortest},}}\1") if entropy else None
        self._whole = [n for n, f in enumerate(self.filters) if f.spec.keywords is None and n not in self._entropic]

    def candidates(self, lines: list[str]) -> dict[int, list[int]]:
        """Line index -> the filters (by position, in order) whose plugins must read that line."""
        raw = "\n".join(lines)
        folded = raw.lower()  # the keyword plugin's keywords are looked for in lower case
        found: list[tuple[int, bool, int]] = []  # (offset, in lower-cased text, filter)
        for automaton, owners, on_folded in self._automata:
            for word, start, _ in automaton.find_matches_as_indexes(folded if on_folded else raw, overlapping=True):
                found.extend((start, on_folded, n) for n in owners[word])
        if self._quoted is not None:
            found.extend((m.start(), False, n) for m in self._quoted.finditer(raw) for n in self._entropic)
        for n in self._whole:
            for t, on_folded in self.filters[n].triggers:
                found.extend((m.start(), on_folded, n) for m in t.finditer(folded if on_folded else raw))
        # lower() keeps every newline but may change a line's length (a few non-ASCII letters)
        apart = len(folded) != len(raw)
        line_of = {False: _line_numbers(raw, (o for o, f, _ in found if not (f and apart)))}
        line_of[True] = _line_numbers(folded, (o for o, f, _ in found if f)) if apart else line_of[False]
        pairs = sorted({(line_of[f][o], n) for o, f, n in found})
        out: dict[int, list[int]] = {}
        for index, n in pairs:
            if self.filters[n].confirms(lines[index]):
                out.setdefault(index, []).append(n)
        return out


_strip_newline = methodcaller("rstrip", "\r\n")  # mapped over every line of the index: C-level calls


def lines_of(text: str) -> list[str]:
    """The lines the scanner reads: split where ``str.splitlines`` splits, without their line ends."""
    return list(map(_strip_newline, text.splitlines(keepends=True)))


def shannon_entropy(data: str, charset: str) -> float:
    """Bits per character of ``data`` counting only ``charset``'s characters: detect-secrets' own formula
    (``HighEntropyStringsPlugin.calculate_shannon_entropy``), written out so the prefilter needs no plugin.
    Its hex plugin lowers the figure for digit-only strings, so this passes a superset; the plugin decides."""
    if not data:
        return 0.0
    entropy = 0.0
    for x in charset:
        p_x = float(data.count(x)) / len(data)
        if p_x > 0:
            entropy += -p_x * math.log(p_x, 2)
    return entropy


def _shortest(limit: float) -> int:
    """A string of n characters has at most log2(n) bits per character: shorter ones cannot pass ``limit``."""
    return math.ceil(2**limit)


def _line_numbers(text: str, offsets: Iterable[int]) -> dict[int, int]:
    """Offset -> index of the line holding it, counting newlines between sorted offsets (in C, once over text)."""
    out: dict[int, int] = {}
    line = last = 0
    for offset in sorted(set(offsets)):
        line += text.count("\n", last, offset)
        out[offset] = line
        last = offset
    return out


def required_literals(pattern: re.Pattern[str]) -> set[str] | None:
    """A set of strings of which every match of ``pattern`` contains at least one; None if none is known.

    Read from the pattern's parse tree: runs of literal characters (small character classes spelled out)
    inside any part that every match must pass through (a group, a repeat of at least one, every branch of
    an alternation). Of the candidate sets the one whose shortest string is longest wins. With
    IGNORECASE the literals are lower case, to be looked for in lower-cased text.
    """
    try:
        tree = _parser.parse(pattern.pattern, pattern.flags)
    except re.error:
        return None
    found = _sequence(list(tree), bool(pattern.flags & re.IGNORECASE))
    if found is None or min(map(len, found)) < MIN_KEYWORD:
        return None
    return found


def _sequence(items: list, fold: bool) -> set[str] | None:
    best: set[str] | None = None
    run: set[str] = {""}

    def consider(candidate: set[str] | None) -> None:
        nonlocal best
        if candidate and min(map(len, candidate)) > 0 and (best is None or _better(candidate, best)):
            best = candidate

    def push(chars: set[str]) -> None:
        nonlocal run
        grown = {r + c for r in run for c in chars}  # chars may be strings: a branch of literal runs
        if len(grown) > MAX_VARIANTS:  # too many spellings: keep what the run had, start again here
            consider(run)
            grown = set(chars)
        run = grown

    for op, av in _inlined(items):
        chars = _chars(op, av, fold)
        if chars is not None:
            push(chars)
        elif op is sre.BRANCH and (spellings := _spelled(av[1], fold)) is not None:
            push(spellings)  # (?:A3T|ABIA|ACCA): each branch a literal run, so the run goes on through it
        elif op in _REPEATS and av[0] >= 1 and (inner := _single(av[2], fold)) is not None:
            push(inner)  # X{m,n}: the first X follows what came before, the last X precedes what comes next
            if av[1] != 1:
                consider(run)
                run = set(inner)
        else:
            consider(run)
            run = {""}
            consider(_part(op, av, fold))
    consider(run)
    return best


def _inlined(items: list) -> list:
    """``items`` with plain groups replaced by their contents: ``(gh[pousr])_`` reads as one literal run."""
    out = []
    for op, av in items:
        if op is sre.SUBPATTERN and not av[1] and not av[2]:
            out.extend(_inlined(list(av[3])))
        else:
            out.append((op, av))
    return out


def _part(op, av, fold: bool) -> set[str] | None:
    """The literal set a non-literal item guarantees, if any."""
    if op in _REPEATS and av[0] >= 1:
        return _sequence(list(av[2]), fold)
    if op is sre.BRANCH:
        branches = [_sequence(list(b), fold) for b in av[1]]
        if any(b is None for b in branches):
            return None
        union = set().union(*branches)  # type: ignore[arg-type]
        return union if len(union) <= MAX_VARIANTS else None
    return None


def _spelled(branches: list, fold: bool) -> set[str] | None:
    """Every spelling of an alternation whose branches are literal runs only; None if one is not."""
    out: set[str] = set()
    for branch in branches:
        spellings = {""}
        for op, av in _inlined(list(branch)):
            chars = _chars(op, av, fold)
            if chars is None:
                return None
            spellings = {s + c for s in spellings for c in chars}
        out |= spellings
        if len(out) > MAX_VARIANTS:
            return None
    return out


def _single(sub, fold: bool) -> set[str] | None:
    """The characters a one-item pattern (the body of ``X{m,n}``) matches, if it is one small class."""
    items = list(sub)
    return _chars(items[0][0], items[0][1], fold) if len(items) == 1 else None


def _chars(op, av, fold: bool) -> set[str] | None:
    """The characters one item matches, if it is a literal or a small class; None otherwise."""
    if op is sre.LITERAL:
        chars = {chr(av)}
    elif op is sre.IN:
        chars = set()
        for kind, value in av:
            if kind is sre.LITERAL:
                chars.add(chr(value))
            elif kind is sre.RANGE and value[1] - value[0] < MAX_CLASS:
                chars.update(map(chr, range(value[0], value[1] + 1)))
            elif kind is sre.CATEGORY and value in _CATEGORY_CHARS:
                chars.update(_CATEGORY_CHARS[value])
            else:
                return None
    else:
        return None
    if fold:
        chars = {c.lower() for c in chars}
    return chars if len(chars) <= MAX_CLASS and "\n" not in chars else None


def _better(a: set[str], b: set[str]) -> bool:
    """Whether keyword set ``a`` selects lines better than ``b``: a longer shortest keyword, then fewer."""
    return (min(map(len, a)), -len(a)) > (min(map(len, b)), -len(b))
