"""A Django app's tests, which its developers run with Django's own runner, run under pytest-django in a review.

Built with uv from the package registry (Django, pytest-django): slow.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from uv import find_uv_bin

from tests.conftest import diff_of, review_as_configured
from tests.gates.test_environments import TIMEOUT, errors, gate_of
from tools.djangotests import DjangoSettings, settings_module

TITLES = 'def title(text):\n    """Each word capitalized."""\n    return text.title()\n'
APP = {
    "pyproject.toml": '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n\n'
    '[project]\nname = "shelf"\nversion = "0.1"\ndependencies = ["django"]\n\n'
    '[tool.setuptools]\npackages = ["shelf"]\n\n[tool.patchgate.tests]\nenv = "build"\n',
    # as django-taggit's tox runs its tests
    "tox.ini": "[testenv]\ncommands = python -m django test --settings=tests.settings {posargs}\n",
    "shelf/__init__.py": "",
    "shelf/titles.py": TITLES,
    "tests/__init__.py": "",
    "tests/settings.py": "SECRET_KEY = 'tests'\nINSTALLED_APPS = ['shelf']\nSHELF_SIZE = 3\n"
    "DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': ':memory:'}}\n",
    "tests/test_titles.py": "from django.conf import settings\nfrom django.test import SimpleTestCase\n\n"
    "from shelf.titles import title\n\n\nclass TitleTests(SimpleTestCase):\n    def test_title(self):\n"
    "        self.assertEqual(title('a tale'), 'A Tale')\n\n    def test_size(self):\n"
    "        self.assertEqual(settings.SHELF_SIZE, 3)\n",
}

# as django-mptt lays its tests out: a manage.py, its settings and a test app in tests/, each imported from there
BESIDE = {
    **{name: text for name, text in APP.items() if not name.startswith("tests/")},
    "tox.ini": "[testenv]\ncommands = python -Wd {envbindir}/coverage run tests/manage.py test -v2 {posargs:bookapp}\n",
    "tests/__init__.py": "",
    "tests/manage.py": "import os\nimport sys\n\nif __name__ == '__main__':\n"
    "    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'settings')\n"
    "    from django.core.management import execute_from_command_line\n\n    execute_from_command_line(sys.argv)\n",
    "tests/settings.py": APP["tests/settings.py"].replace("['shelf']", "['shelf', 'bookapp']"),
    "tests/bookapp/__init__.py": "",
    "tests/bookapp/tests.py": APP["tests/test_titles.py"].replace(
        "from shelf.titles import title\n", "from bookapp import __name__ as app\nfrom shelf.titles import title\n"
    ),
}

# as django-simple-history's runtests.py makes its settings: in code, in the function its __main__ block calls
RUNNER = {
    **{name: text for name, text in APP.items() if name != "tests/settings.py"},
    "tox.ini": "[testenv]\ncommands = python runtests.py {posargs}\n",
    "runtests.py": "import sys\n\nimport django\nfrom django.conf import settings\n"
    "from django.test.runner import DiscoverRunner\n\nSETTINGS = dict(\n    SECRET_KEY='tests',\n"
    "    INSTALLED_APPS=['shelf'],\n    SHELF_SIZE=3,\n"
    "    DATABASES={'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': ':memory:'}},\n)\n\n\n"
    "def main(database='sqlite3'):\n    if not settings.configured:\n        settings.configure(**SETTINGS)\n"
    "    django.setup()\n    sys.exit(DiscoverRunner().run_tests(['tests']))\n\n\n"
    "if __name__ == '__main__':\n    main()\n",
}
# as django-anymail's runtests.py chooses its settings module as it runs, then sets Django up
CHOSEN = {
    **APP,
    "tox.ini": "[testenv]\ncommands = python runtests.py {posargs}\n",
    "runtests.py": "import os\nimport sys\n\nimport django\nfrom django.conf import settings\n"
    "from django.test.utils import get_runner\n\n\ndef main(labels=None):\n"
    "    os.environ['DJANGO_SETTINGS_MODULE'] = '.'.join(['tests', 'settings'])\n    django.setup()\n"
    "    sys.exit(get_runner(settings)().run_tests(labels or ['tests']))\n\n\n"
    "if __name__ == '__main__':\n    main()\n",
}
# as django-otp's hatch environment runs its tests: the settings module in the folder it puts on PYTHONPATH
HATCH = {
    **{name: text for name, text in BESIDE.items() if name not in ("tox.ini", "tests/manage.py")},
    "pyproject.toml": APP["pyproject.toml"] + '\n[tool.hatch.envs.default.env-vars]\nPYTHONPATH = "tests"\n'
    'DJANGO_SETTINGS_MODULE = "settings"\n\n[tool.hatch.envs.default.scripts]\ntest = "python -m django test"\n',
}
LAYOUTS = {
    "tests beside the tree": APP,
    "tests beside their manage.py": BESIDE,
    "settings made by its runner": RUNNER,
    "settings chosen by its runner": CHOSEN,
    "settings named by hatch's environment": HATCH,
}


def test_the_settings_module_is_the_one_the_projects_runner_uses(make_repo) -> None:
    assert settings_module(make_repo(APP)) == DjangoSettings("tests.settings", "", "tox.ini")
    # django-filter's runtests.py, which its tox runs with arguments of its own
    script = "import os\n\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'tests.settings')\n"
    tox = "[testenv]\ncommands = coverage run ./runtests.py --testrunner xmlrunner.XMLTestRunner {posargs}\n"
    found = settings_module(make_repo({**APP, "tox.ini": tox, "runtests.py": script}, name="script"))
    assert found == DjangoSettings("tests.settings", "", "tox.ini")
    # django-mptt's tests/manage.py: its module is beside it, where Python looks first for the script
    assert settings_module(make_repo(BESIDE, name="beside")) == DjangoSettings("settings", "tests", "tox.ini")
    # django-auditlog's tox runs `./manage.py test` in the folder its changedir names
    moved = "[testenv]\nchangedir = {toxinidir}/tests\ncommands = coverage run ./manage.py test\n"
    found = settings_module(make_repo({**BESIDE, "tox.ini": moved}, name="changedir"))
    assert found == DjangoSettings("settings", "tests", "tox.ini")
    # configured for pytest by the project itself, or naming a module it does not have: left as it is
    pytest_ini = "[pytest]\nDJANGO_SETTINGS_MODULE = tests.settings\n"
    assert settings_module(make_repo({**APP, "pytest.ini": pytest_ini}, name="own")) is None
    elsewhere = APP["tox.ini"].replace("tests.settings", "tests.production")
    assert settings_module(make_repo({**APP, "tox.ini": elsewhere}, name="missing")) is None
    # django-otp's hatch environment: the module in the folder it puts on PYTHONPATH
    assert settings_module(make_repo(HATCH, name="hatch")) == DjangoSettings("settings", "tests", "pyproject.toml")
    # no module named, but the script the command runs makes the settings in code
    assert settings_module(make_repo(RUNNER, name="runner")) == DjangoSettings("", "", "tox.ini", "runtests.py")
    # or chooses the module as it runs, then sets Django up
    assert settings_module(make_repo(CHOSEN, name="chosen")) == DjangoSettings("", "", "tox.ini", "runtests.py")


@pytest.fixture(scope="module")
def layouts_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for the layouts' reviews: an app laid out another way installs the same packages, and a user's
    second project reuses what the first one's build downloaded and built, as here."""
    return tmp_path_factory.mktemp("django-layouts-cache")


