"""A sympy-style instance built in tmp_path: bare test names, and the repository's own ``bin/test`` runner.

The repository is named ``sympy/sympy`` at version ``1.1`` so the harness
package's spec for it applies (Python 3.9, ``bin/test -C --verbose`` over the
test files the test patch touches, the sympy log parser). It is a small real
project with real git history, not sympy: ``gcd`` returns a negative result for
a negative argument, the fix takes the absolute value, and the test patch adds
the FAIL_TO_PASS test. ``bin/test`` imports the package as installed, so a
resolved verdict also proves that the tree under test was installed.
"""

from __future__ import annotations

import json
from pathlib import Path

from evalkit import Dataset, base_repo, diff_for, published

SETUP = (
    'from setuptools import setup\n\nsetup(name="sympy", version="1.1", '
    'packages=["sympy", "sympy.core"], install_requires=["mpmath"])\n'
)
NUMBERS = "def gcd(a, b):\n    while b:\n        a, b = b, a % b\n    return a\n"
TESTS = "from sympy import gcd\n\n\ndef test_gcd():\n    assert gcd(12, 8) == 4\n"
NEW_TEST = "\n\ndef test_gcd_negative():\n    assert gcd(12, -8) == 4\n"
# Prints what sympy's runner prints with --verbose: "<test name> ok", " F" or " E", one per line.
RUNNER = '''#!/usr/bin/env python
"""Run every test_ function of the files given; print "name ok|F|E"; exit 1 when one did not pass."""
import importlib.util
import sys

failed = False
for number, path in enumerate(a for a in sys.argv[1:] if not a.startswith("-")):
    spec = importlib.util.spec_from_file_location("tests_%d" % number, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name in sorted(n for n in vars(module) if n.startswith("test_")):
        try:
            getattr(module, name)()
            print(name + " ok")
        except AssertionError:
            print(name + " F")
            failed = True
        except Exception:
            print(name + " E")
            failed = True
sys.exit(1 if failed else 0)
'''


# A build requirement pinned to the release the spec pins (as astropy's spec writes setuptools==68.0.0 into its
# pyproject.toml): the tree under test must be built by the environment's date rules, which exempt it.
PINNED_BUILD = '[build-system]\nrequires = ["setuptools", "mpmath==1.3.0"]\nbuild-backend = "setuptools.build_meta"\n'


def build(work: Path, committed: str | None = None, pinned_build: bool = False) -> Dataset:
    """The instance in ``work``; ``committed`` (ISO date) dates its commit, and so the packages' date cap;
    ``pinned_build`` adds a pyproject.toml whose build requires the spec's pinned mpmath."""
    files = {
        "setup.py": SETUP,
        "sympy/__init__.py": "from sympy.core.numbers import gcd\n",
        "sympy/core/__init__.py": "",
        "sympy/core/numbers.py": NUMBERS,
        "sympy/core/tests/test_numbers.py": TESTS,
        "bin/test": RUNNER,
        **({"pyproject.toml": PINNED_BUILD} if pinned_build else {}),
    }
    root, base = base_repo(work, "sympy__sympy", files, when=committed, executable=("bin/test",))
    gold = diff_for(root, {"sympy/core/numbers.py": NUMBERS.replace("return a\n", "return abs(a)\n")})
    test_patch = diff_for(root, {"sympy/core/tests/test_numbers.py": TESTS + NEW_TEST})
    row = {
        "instance_id": "sympy__sympy-1",
        "repo": "sympy/sympy",
        "base_commit": base,
        "patch": gold,
        "test_patch": test_patch,
        "problem_statement": "gcd(12, -8) is -4; it should be 4",
        "FAIL_TO_PASS": json.dumps(["test_gcd_negative"]),
        "PASS_TO_PASS": json.dumps(["test_gcd"]),
        "version": "1.1",
        "environment_setup_commit": base,
        "created_at": "2024-01-01T00:00:00Z",
    }
    return published(work, {"sympy__sympy": root}, [row])
