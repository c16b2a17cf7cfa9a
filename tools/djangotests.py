"""The settings module a Django project's own test runner uses, so that pytest runs its tests the same way.

A Django app's tests are ``django.test.TestCase`` classes that its developers run with Django's runner (``python
runtests.py``, ``python -m django test --settings=tests.settings``), which configures Django first. pytest alone
collects the same classes and every one fails for want of settings, on the base too: django-filter's reviews ran
its tests and judged nothing. pytest-django runs them as pytest tests once it knows the settings module, so a
built environment gets pytest-django beside pytest (``tools.environments``), and each pytest run names the module
that the project's commands, or the scripts they run, set (``DJANGO_SETTINGS_MODULE``, ``--settings``) and that its
tree holds. A project that configures Django for pytest itself (pytest-django's setting in its pytest
configuration, or a conftest.py that sets or configures it) is left as it is.
"""

from __future__ import annotations

import re
from pathlib import Path

from core.pymodules import SOURCE_ROOTS
from tools.commandfiles import command_lines
from tools.gate import text_in
from tools.pytestconfig import read_pytest_config

SETTINGS_VARIABLE = "DJANGO_SETTINGS_MODULE"
_FLAG = re.compile(r"--settings[=\s]+[\"']?([A-Za-z_][\w.]*)")
_ASSIGNED = re.compile(r"DJANGO_SETTINGS_MODULE[\"']?\s*[,=:]\s*[\"']?([A-Za-z_][\w.]*)")
_SCRIPT = re.compile(r"[\w./-]+\.py\b")
_CONFIGURES = ("DJANGO_SETTINGS_MODULE", "settings.configure")


def settings_module(tree: Path) -> str | None:
    """The dotted settings module Django's runner uses for ``tree``'s tests, where pytest is not told one."""
    if _configured_for_pytest(tree):
        return None
    for line in command_lines(tree):
        named = [*_FLAG.findall(line), *_ASSIGNED.findall(line)]
        for script in _SCRIPT.findall(line):
            if not script.startswith("/") and ".." not in script:  # a file of the tree, never beside it
                named += _ASSIGNED.findall(text_in(tree, script.removeprefix("./")) or "")
        if found := next((module for module in named if _in_tree(tree, module)), None):
            return found
    return None


def _configured_for_pytest(tree: Path) -> bool:
    config = read_pytest_config(tree)
    keys = {key.lower() for key in config.values}  # an ini file's keys are read lower-cased
    if SETTINGS_VARIABLE.lower() in keys or any(word.startswith("--ds") for word in config.words("addopts")):
        return True
    conftests = [tree / "conftest.py", *tree.glob("*/conftest.py"), *tree.glob("*/*/conftest.py")]
    return any(word in (text_in(tree, str(p.relative_to(tree))) or "") for p in conftests for word in _CONFIGURES)


def _in_tree(tree: Path, module: str) -> bool:
    relative = module.replace(".", "/")
    return any(
        (tree / base / f"{relative}.py").is_file() or (tree / base / relative / "__init__.py").is_file()
        for base in ("", *SOURCE_ROOTS)
    )
