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

Where the script names no module of the tree but makes the settings in code (django-simple-history's
``runtests.py`` calls ``settings.configure(**get_default_settings(...))`` in its ``main()``; an old
django-polymorphic's at module level) or chooses the module as it runs (django-anymail's picks the settings file
for the installed Django, sets ``DJANGO_SETTINGS_MODULE`` to it, then calls ``django.setup()``), pytest runs the
script as its command runs it, as ``__main__`` with itself alone on ``sys.argv``, up to there (``PLUGIN``, loaded
with ``-p``, before pytest-django sets Django up): stopped as soon as the settings are made or Django is to be set
up, before it runs any test. Their reviews had said "not checked": every TestCase failed on both sides for want of
settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from core.pymodules import SOURCE_ROOTS
from tools.commandfiles import command_files
from tools.gate import text_in
from tools.hatchenvs import hatch_pythonpath
from tools.pytestconfig import read_pytest_config
from tools.toxconfig import tox_changedir, tox_pythonpath

SETTINGS_VARIABLE = "DJANGO_SETTINGS_MODULE"
_FLAG = re.compile(r"--settings[=\s]+[\"']?([A-Za-z_][\w.]*)")
_ASSIGNED = re.compile(r"DJANGO_SETTINGS_MODULE[\"']?\s*[,=:]\s*[\"']?([A-Za-z_][\w.]*)")
_SCRIPT = re.compile(r"[\w./-]+\.py\b")
_CONFIGURE_CALL = "settings.configure("
_CONFIGURES = (SETTINGS_VARIABLE, _CONFIGURE_CALL)
_SETUP_CALL = "django.setup("  # a script that sets Django up has configured it just before, one way or another
SCRIPT_VARIABLE = "PATCHGATE_DJANGO_SCRIPT"  # the script PLUGIN runs, relative to pytest's rootdir
PLUGIN_NAME = "patchgate_django_configure"
# Runs under the project's own Python, pytest and Django (tried: Django 4.2 under pytest-django 4.5, Django 5.1
# under 4.9): no annotations, no f-strings.
PLUGIN = '''"""patchgate: Django's settings made as the project's runner script makes them, in code."""
import os
import runpy
import sys

import pytest


class Configured(Exception):
    """The settings are made: the script stops there, before it runs any test."""


def _stop(*args, **kwargs):
    raise Configured()


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    import django
    from django.conf import LazySettings, settings

    if settings.configured or os.environ.get("DJANGO_SETTINGS_MODULE"):
        return
    path = os.path.join(str(getattr(config, "rootpath", None) or config.rootdir), os.environ["PATCHGATE_DJANGO_SCRIPT"])
    real, setup = LazySettings.configure, django.setup

    def configure(self, *args, **kwargs):
        real(self, *args, **kwargs)
        raise Configured()

    argv, sys.argv = sys.argv, [path]
    LazySettings.configure, django.setup = configure, _stop
    sys.path.insert(0, os.path.dirname(path))
    try:
        runpy.run_path(path, run_name="__main__")
    except (Configured, SystemExit):
        pass
    finally:
        LazySettings.configure, django.setup, sys.argv = real, setup, argv
    if os.environ.get("DJANGO_SETTINGS_MODULE") and not settings.configured:
        settings.INSTALLED_APPS  # the module the script named, read now: pytest-django sets Django up from it
'''


@dataclass(frozen=True)
class DjangoSettings:
    """The settings module, and the folder of the tree (relative; "" for its root) that must be on the path for it
    to import, as it is for the script that names it."""

    module: str  # "" where ``script`` makes the settings in code
    folder: str = ""
    source: str = ""  # the command file whose command runs Django's runner with it
    script: str = ""  # the tree's script that calls ``settings.configure``, where no module is named


def settings_module(tree: Path) -> DjangoSettings | None:
    """The settings module Django's runner uses for ``tree``'s tests, where pytest is not told one."""
    if _configured_for_pytest(tree):
        return None
    # the folders tox or hatch put on the path: where a named module may be, whichever file names it
    on_path = [_relative(tree, folder) for folder in [*tox_pythonpath(tree), *hatch_pythonpath(tree)]]
    for source in command_files(tree):
        if found := _named_in(tree, source, on_path):
            return found
    return None


def _named_in(tree: Path, source: str, on_path: list[str]) -> DjangoSettings | None:
    """The first settings module a command of the command file ``source`` names, that ``tree`` holds (at the
    commands' working folder, in ``on_path`` or beside a script)."""
    at = tox_changedir(tree) if source == "tox.ini" else ""  # where the file's commands run
    for line in (text_in(tree, source) or "").splitlines():
        named = [*_FLAG.findall(line), *_ASSIGNED.findall(line)]
        # where Python looks: the runner's working folder, the folders tox or hatch put on the path, a script's folder
        folders = [at, *on_path]
        configuring = []
        for script in _SCRIPT.findall(line):
            if not script.startswith("/") and ".." not in script:  # a file of the tree, never beside it
                path = (PurePosixPath(at) / script).as_posix()
                text = text_in(tree, path) or ""
                named += _ASSIGNED.findall(text)
                folders.append(_folder_of(path))
                configuring += [path] if _CONFIGURE_CALL in text or _SETUP_CALL in text else []
        for module in named:
            for folder in folders:
                if _in_tree(tree / folder, module):
                    return DjangoSettings(module, folder, source)
        if configuring:
            return DjangoSettings("", _folder_of(configuring[0]), source, configuring[0])
    return None


def _relative(tree: Path, folder: Path) -> str:
    """``folder`` (inside ``tree``) as the tree's relative folder name."""
    return folder.relative_to(tree.resolve()).as_posix()


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
