"""The tries of an environment's build: each attempt at each date, and an attempt again without what did not build.

A recipe's attempts go from the richest (the project with every test dependency it names) to the smallest; each is
tried at the era's date, then with today's packages. A richer attempt can fail for one package of the index that
does not build here: django-auditlog's tox installs mysqlclient beside psycopg2-binary and freezegun, and
mysqlclient needs MySQL's C library, which is not here (nor a MySQL server: its tests run on SQLite by default). The
attempt failed at every date, and the smaller one after it lacked the psycopg2 its settings import, so none of its
tests could run. Where an attempt failed at its last date for packages uv said it could not build, it is tried
again at the era's date without them (uv's override whose marker never holds replaces every request for a package,
in a requirement file or a dependency's own), before the smaller attempts.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import NamedTuple

Install = tuple[str, ...]  # the arguments of one `uv pip install`
Attempt = tuple[Install, ...]  # installs run in order into one fresh environment, each over the last
MOST_LEFT_OUT = 4  # packages one attempt may leave out for not building: more, and the smaller attempt is better


class Try(NamedTuple):
    """One attempt at one date (None: today's packages), less the packages of the index it leaves out."""

    attempt: Attempt
    when: str | None
    left_out: frozenset[str] = frozenset()


def again_without(tries: list[Try], number: int, unbuilt: frozenset[str], era: str | None) -> Try | None:
    """What to try after ``tries[number - 1]`` failed: where it was its attempt's last date, the attempt again at the
    era's date without the packages of the index uv could not build in any of its tries (``unbuilt``); else None."""
    attempt, _, left_out = tries[number - 1]
    last = number == len(tries) or tries[number].attempt is not attempt
    more = unbuilt - left_out
    return Try(attempt, era, left_out | more) if last and more and len(left_out) < MOST_LEFT_OUT else None


def left_out_by(home: Path, left_out: frozenset[str]) -> list[str]:
    """uv's options that leave ``left_out`` out of an install wherever it is asked for: an overrides file, written in
    the environment's ``home``."""
    if not left_out:
        return []
    overrides = home / "left-out.txt"
    overrides.write_text("".join(f'{name} ; sys_platform == "never"\n' for name in sorted(left_out)), encoding="utf-8")
    return ["--overrides", str(overrides)]


def said_without(left_out: frozenset[str]) -> str:
    """``, without mysqlclient, which did not build``: what a try leaves out, for its progress and log lines."""
    return f", without {', '.join(sorted(left_out))}, which did not build" if left_out else ""


def build_leftovers_removed(source: Path, tree: Path) -> None:
    """Remove the ``build/`` an earlier try's build left in the copy ``source``, where the ``tree`` has none: uv
    stopped django-silk's wheel half-built when mysqlclient failed beside it, and every later attempt failed on what
    was left ("File exists: 'build/bdist.linux-x86_64/wheel/django_silk-5.5.2.dist-info'")."""
    if not (tree / "build").exists():
        shutil.rmtree(source / "build", ignore_errors=True)