@pytest.mark.slow
@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_django_apps_tests_judge_its_changes(make_repo, layouts_cache: Path, monkeypatch, layout: str) -> None:
    """django-filter's tests are Django TestCases that its runtests.py configures Django for: pytest alone failed
    every one, here and on the base, and each review said its tests judged nothing. django-mptt's and
    django-reversion's tox run ``tests/manage.py test``, whose settings module (``settings``,
    ``test_project.settings``) is beside the script, as its test app is: their tests could not be collected.
    django-simple-history's ``runtests.py`` names no module: its ``main()`` makes the settings in code, and every
    TestCase failed on both sides for want of them; django-anymail's chooses its settings module as it runs.
    django-otp's hatch environment names its settings module, in the folder it puts on ``PYTHONPATH``: no module of
    the app imported."""
    monkeypatch.setenv("PATCHGATE_CACHE", str(layouts_cache))
    root = make_repo(LAYOUTS[layout])
    # say no: upper case where each word was capitalized
    broken = diff_of(root, {"shelf/titles.py": TITLES.replace("text.title()", "text.upper()")})
    report = gate_of(review_as_configured(root, broken, tests=TIMEOUT))
    assert not report.passed and "test_title" in errors(report)["tests.new-failure"], report
    # say yes: a docstring, both tests run and pass
    reworded = diff_of(root, {"shelf/titles.py": TITLES.replace("Each word", "Every word")})
    report = gate_of(review_as_configured(root, reworded, tests=TIMEOUT))
    assert report.passed and not report.skipped, report
    assert report.checked.startswith("2 test(s) ran from 1 file(s) in the built environment"), report


@pytest.mark.slow
def test_your_venv_without_pytest_django_is_passed_over_for_one_that_runs_the_django_tests(
    make_repo, tmp_path, monkeypatch
) -> None:
    """Your .venv has Django and pytest, and the app's tests run under Django's runner: pytest there fails every
    TestCase on both sides (no settings), so the environment is built, as for a .venv without pytest."""
    monkeypatch.setenv("PATCHGATE_CACHE", str(tmp_path / "cache"))
    root = make_repo(
        {**APP, "pyproject.toml": APP["pyproject.toml"].replace('\n[tool.patchgate.tests]\nenv = "build"\n', "")}
    )
    uv = find_uv_bin()
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(root / ".venv")], check=True)
    subprocess.run(
        [uv, "pip", "install", "-q", "--python", str(root / ".venv/bin/python"), "django", "pytest"], check=True
    )
    broken = diff_of(root, {"shelf/titles.py": TITLES.replace("text.title()", "text.upper()")})
    report = gate_of(review_as_configured(root, broken, tests=TIMEOUT))
    assert not report.passed and "test_title" in errors(report)["tests.new-failure"], report
    assert "in the built environment" in report.checked, report
