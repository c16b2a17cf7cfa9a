"""review() on real repositories: each gate passes a clean change and catches its planted defect."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import diff_of, git, review_as_configured, write_files
from tools.findings import ReviewResult
from tools.gates import ReviewOptions, review
from tools.patch import apply_patch

NO_TESTS = ReviewOptions(tests="none")
BASE = {
    "app/db.py": "def find(cursor, name):\n    return cursor.execute('SELECT 1 WHERE n = ?', (name,))\n",
    "app/calc.py": "def add(a, b):\n    return a + b\n",
    "tests/test_calc.py": "from app.calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n\n\n"
    "def test_add_zero():\n    assert add(0, 0) == 0\n",
    "config.json": '{"a": 1}\n',
    # empty modules the planted defects fill in (a patch that only adds code files is its own rule)
    "app/run.py": "",
    "app/load.py": "",
    "app/ev.py": "",
    ".github/workflows/ci.yml": "on: push\n",
}


def gate(result: ReviewResult, name: str):
    return next(g for g in result.gates if g.name == name)


def rules(result: ReviewResult, name: str) -> set[str]:
    return {f.rule for f in gate(result, name).findings if f.severity == "error"}


@pytest.fixture
def repo(make_repo) -> Path:
    return make_repo(BASE)


def test_clean_change_passes_every_gate_and_leaves_no_worktree(repo: Path) -> None:
    diff = diff_of(repo, {"app/calc.py": "def add(a, b):\n    return b + a\n"})
    result = review(repo, diff, options=NO_TESTS)
    assert result.passed, result
    assert [g.name for g in result.gates] == ["apply", "parse", "tests", "scope", "security", "license"]
    assert git(repo, "worktree", "list").count("\n") == 1  # only the main tree is left
    assert (repo / "app/calc.py").read_text() == BASE["app/calc.py"]  # the user's tree is untouched


@pytest.mark.parametrize(
    ("files", "gate_name", "rule"),
    [
        ({"app/calc.py": "def add(a, b:\n    return a + b\n"}, "parse", "parse.syntax"),
        ({"config.json": '{"a": 1,,}\n'}, "parse", "parse.json"),
        (
            {
                "tests/test_calc.py": BASE["tests/test_calc.py"].replace(
                    "    assert add(1, 2) == 3\n", "    add(1, 2)\n"
                )
            },
            "scope",
            "scope.removed-assertion",
        ),
        (
            {
                "tests/test_calc.py": BASE["tests/test_calc.py"].replace(
                    "def test_add():", "@pytest.mark.skip\ndef test_add():"
                )
            },
            "scope",
            "scope.added-skip",
        ),
        ({".github/workflows/ci.yml": "on: [push, pull_request]\n"}, "scope", "scope.protected-path"),
        (
            {"app/calc.py": BASE["app/calc.py"] + 'TOKEN = "ghp_' + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8" + '"\n'},
            "security",
            "security.secret.github-token",
        ),
        (
            {"app/db.py": "def find(cursor, name):\n    return cursor.execute(f\"SELECT 1 WHERE n = '{name}'\")\n"},
            "security",
            "security.sql-injection",
        ),
        (
            {"app/run.py": "import subprocess\n\ndef run(p):\n    subprocess.run('ls %s' % p, shell=True)\n"},
            "security",
            "security.shell-injection",
        ),
        (
            {"app/load.py": "import yaml\n\ndef load(t):\n    return yaml.load(t)\n"},
            "security",
            "security.yaml-unsafe-load",
        ),
        (
            {"app/load.py": "import pickle\n\ndef load(b):\n    return pickle.loads(b)\n"},
            "security",
            "security.pickle-loads",
        ),
        ({"app/ev.py": "def calc(expr):\n    return eval(expr)\n"}, "security", "security.eval-input"),
    ],
)
def test_planted_defect_is_caught_by_its_gate(repo: Path, files: dict[str, str], gate_name: str, rule: str) -> None:
    result = review(repo, diff_of(repo, files), options=NO_TESTS)
    assert not result.passed
    assert rule in rules(result, gate_name)
    others = [g.name for g in result.failed() if g.name != gate_name]
    assert others == []  # the defect is blamed on the right gate only


@pytest.mark.parametrize("path", ["pyrightconfig.json", "web/tsconfig.json", ".vscode/settings.json", "ui.jsonc"])
def test_json_its_tools_read_with_comments_and_trailing_commas_parses_and_breaks(repo: Path, path: str) -> None:
    """pyright, TypeScript and VS Code read their JSON files with comments and trailing commas: pyfiglet's
    pyrightconfig.json ends its last list with a comma, as pyright allows, and its commit was blocked. Such a file
    that does break is still refused; a plain .json is still JSON (``config.json`` above)."""
    jsonc = '{\n  // checked strictly\n  "strict": ["pkg"],\n}\n'
    assert review(repo, diff_of(repo, {path: jsonc}), options=NO_TESTS).passed
    broken = review(repo, diff_of(repo, {path: jsonc.replace("]", "")}), options=NO_TESTS)
    assert rules(broken, "parse") == {"parse.json"}, broken


def test_deleted_test_function_and_file_weaken_tests(repo: Path) -> None:
    without_zero = BASE["tests/test_calc.py"].split("\n\n\ndef test_add_zero")[0] + "\n"
    result = review(repo, diff_of(repo, {"tests/test_calc.py": without_zero}), options=NO_TESTS)
    assert "scope.deleted-test" in rules(result, "scope")
    result = review(repo, diff_of(repo, {}, delete=("tests/test_calc.py",)), options=NO_TESTS)
    assert "scope.deleted-test-file" in rules(result, "scope")


def test_security_looks_only_at_added_lines(make_repo) -> None:
    risky = "import yaml\n\ndef load(t):\n    return yaml.load(t)\n"
    root = make_repo({"app/load.py": risky})
    result = review(root, diff_of(root, {"app/load.py": risky + "\n\ndef other():\n    return 1\n"}), options=NO_TESTS)
    assert gate(result, "security").passed


def test_a_moved_test_key_and_a_pickle_round_trip_are_not_new_risks(make_repo) -> None:
    """itsdangerous moved its test signing key from a class's tests into a new function, on a reshaped line;
    structlog tests that a logger survives pickle.loads(pickle.dumps(...)). Neither adds a secret or unpickles
    untrusted data."""
    key = '        signer = Signer(secret_key="Zk8Qm2vT7xRpL4nW9sYc")  # fixed test key\n'  # patchgate: allow
    old = "class TestSigner:\n    def test_sign(self):\n" + key + "        assert signer\n"
    root = make_repo({"tests/test_sign.py": "from app import Signer\n\n\n" + old})
    moved = (
        "def test_sign():\n" + key.replace("        ", "    ", 1).replace("(", "(salt='s', ") + "    assert signer\n"
    )
    pickled = "\n\ndef test_pickles():\n    assert pickle.loads(pickle.dumps(Signer('k'), 4))\n"
    diff = diff_of(root, {"tests/test_sign.py": "import pickle\n\nfrom app import Signer\n\n\n" + moved + pickled})
    assert gate(review(root, diff, options=NO_TESTS), "security").findings == []
    fresh = moved.replace("Zk8Qm2vT7xRpL4nW9sYc", "Hq3Vn8Lw2Xc7Rt5Ym9Kp")
    leaked = diff_of(root, {"tests/test_sign.py": "from app import Signer\n\n\n" + old + "\n\n" + fresh})
    assert not gate(review(root, leaked, options=NO_TESTS), "security").passed
    untrusted = "import pickle\n\n\ndef load(blob):\n    return pickle.loads(pickle.dumps(blob) + blob)\n"
    assert not gate(review(root, diff_of(root, {"app/load.py": untrusted}), options=NO_TESTS), "security").passed


def test_a_value_the_file_already_holds_is_not_a_new_secret_and_a_new_one_is(make_repo) -> None:
    """validators' doctest repeats, as the expected output, a Bitcoin address its docstring already showed on the
    line above: a high-entropy string, "added" by the diff but not new to the file. A value the file did not
    hold still fails."""
    shown = "        >>> btc_address('3Cwgr2g7vsi1bXDUkpEnVoRLA9w4FZfC69')\n"  # patchgate: allow
    doc = f'def btc_address(value):\n    """Check it.\n\n    Examples:\n{shown}        True\n    """\n'
    root = make_repo({"app/btc.py": doc})
    repeated = doc.replace("        True\n", "        True\n        >>> btc_address.last\n" + shown.replace(">>> ", ""))
    assert gate(review(root, diff_of(root, {"app/btc.py": repeated}), options=NO_TESTS), "security").passed
    other = "        'Zq8Vn2Lw7Xc3Rt5Ym9KpHq4Bt6Wd1Fs8Gj'\n"  # patchgate: allow
    fresh = doc.replace("        True\n", "        True\n" + other)
    assert not gate(review(root, diff_of(root, {"app/btc.py": fresh}), options=NO_TESTS), "security").passed


def test_your_own_test_that_unpickles_what_it_made_warns_and_a_model_patch_or_library_code_still_fails(make_repo):
    """exceptiongroup's test unpickles the output of its own helper script, run in a subprocess: its commit was
    blocked as "pickle loads of data that may be untrusted". In a test file of a person's own commit the code rules
    are warnings (the test runs only in the sandbox); the same line in library code, or in a model's patch, and a
    secret anywhere, still fail."""
    root = make_repo({"tests/test_fmt.py": "import sys\n", "app/fmt.py": ""})
    test = (
        "import pickle\nimport subprocess\nimport sys\n\n\ndef test_unpickled():\n"
        "    done = subprocess.run([sys.executable, 'tests/dump.py'], capture_output=True)\n"
        "    assert pickle.loads(done.stdout)\n"
    )
    own = ReviewOptions(tests="none", origin="human")
    found = gate(review(root, diff_of(root, {"tests/test_fmt.py": test}), options=own), "security")
    assert found.passed and [(f.rule, f.severity) for f in found.findings] == [("security.pickle-loads", "warning")]
    library = "import pickle\n\n\ndef load(blob):\n    return pickle.loads(blob)\n"
    assert not gate(review(root, diff_of(root, {"app/fmt.py": library}), options=own), "security").passed
    assert not gate(review(root, diff_of(root, {"tests/test_fmt.py": test}), options=NO_TESTS), "security").passed
    key = test + '\nSIGNER = Signer(secret_key="Hq3Vn8Lw2Xc7Rt5Ym9Kp")\n'  # patchgate: allow
    leaked = gate(review(root, diff_of(root, {"tests/test_fmt.py": key}), options=own), "security")
    assert not leaked.passed and any(".secret." in f.rule for f in leaked.findings if f.severity == "error")


def test_a_random_looking_value_in_your_own_test_warns_and_a_model_patch_or_a_named_secret_still_fails(make_repo):
    """paramiko's test compares a host key's fingerprint with ``b"B3D522AAF9755EE8CD0EEA02B929A280"``: its commit
    was blocked as "Hex High Entropy String added". A value only the entropy plugins find (no token format, no
    secret's name) is a warning in a test file of a person's own commit; in library code, in a model's patch, or
    under a secret's name it still fails."""
    root = make_repo({"tests/test_keys.py": "import sys\n", "app/keys.py": ""})
    test = "def test_fingerprint(key):\n    fp = key.fingerprint()\n"
    test += '    assert fp == b"B3D522AAF9755EE8CD0EEA02B929A280"\n'  # patchgate: allow
    own = ReviewOptions(tests="none", origin="human")
    found = gate(review(root, diff_of(root, {"tests/test_keys.py": test}), options=own), "security")
    assert found.passed and [(f.rule, f.severity) for f in found.findings] == [
        ("security.secret.hex-high-entropy-string", "warning")
    ]
    assert not gate(review(root, diff_of(root, {"tests/test_keys.py": test}), options=NO_TESTS), "security").passed
    library = 'FINGERPRINT = b"B3D522AAF9755EE8CD0EEA02B929A280"\n'  # patchgate: allow
    assert not gate(review(root, diff_of(root, {"app/keys.py": library}), options=own), "security").passed
    named = test + '\nAPI_KEY = "B3D522AAF9755EE8CD0EEA02B929A280"\n'  # patchgate: allow
    leaked = gate(review(root, diff_of(root, {"tests/test_keys.py": named}), options=own), "security")
    assert not leaked.passed and [f.rule for f in leaked.findings if f.severity == "error"] == [
        "security.secret.secret-keyword"
    ]


def test_a_made_up_password_in_your_own_test_warns_and_a_generated_one_or_library_code_still_fails(make_repo):
    """djoser's commit backporting its tests was blocked for its test user's password: ``"testing123!"``, built
    like a password (letters, digits, a symbol) under a secret's name. A password made of words in a test file of
    a person's own commit is a warning that says what it is; a generated one there, the same words in library
    code, or in a model's patch, still fail."""
    root = make_repo({"tests/test_signup.py": "import sys\n", "app/signup.py": ""})

    def test_posting(password: str) -> str:
        return (
            "def test_register(client):\n"
            f'    done = client.post("/users/", {{"username": "ann", "password": "{password}"}})\n'
            "    assert done.status_code == 201\n"
        )

    own = ReviewOptions(tests="none", origin="human")
    test = test_posting("testing123!")  # patchgate: allow
    found = gate(review(root, diff_of(root, {"tests/test_signup.py": test}), options=own), "security")
    assert found.passed and [(f.rule, f.severity) for f in found.findings] == [
        ("security.secret.secret-keyword", "warning")
    ]
    assert "made up of words" in found.findings[0].message and "testing123" not in found.findings[0].message
    assert not gate(review(root, diff_of(root, {"tests/test_signup.py": test}), options=NO_TESTS), "security").passed
    library = 'ADMIN = {"username": "ann", "password": "testing123!"}\n'  # patchgate: allow
    assert not gate(review(root, diff_of(root, {"app/signup.py": library}), options=own), "security").passed
    generated = test_posting("Hq3Vn8Lw2Xc7Rt5Ym9Kp!")  # patchgate: allow
    leaked = gate(review(root, diff_of(root, {"tests/test_signup.py": generated}), options=own), "security")
    assert not leaked.passed and [f.rule for f in leaked.findings if f.severity == "error"] == [
        "security.secret.secret-keyword"
    ]


def test_parameterised_sql_and_safe_yaml_pass(repo: Path) -> None:
    files = {
        "app/db.py": BASE["app/db.py"] + "\n\ndef names(cursor, t):\n    import yaml\n"
        "    yaml.load(t, Loader=yaml.SafeLoader)\n    return cursor.execute('SELECT n FROM t')\n"
    }
    assert review(repo, diff_of(repo, files), options=NO_TESTS).passed


# A loader of the module's own that keeps SafeLoader's safety (state ids "on"/"off" read as strings), as a class
# and as a factory that builds it once PyYAML is imported (an optional dependency); and one that does not.
OWN_LOADERS = {
    "a subclass": "import yaml\n\n\nclass Plain(yaml.SafeLoader):\n    pass\n\n\nclass Strings(Plain):\n    pass\n\n\n"
    "def read(text):\n    return yaml.load(text, Loader=Strings)\n",
    "a factory": "def _loader(yaml):\n    class Strings(yaml.SafeLoader):\n        pass\n\n    return Strings\n\n\n"
    "def read(text):\n    import yaml\n\n    return yaml.load(text, Loader=_loader(yaml))\n",
}


@pytest.mark.parametrize("how", OWN_LOADERS)
def test_yaml_read_with_a_safe_loader_of_the_modules_own_passes(repo: Path, how: str) -> None:
    assert gate(review(repo, diff_of(repo, {"app/states.py": OWN_LOADERS[how]}), options=NO_TESTS), "security").passed
    unsafe = OWN_LOADERS[how].replace("yaml.SafeLoader", "yaml.UnsafeLoader")
    refused = gate(review(repo, diff_of(repo, {"app/states.py": unsafe}), options=NO_TESTS), "security")
    assert [f.rule for f in refused.findings if f.severity == "error"] == ["security.yaml-unsafe-load"]


def test_a_risky_call_a_person_moves_to_another_module_warns_and_a_new_one_still_fails(make_repo) -> None:
    """python-statemachine moved ``eval(action.content, {}, {})`` into a new module, as ``eval(content, {}, {})``
    behind an opt-in ``trusted=True``, and its own commit was blocked as if it added an eval of its input."""
    old = "def literal(action):\n    return eval(action.content, {}, {})\n"
    root = make_repo({"app/__init__.py": "", "app/actions.py": old, "app/other.py": ""})
    move = {"app/actions.py": "", "app/evaluators.py": "def literal(content):\n    return eval(content, {}, {})\n"}
    own = ReviewOptions(tests="none", origin="human")
    moved = gate(review(root, diff_of(root, move), options=own), "security")
    assert moved.passed and [(f.rule, f.severity) for f in moved.findings] == [("security.eval-input", "warning")]
    assert "(moved: the change removes as many)" in moved.findings[0].message
    assert not gate(review(root, diff_of(root, move), options=NO_TESTS), "security").passed  # a model's patch
    added = {"app/other.py": "def run(code):\n    return eval(code, {}, {})\n"}  # one more, none removed
    assert not gate(review(root, diff_of(root, added), options=own), "security").passed


def test_patch_that_does_not_apply_names_file_and_hunk(repo: Path) -> None:
    diff = diff_of(repo, {"app/calc.py": "def add(a, b):\n    return b + a\n"})
    (repo / "app/calc.py").write_text("def add(x, y):\n    return x + y\n")
    git(repo, "commit", "-qam", "moved on")
    result = review(repo, diff, options=NO_TESTS)
    apply = gate(result, "apply")
    assert not apply.passed
    assert apply.findings[0].path == "app/calc.py"
    assert "hunk #1" in apply.findings[0].message
    assert gate(result, "parse").skipped and not result.passed


def test_three_way_fallback_applies_a_patch_made_on_an_older_base(make_repo) -> None:
    lines = [f"v{i} = {i}\n" for i in range(1, 11)]
    root = make_repo({"m.py": "".join(lines)})
    diff = diff_of(root, {"m.py": "".join(lines).replace("v2 = 2", "v2 = 20")})
    write_files(root, {"m.py": "".join(lines).replace("v5 = 5", "v5 = 50")})  # a context line of the hunk
    git(root, "commit", "-qam", "edit inside the hunk's context")
    assert not apply_patch(root, diff, check_only=True).passed  # a plain apply fails
    result = review(root, diff, options=NO_TESTS)
    assert gate(result, "apply").passed and "3-way" in gate(result, "apply").detail


@pytest.mark.parametrize("path", ["../outside.py", "/etc/passwd"])
def test_paths_leaving_the_repository_are_refused(repo: Path, path: str) -> None:
    diff = f"--- /dev/null\n+++ b/{path.lstrip('/') if path.startswith('/') else path}\n@@ -0,0 +1 @@\n+x = 1\n"
    if path.startswith("/"):
        diff = f"--- /dev/null\n+++ {path}\n@@ -0,0 +1 @@\n+x = 1\n"
    report = apply_patch(repo, diff)
    assert not report.passed and report.findings[0].rule == "apply.unsafe-path"
    assert not (repo.parent / "outside.py").exists()


def test_symlinked_directory_is_refused(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (repo / "link").symlink_to(outside)
    report = apply_patch(repo, "--- /dev/null\n+++ b/link/evil.py\n@@ -0,0 +1 @@\n+x = 1\n")
    assert not report.passed and "symlink" in report.findings[0].message
    assert not (outside / "evil.py").exists()


def test_apply_patch_writes_a_green_candidate_into_the_tree(repo: Path) -> None:
    diff = diff_of(repo, {"app/calc.py": "def add(a, b):\n    return b + a\n"})
    assert apply_patch(repo, diff, check_only=True).passed
    assert (repo / "app/calc.py").read_text() == BASE["app/calc.py"]
    assert apply_patch(repo, diff).passed
    assert "b + a" in (repo / "app/calc.py").read_text()


def test_limits_and_denied_paths_come_from_options(repo: Path) -> None:
    diff = diff_of(repo, {"app/calc.py": "def add(a, b):\n    return b + a\n", "app/new.py": "x = 1\n"})
    result = review(repo, diff, options=ReviewOptions(tests="none", max_files=1, denied_paths=["app/new.py"]))
    assert {"scope.too-many-files", "scope.denied-path"} <= rules(result, "scope")
    lifted = review(
        repo,
        diff_of(repo, {".github/workflows/ci.yml": "on: pull_request\n"}),
        options=ReviewOptions(tests="none", allow_protected=[".github/workflows/**"]),
    )
    assert lifted.passed


def test_the_base_commits_config_applies_as_the_commands_resolve_it(repo: Path) -> None:
    (repo / ".patchgate.toml").write_text('[review]\ntests = "none"\ndenied_paths = ["app/new.py"]\n')
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "config")
    result = review_as_configured(repo, diff_of(repo, {"app/new.py": "x = 1\n"}))
    assert "scope.denied-path" in rules(result, "scope")
    assert next(g for g in result.gates if g.name == "tests").detail.startswith("tests off")


def test_file_broken_on_the_base_is_only_a_warning(make_repo) -> None:
    root = make_repo({"data/bad.json": "{not json\n", "a.py": "x = 1\n"})
    result = review(root, diff_of(root, {"data/bad.json": "{still not json\n"}), options=NO_TESTS)
    parse = gate(result, "parse")
    assert parse.passed and parse.findings[0].severity == "warning"


def test_test_data_that_does_not_parse_only_warns_and_a_config_still_fails(repo: Path) -> None:
    """tomli's suite adds TOML 1.1 fixtures (seconds optional: `t = 07:32`) that Python's tomllib (TOML 1.0)
    refuses, and a parser's suite holds files it must refuse: its tests judge them. A config that does not parse
    is still an error."""
    fixtures = {"tests/data/valid/localtime.toml": "t = 07:32\n", "tests/data/invalid/brace.json": "{\n"}
    parse = gate(review(repo, diff_of(repo, fixtures), options=NO_TESTS), "parse")
    assert parse.passed and [f.severity for f in parse.findings] == ["warning", "warning"], parse
    assert all(f.message.endswith("(test data: its tests judge it)") for f in parse.findings)
    config = gate(review(repo, diff_of(repo, {"config.toml": "t = 07:32\n"}), options=NO_TESTS), "parse")
    assert not config.passed and "invalid TOML" in config.findings[0].message


def test_python_fixtures_of_a_parsers_suite_only_warn_and_a_test_module_or_library_code_still_fails(repo) -> None:
    """LibCST's suite parses fixtures of Python 3.15 (``{**d for d in ds}``), which neither this Python nor
    tree-sitter reads: its commit was blocked. Code in a fixtures folder under the test paths is data its tests
    judge; the same text in a test module, or in library code, is still an error."""
    newer = "x = {**d for d in ds}\ny = [*a for a in b]\n"
    fixture = {"native/lib/tests/fixtures/pep798_unpack_comprehensions.py": newer}
    parse = gate(review(repo, diff_of(repo, fixture), options=NO_TESTS), "parse")
    assert parse.passed and parse.findings and all(f.severity == "warning" for f in parse.findings), parse
    for path in ("native/lib/tests/fixtures/test_pep798.py", "app/pep798.py"):
        assert not gate(review(repo, diff_of(repo, {path: newer}), options=NO_TESTS), "parse").passed, path


def test_syntax_newer_than_patchgates_python_warns_and_a_real_error_still_fails(repo: Path) -> None:
    """cattrs adds tests written in Python 3.12's syntax (`type Alias = ...`), collected on 3.12 only: the Python
    patchgate runs on cannot compile them, tree-sitter's grammar can, and the project's Python judges them."""
    newer = "type Pair = tuple[int, int]\n\n\ndef first[T](items: list[T]) -> T:\n    return items[0]\n"
    if sys.version_info >= (3, 12):
        pytest.skip("this Python compiles 3.12 syntax itself")
    parse = gate(review(repo, diff_of(repo, {"tests/test_pep695.py": newer}), options=NO_TESTS), "parse")
    assert parse.passed and [f.severity for f in parse.findings] == ["warning"], parse
    assert "parses as newer Python" in parse.findings[0].message
    for wrong, said in [
        ("def add(a, b:\n    return a\n", "python: "),  # both parsers refuse it
        ("def add(a, b):\n    return a\n      x = 1\n", "python: unexpected indent"),  # tree-sitter reads it
        ("def add(a, b):\n    return a\nreturn 1\n", "python: 'return' outside function"),  # so does ast
    ]:
        broken = gate(review(repo, diff_of(repo, {"app/calc.py": wrong}), options=NO_TESTS), "parse")
        assert not broken.passed and broken.findings[0].message.startswith(said), broken


def test_code_only_a_grammar_refuses_warns_on_your_own_commit_and_fails_a_model_patch(repo: Path) -> None:
    """cbor2's Rust port holds ``type Callback<'py> = dyn 'py + FnMut(...)``, valid Rust that tree-sitter's grammar
    refuses, and no Rust compiler runs here: the commit was blocked. On a person's own commit such a finding is a
    warning (the project's compiler judges it); a model's patch still fails, and so does a config that its own
    parser refuses."""
    rust = "type Callback<'py> =\n    dyn 'py + FnMut(Bound<'py, PyAny>, bool) -> PyResult<()>;\n"
    human = ReviewOptions(tests="none", origin="human")
    own = gate(review(repo, diff_of(repo, {"rust/decoder.rs": rust}), options=human), "parse")
    assert own.passed and [f.severity for f in own.findings] == ["warning"], own
    assert own.findings[0].message.endswith("(your own commit: not blocking)"), own
    assert not gate(review(repo, diff_of(repo, {"rust/decoder.rs": rust}), options=NO_TESTS), "parse").passed
    config = gate(review(repo, diff_of(repo, {"config.json": "{\n"}), options=human), "parse")
    assert not config.passed and "invalid JSON" in next(f.message for f in config.findings if f.severity == "error")


def test_a_reshaped_risky_call_only_warns_and_a_second_one_still_fails(make_repo) -> None:
    """toolz turned its tests' ``exec('def func%s' % ...)`` into an f-string: the function already ran exec on a
    built string, so the risk is not new. A second such call in it, or one in another function, is."""
    before = "def make(params, body):\n    d = {}\n    exec('def f%s:\\n    %s' % (params, body), d)\n    return d\n"
    root = make_repo({"app/make.py": before, "app/other.py": "def run(code):\n    return code\n"})
    reshaped = before.replace("'def f%s:\\n    %s' % (params, body)", "f'def f{params}:\\n    {body}'")
    security = gate(review(root, diff_of(root, {"app/make.py": reshaped}), options=NO_TESTS), "security")
    assert security.passed and [f.severity for f in security.findings] == ["warning"], security
    assert security.findings[0].message.endswith("(reshaped: make had it on the base)")
    twice = reshaped.replace("    return d\n", "    exec(params, d)\n    return d\n")
    assert not gate(review(root, diff_of(root, {"app/make.py": twice}), options=NO_TESTS), "security").passed
    elsewhere = {"app/other.py": "def run(code):\n    exec(code)\n"}
    assert not gate(review(root, diff_of(root, elsewhere), options=NO_TESTS), "security").passed


def test_inline_marker_allows_a_reviewed_line(repo: Path) -> None:
    files = {"app/ev.py": "def calc(expr):\n    return eval(expr)  # patchgate: allow (trusted admin input)\n"}
    assert review(repo, diff_of(repo, files), options=NO_TESTS).passed


def test_non_python_files_use_the_text_rules(repo: Path) -> None:
    files = {"web/q.js": 'db.execute(`x`);\nconn.execute(f"SELECT * FROM t WHERE id={id}")\n'}
    result = review(repo, diff_of(repo, files), options=NO_TESTS)
    assert "security.sql-injection" in rules(result, "security")


def test_a_savepoint_named_in_sql_warns_and_a_value_or_a_parameter_still_blocks(repo: Path) -> None:
    """tortoise-orm's savepoints were blocked: ``execute(f"SAVEPOINT {self._savepoint}")`` names a savepoint, and no
    query parameter can stand there. A statement that takes only names warns, saying how to quote one; a value
    formatted into a query, or a name that is the function's parameter, is still an error."""
    client = (
        "class Client:\n    def __init__(self, conn):\n        self.conn, self._savepoint = conn, 'sp_1'\n\n"
        '    async def savepoint(self):\n        await self.conn.execute(f"SAVEPOINT {self._savepoint}")\n\n'
        "    async def release(self):\n        await self.conn.execute('RELEASE SAVEPOINT %s' % self._savepoint)\n"
    )
    result = review(repo, diff_of(repo, {"app/run.py": client}), options=NO_TESTS)
    security = gate(result, "security")
    assert result.passed and [f.severity for f in security.findings] == ["warning", "warning"], security
    assert "quote it as an identifier" in (security.findings[0].suggestion or "")
    for risky in (
        "    async def find(self, name):\n        await self.conn.execute(f\"SELECT * FROM t WHERE n = '{name}'\")\n",
        '    async def drop(self, table):\n        await self.conn.execute(f"DROP TABLE {table}")\n',
    ):
        result = review(repo, diff_of(repo, {"app/run.py": client + "\n" + risky}), options=NO_TESTS)
        assert not result.passed and "security.sql-injection" in rules(result, "security")


def test_eval_of_a_computed_value_only_warns(repo: Path) -> None:
    files = {"app/ev.py": "TABLE = {'x': '1 + 1'}\n\n\ndef calc():\n    return eval(TABLE['x'])\n"}
    result = review(repo, diff_of(repo, files), options=NO_TESTS)
    assert result.passed
    assert [f.severity for f in gate(result, "security").findings] == ["warning"]


def test_plain_diff_without_git_prefixes_applies(repo: Path) -> None:
    diff = "--- app/calc.py\n+++ app/calc.py\n@@ -1,2 +1,2 @@\n def add(a, b):\n-    return a + b\n+    return b + a\n"
    result = review(repo, diff, options=NO_TESTS)
    assert result.passed, result


def test_a_removed_line_that_starts_with_two_dashes_is_no_file_header(make_repo) -> None:
    """yarl's release commit deletes towncrier fragments ending in "-- by :user:`x`": the removed line reads
    "--- by ...", which was taken for a file header without a/ and made the patch -p0, and nothing applied."""
    root = make_repo({"CHANGES/1.bugfix.rst": "Fixed the host.\n-- by :user:`ann`.\n", "app.py": "X = 1\n"})
    git(root, "rm", "-q", "CHANGES/1.bugfix.rst")
    write_files(root, {"app.py": "X = 2\n"})
    git(root, "add", "-A")
    diff = git(root, "diff", "--cached")
    git(root, "reset", "-q", "--hard")
    assert "\n--- by :user:" in diff
    result = review(root, diff, options=NO_TESTS)
    assert result.passed and gate(result, "apply").detail == "applied cleanly", result


def test_worktree_is_removed_when_a_gate_raises(repo: Path, tmp_path: Path) -> None:
    from core.errors import ConfigError

    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "default.yaml").write_text("scope: [unclosed\n")
    diff = diff_of(repo, {"app/calc.py": "def add(a, b):\n    return b + a\n"})
    with pytest.raises(ConfigError, match=r"default\.yaml"):
        review(repo, diff, options=ReviewOptions(tests="none", policy_dir=policies))
    assert git(repo, "worktree", "list").count("\n") == 1


def test_header_only_changes_apply_and_review(repo: Path) -> None:
    """New empty files, mode changes and binary files carry no ---/+++ lines; git apply still takes them at -p1."""
    write_files(repo, {"app/empty.txt": ""})
    (repo / "app" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\xff")
    (repo / "app" / "calc.py").chmod(0o755)
    git(repo, "add", "-A")
    diff = git(repo, "diff", "--cached", "--binary")
    git(repo, "reset", "-q", "--hard")
    (repo / "app" / "calc.py").chmod(0o644)
    assert "\n--- " not in diff and "GIT binary patch" in diff
    result = review(repo, diff, options=NO_TESTS)
    assert result.passed, result
    assert gate(result, "apply").detail == "applied cleanly"
