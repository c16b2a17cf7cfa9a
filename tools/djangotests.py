"""The settings module a Django project's own test runner uses, so that pytest runs its tests the same way.

A Django app's tests are ``django.test.TestCase`` classes that its developers run with Django's runner (``python
runtests.py``, ``python -m django test --settings=tests.settings``), which configures Django first. pytest alone
collects the same classes and every one fails for want of settings, on the base too: django-filter's reviews ran
its tests and judged nothing. pytest-django runs them as pytest tests once it knows the settings module, so a
built environment gets pytest-django beside pytest (``tools.environments``), and each pytest run names the module
that the project's commands, or the scripts they run, set (``DJANGO_SETTINGS_MODULE``, ``--settings``) and that its
tree holds: at its root, or beside the script, which Python puts first on the path (django-mptt's ``tests/manage.py``
sets ``settings``, which is ``tests/settings.py``; its apps sit beside it too), and then so does each pytest run.
A project that configures Django for pytest itself (pytest-django's setting in its pytest
configuration, or a conftest.py that sets or configures it) is left as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from core.pymodules import SOURCE_ROOTS
from tools.commandfiles import command_files
from tools.gate import text_in
from tools.pytestconfig import read_pytest_config
from tools.toxconfig import tox_changedir

SETTINGS_VARIABLE = "DJANGO_SETTINGS_MODULE"
_FLAG = re.compile(r"--settings[=\s]+[\"']?([A-Za-z_][\w.]*)")
_ASSIGNED = re.compile(r"DJANGO_SETTINGS_MODULE[\"']?\s*[,=:]\s*[\"']?([A-Za-z_][\w.]*)")
_SCRIPT = re.compile(r"[\w./-]+\.py\b")
_CONFIGURES = ("DJANGO_SETTINGS_MODULE", "settings.configure")


@dataclass(frozen=True)
class DjangoSettings:
    """The settings module, and the folder of the tree (relative; "" for its root) that must be on the path for it
    to import, as it is for the script that names it."""

    module: str
    folder: str = ""
    source: str = ""  # the command file whose command runs Django's runner with it


def settings_module(tree: Path) -> DjangoSettings | None:
    """The settings module Django's runner uses for ``tree``'s tests, where pytest is not told one."""
    if _configured_for_pytest(tree):
        return None
    for source in command_files(tree):
        if found := _named_in(tree, source):
            return found
    return None


def _named_in(tree: Path, source: str) -> DjangoSettings | None:
    """The first settings module a command of the command file ``source`` names, that ``tree`` holds."""
    at = tox_changedir(tree) if source == "tox.ini" else ""  # where the file's commands run
    for line in (text_in(tree, source) or "").splitlines():
        named = [*_FLAG.findall(line), *_ASSIGNED.findall(line)]
        folders = [at]  # where Python looks first: the runner's working folder, or a script's folder
        for script in _SCRIPT.findall(line):
            if not script.startswith("/") and ".." not in script:  # a file of the tree, never beside it
                path = (PurePosixPath(at) / script).as_posix()
                named += _ASSIGNED.findall(text_in(tree, path) or "")
                folders.append(_folder_of(path))
        for module in named:
            for folder in folders:
                if _in_tree(tree / folder, module):
                    return DjangoSettings(module, folder, source)
    return None


def _folder_of(script: str) -> str:
    """The folder of the tree that holds ``script`` ("" for its root)."""
    parent = PurePosixPath(script).parent.as_posix()
    return "" if parent == "." else parent


def _configured_for_pytest(tree: Path) -> bool:
    config = read_pytest_config(tree)
    keys = {key.lower() for key in config.values}  # an ini file's keys are read lower-cased
    if SETTINGS_VARIABLE.lower() in keys or any(word.startswith("--ds") for word in config.words("addopts")):
        return True
    conftests = [tree / "conftest.py", *tree.glob("*/conftest.py"), *tree.glob("*/*/conftest.py")]
    return any(word in (text_in(tree, str(p.relative_to(tree))) or "") for p in conftests for word in _CONFIGURES)


def _in_tree(folder: Path, module: str) -> bool:
    relative = module.replace(".", "/")
    return any(
        (folder / base / f"{relative}.py").is_file() or (folder / base / relative / "__init__.py").is_file()
        for base in ("", *SOURCE_ROOTS)
    )
