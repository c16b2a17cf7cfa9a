"""Code from a change runs in the bubblewrap sandbox: what it may not touch stays untouched, and the report says so."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from core.settings import SandboxSettings
from tests.conftest import diff_of, git, write_files
from tools import sandbox

ROOT = Path(__file__).resolve().parents[2]
BASE = {
    "pkg/__init__.py": "",
    "pkg/mod.py": "def f():\n    return 1\n",
    "tests/test_mod.py": "from pkg.mod import f\n\n\ndef test_f():\n    assert f() == 1\n",
}


def run_cli(cwd: Path, *args: str, home: Path, extra_env: dict[str, str] | None = None):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200", "HOME": str(home), **(extra_env or {})}
    return subprocess.run(
        [sys.executable, "-P", "-m", "patchgate", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def dialler(params: str, address: str, timeout: float) -> str:
    """A module function ``dial(params)`` that tries a connection to ``address`` (a Python expression) and ignores
    its failure, as a test of timeouts does."""
    body = f"        socket.create_connection({address}, timeout={timeout}).close()\n"
    return f"def dial({params}):\n    try:\n{body}    except OSError:\n        pass\n"


def gate_report(result: subprocess.CompletedProcess[str]) -> dict:
    """The tests gate of ``review --json``'s report (its last line)."""
    return next(g for g in json.loads(result.stdout.strip().splitlines()[-1])["gates"] if g["name"] == "tests")


def review_new_test(repo: Path, text: str, home: Path) -> tuple[subprocess.CompletedProcess[str], dict]:
    """``patchgate review --patch`` of a change that writes ``tests/test_new.py``: the run and its tests gate."""
    home.mkdir(exist_ok=True)
    patch = home.parent / "new-test.diff"
    patch.write_text(diff_of(repo, {"tests/test_new.py": text}))
    result = run_cli(repo, "review", "--patch", str(patch), "--json", home=home)
    return result, gate_report(result)


class Listener:
    """A TCP server on 127.0.0.1 that counts the connections it accepts."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.sock.close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


def hostile_test(repo: Path, outside: Path, home: Path, port: int) -> str:
    """A test file that tries every escape the issue lists, each in its own try so all are attempted."""
    return f"""import os, socket, subprocess

ATTEMPTS = [
    lambda: open({str(outside)!r}, "w").write("pwned"),
    lambda: open({str(repo / ".git/hooks/pre-commit")!r}, "w").write("#!/bin/sh\\necho pwned\\n"),
    lambda: open({str(repo / ".git/config")!r}, "a").write("[core]\\n\\tfsmonitor = touch /tmp/pwned\\n"),
    lambda: open(os.path.join(os.path.expanduser("~"), ".bashrc"), "a").write("echo pwned\\n"),
    lambda: socket.create_connection(("127.0.0.1", {port}), timeout=2).close(),
    lambda: socket.create_connection(("10.255.255.1", 9), timeout=2).close(),
    lambda: subprocess.run(["sh", "-c", "echo pwned > {repo / "shell-was-here"}"]),
]


def test_escape():
    for attempt in ATTEMPTS:
        try:
            attempt()
        except OSError:
            pass
"""


def test_hostile_test_code_writes_nothing_outside_the_worktree(make_repo, tmp_path: Path, listener: Listener) -> None:
    repo = make_repo(BASE)
    home, outside = tmp_path / "home", repo / "outside.txt"  # the user's own tree, beside the worktree
    home.mkdir()
    config_before = (repo / ".git/config").read_text()
    diff = diff_of(repo, {"tests/test_evil.py": hostile_test(repo, outside, home, listener.port)})
    (tmp_path / "evil.diff").write_text(diff)

    result = run_cli(repo, "review", "--patch", str(tmp_path / "evil.diff"), "--json", home=home)

    assert not outside.exists()
    assert not (repo / ".git/hooks/pre-commit").exists()
    assert (repo / ".git/config").read_text() == config_before
    written = [p.relative_to(home) for p in home.rglob("*") if p.is_file()]
    assert all(p.parts[:2] == (".cache", "patchgate") for p in written), written  # patchgate's own cache alone
    assert not (repo / "shell-was-here").exists()
    assert listener.accepted == 0
    assert result.returncode == 1, result.stdout
    tests_gate = gate_report(result)
    blocked = [f["message"] for f in tests_gate["findings"] if f["rule"] == "tests.sandbox-blocked"]
    assert any(str(outside) in m for m in blocked)
    assert any(".git/hooks/pre-commit" in m for m in blocked)
    assert any(".git/config" in m for m in blocked)
    assert any("10.255.255.1:9" in m for m in blocked)  # the machine's loopback is out of reach, and unnoted:
    assert not any("127.0.0.1" in m for m in blocked)  # the sandbox's own loopback is all 127.0.0.1 reaches


def test_tests_that_serve_on_the_sandboxs_loopback_pass_without_a_word(make_repo, tmp_path: Path) -> None:
    """werkzeug's live-server tests start a server on 127.0.0.1 and connect to it: inside the sandbox's own
    network namespace that works and reaches nothing of the machine, so it is no blocked network attempt. So is
    pyopenssl's, whose server binds every address and is dialled at the name it gives itself, 0.0.0.0: all six of
    its commits were blocked."""
    repo = make_repo(BASE)
    test = (
        "import socket\n\nimport pytest\n\n\n@pytest.mark.parametrize('host', ['127.0.0.1', ''])\n"
        "def test_live_server(host):\n    server = socket.create_server((host, 0))\n"
        "    client = socket.create_connection(server.getsockname(), timeout=5)\n"
        "    conn, _ = server.accept()\n    client.sendall(b'ping')\n    assert conn.recv(4) == b'ping'\n"
    )
    result, tests_gate = review_new_test(repo, test, home=tmp_path / "home")
    assert result.returncode == 0, result.stdout
    assert tests_gate["findings"] == [] and "2 test(s) ran" in tests_gate["checked"], tests_gate


def test_a_thousand_cache_files_in_home_pass_and_do_not_hide_a_write_outside(make_repo, tmp_path: Path) -> None:
    """nox's tests write a thousand files of cache under $HOME: each went to the sandbox's private HOME, harmless,
    but the list was cut at 20 and its "... and 967 more" line was read as an error. The harmful kinds come
    first, and a write outside after them is still found."""
    repo = make_repo(BASE)
    cache = (
        "import os\nfrom pathlib import Path\n\n\ndef test_cache():\n"
        "    for n in range(60):\n        folder = Path(os.environ['HOME'], '.cache', 'tool', str(n))\n"
        "        folder.mkdir(parents=True)\n        (folder / 'lock').write_text('x')\n"
    )
    result, tests_gate = review_new_test(repo, cache, home=tmp_path / "home")
    assert result.returncode == 0 and tests_gate["passed"], tests_gate
    assert {f["severity"] for f in tests_gate["findings"]} == {"note"}
    outside = repo / "outside.txt"
    escape = cache + f"    Path({str(outside)!r}).write_text('x')\n"
    result, tests_gate = review_new_test(repo, escape, home=tmp_path / "home")
    errors = [f["message"] for f in tests_gate["findings"] if f["severity"] == "error"]
    said = f"sandbox: the change's code tried a write to {outside} (read-only in the sandbox), in tests/test_new.py"
    assert result.returncode == 1 and said in errors, errors
    assert not outside.exists()


def test_a_suites_own_network_attempt_is_the_bases_and_a_new_one_is_the_changes(make_repo, tmp_path: Path) -> None:
    """httpx's timeout tests dial 10.255.255.1 on every commit: the sandbox stops it on the base as well, so it is
    the suite's habit (a warning) and a docstring fix passes, whatever port each run dials (a test's server takes
    a new one each time); a connection the change adds is still an error."""
    dial = dialler("host", "(host, random.randint(20000, 60000))", 0.5)
    repo = make_repo(
        {
            **BASE,
            "pkg/mod.py": f"import random\nimport socket\n\n\n{dial}\n\ndef f():\n    return 1\n",
            "tests/test_mod.py": "from pkg.mod import dial, f\n\n\ndef test_timeout():\n"
            "    dial('10.255.255.1')\n    assert f() == 1\n",
        }
    )
    module = (repo / "pkg/mod.py").read_text()
    said = re.compile(
        r"sandbox: the tests tried a network connection to 10\.255\.255\.1:\d+ \(no network in the sandbox\), "
        r"in tests/test_mod\.py, on the base commit too \(not the change's doing\)"
    )
    for change, code in [
        ("docstring", module.replace("def f():\n", 'def f():\n    """One."""\n')),
        ("new dial", module.replace("    return 1", "    dial('10.255.255.2')\n    return 1")),
    ]:
        (tmp_path / "change.diff").write_text(diff_of(repo, {"pkg/mod.py": code}))
        result = run_cli(repo, "review", "--patch", str(tmp_path / "change.diff"), "--json", home=tmp_path / "home")
        found = {(f["severity"], f["message"]) for f in gate_report(result)["findings"]}
        assert any(severity == "warning" and said.fullmatch(message) for severity, message in found), found
        errors = [message for severity, message in found if severity == "error"]
        if change == "docstring":
            assert result.returncode == 0 and not errors, found
        else:
            (error,) = errors
            assert result.returncode == 1 and re.fullmatch(
                r"sandbox: the change's code tried a network connection to 10\.255\.255\.2:\d+ "
                r"\(no network in the sandbox\), in tests/test_mod\.py",
                error,
            ), error


def test_a_new_test_dialling_what_the_suite_dials_is_the_suites_habit_in_your_commit(make_repo, tmp_path: Path) -> None:
    """zeroconf's commit adding interface tests was blocked: they send to the mDNS group 224.0.0.251:5353, as
    thirteen of its test files do on every commit. A test file a person adds that dials an address the base's tests
    dial is a warning that says so; one that dials another address, or the same test in a model's patch, is the
    change's error."""
    dial = dialler("host", "(host, 5353)", 0.5)
    repo = make_repo(
        {
            **BASE,
            "pkg/mod.py": f"import socket\n\n\n{dial}\n\ndef f():\n    return 1\n",
            "tests/test_mod.py": "from pkg.mod import dial, f\n\n\ndef test_send():\n"
            "    dial('10.255.255.1')\n    assert f() == 1\n",
        }
    )
    new_test = "from pkg.mod import dial, f\n\n\ndef test_rescan():\n    dial('{host}')\n    assert f() == 1\n"
    for host, origin, expected in [
        ("10.255.255.1", "human", "warning"),
        ("10.255.255.9", "human", "error"),
        ("10.255.255.1", "model", "error"),
    ]:
        # and a module the suite's tests import: they run beside the new one (zeroconf's change was a feature)
        module = (repo / "pkg/mod.py").read_text().replace("def f():\n", 'def f():\n    """One."""\n')
        files = {"pkg/mod.py": module, "tests/test_rescan.py": new_test.format(host=host)}
        (tmp_path / "change.diff").write_text(diff_of(repo, files))
        args = ("review", "--patch", str(tmp_path / "change.diff"), "--json", "--origin", origin)
        result = run_cli(repo, *args, home=tmp_path / "home")
        found = {
            (f["severity"], f["message"])
            for f in gate_report(result)["findings"]
            if "tests/test_rescan.py" in f["message"]
        }
        assert {severity for severity, _ in found} == {expected}, (host, origin, found)
        assert result.returncode == (0 if expected == "warning" else 1), found
        if expected == "warning":
            ((_, message),) = found
            assert message == (
                f"sandbox: a test your commit adds tried a network connection to {host}:5353 (no network in the "
                "sandbox), in tests/test_rescan.py, as the base's tests do (tests/test_mod.py): not judged here"
            )


def test_a_udp_socket_that_asks_for_its_own_address_passes_and_a_datagram_sent_out_is_the_changes(
    make_repo, tmp_path: Path
) -> None:
    """dask's ``get_ip`` points a UDP socket at 8.8.8.8 to learn which local address would reach it, which sends
    nothing: joblib's new dask tests were blocked for "a network connection to 8.8.8.8:80". A datagram sent to an
    address (``sendto``), which the probe did not see, is the change's attempt."""
    repo = make_repo(BASE)
    ask = (
        "import socket\n\n\ndef test_own_address():\n    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "    try:\n        s.connect(('8.8.8.8', 80))\n    except OSError:\n        pass\n    s.close()\n"
    )
    send = ask.replace("s.connect(('8.8.8.8', 80))", "s.sendto(b'x', ('10.1.2.3', 53))")
    for change, test in [("own address", ask), ("datagram", send)]:
        (tmp_path / "change.diff").write_text(diff_of(repo, {"tests/test_udp.py": test}))
        result = run_cli(repo, "review", "--patch", str(tmp_path / "change.diff"), "--json", home=tmp_path / "home")
        found = {(f["severity"], f["message"]) for f in gate_report(result)["findings"]}
        if change == "own address":
            assert result.returncode == 0, found
            assert (
                "note",
                "sandbox: the change's code tried a UDP socket pointed at 8.8.8.8:80 (sends nothing: it asks which "
                "local address would reach there), in tests/test_udp.py",
            ) in found, found
        else:
            said = (
                "sandbox: the change's code tried a network connection to 10.1.2.3:53 (no network in the sandbox), "
                "in tests/test_udp.py"
            )
            assert result.returncode == 1 and ("error", said) in found, found


def test_what_the_sandbox_stopped_is_said_when_the_tests_judge_nothing(make_repo, tmp_path: Path) -> None:
    """Tests that skip themselves on the base and the change alike judge nothing ("passed, but not checked"), but
    the change's module still ran when they imported it: a connection it tried there is still an error, which
    that verdict had dropped. A docstring fix is still only unchecked."""
    skipped = "from pkg.mod import f\nimport pytest\n\npytest.skip('needs a service', allow_module_level=True)\n"
    repo = make_repo({**BASE, "tests/test_mod.py": skipped})
    dial = "import socket\n\ntry:\n    socket.create_connection(('10.1.2.3', 80), timeout=0.2)\nexcept OSError:\n"
    dial += "    pass\n\n\n"
    for change, code in [("docstring", '"""One."""\n' + BASE["pkg/mod.py"]), ("dial", dial + BASE["pkg/mod.py"])]:
        (tmp_path / "change.diff").write_text(diff_of(repo, {"pkg/mod.py": code}))
        result = run_cli(repo, "review", "--patch", str(tmp_path / "change.diff"), "--json", home=tmp_path / "home")
        report = gate_report(result)
        rules = [(f["severity"], f["rule"]) for f in report["findings"]]
        if change == "docstring":
            assert result.returncode == 0 and report["skipped"], report
            assert rules == [("warning", "tests.base-broken")], report
        else:
            assert result.returncode == 1 and not report["passed"], report
            assert ("error", "tests.sandbox-blocked") in rules, report


def test_a_failure_of_a_test_that_tried_the_network_on_the_base_judges_nothing_and_another_still_does(
    make_repo, tmp_path: Path
) -> None:
    """urllib3's tests connect to a non-routable address and expect the connection to hang until their timeout; the
    sandbox refuses it at once, so their threads raced and ``assert ident != ident`` failed, passing on the base by
    chance: 3 of 4 commits were blocked. A test that tried the network on the base as well has its outcome decided
    by the sandbox: its failure is a warning. A test that did not is still judged."""
    dial = dialler("", "('10.1.2.3', 80)", 0.2)
    repo = make_repo(
        {
            **BASE,
            "pkg/mod.py": f"import socket\n\n\n{dial}\n\ndef f():\n    return 1\n\n\ndef g():\n    return 2\n",
            "tests/test_mod.py": "from pkg.mod import dial, f, g\n\n\ndef test_f():\n    dial()\n    assert f() == 1\n"
            "\n\ndef test_g():\n    assert g() == 2\n",
        }
    )
    module = (repo / "pkg/mod.py").read_text()
    for change, code in [("f", module.replace("return 1", "return 0")), ("g", module.replace("return 2", "return 0"))]:
        (tmp_path / "change.diff").write_text(diff_of(repo, {"pkg/mod.py": code}))
        result = run_cli(repo, "review", "--patch", str(tmp_path / "change.diff"), "--json", home=tmp_path / "home")
        found = [(f["severity"], f["rule"]) for f in gate_report(result)["findings"]]
        if change == "f":
            assert result.returncode == 0 and ("warning", "tests.network-cut") in found, found
        else:
            assert result.returncode == 1 and ("error", "tests.new-failure") in found, found
            assert ("warning", "tests.network-cut") not in found, found


def test_network_opt_in_lets_tests_connect(make_repo, tmp_path: Path, listener: Listener) -> None:
    repo = make_repo({**BASE, ".patchgate.toml": "[tests]\nnetwork = true\n"})
    test = (
        f"import socket\n\n\ndef test_net():\n    socket.create_connection(('127.0.0.1', {listener.port}), "
        "timeout=5).close()\n"
    )
    diff = diff_of(repo, {"tests/test_net.py": test})
    (tmp_path / "net.diff").write_text(diff)
    result = run_cli(repo, "review", "--patch", str(tmp_path / "net.diff"), "--json", home=tmp_path)
    assert result.returncode == 0, result.stdout
    assert listener.accepted == 1


def test_candidate_cannot_turn_the_network_on_for_itself(make_repo, tmp_path: Path, listener: Listener) -> None:
    repo = make_repo(BASE)
    test = (
        f"import socket\n\n\ndef test_net():\n    socket.create_connection(('127.0.0.1', {listener.port}), "
        "timeout=5).close()\n"
    )
    diff = diff_of(repo, {"tests/test_net.py": test, ".patchgate.toml": '[tests]\nnetwork = true\nsandbox = "off"\n'})
    (tmp_path / "net.diff").write_text(diff)
    result = run_cli(repo, "review", "--patch", str(tmp_path / "net.diff"), "--json", home=tmp_path)
    assert result.returncode == 1
    assert listener.accepted == 0


def test_without_bubblewrap_the_tests_gate_fails_and_says_how_to_fix(make_repo, tmp_path: Path) -> None:
    repo = make_repo(BASE)
    diff = diff_of(repo, {"pkg/mod.py": "def f():\n    return 1  # same\n"})
    (tmp_path / "p.diff").write_text(diff)
    broken = {"PATCHGATE_BWRAP": "/bin/false"}
    result = run_cli(repo, "review", "--patch", str(tmp_path / "p.diff"), "--json", home=tmp_path, extra_env=broken)
    assert result.returncode == 1
    tests_gate = gate_report(result)
    (finding,) = tests_gate["findings"]
    assert finding["rule"] == "tests.no-sandbox"
    assert "apt-get install bubblewrap" in finding["message"] and 'sandbox = "off"' in finding["message"]
    doctor = run_cli(repo, "doctor", "--json", home=tmp_path, extra_env=broken)
    sandbox = json.loads(doctor.stdout.strip().splitlines()[-1])["test sandbox"]
    assert not sandbox["ok"] and "cannot create a sandbox" in sandbox["detail"]


def test_doctor_says_the_sandbox_works(make_repo, tmp_path: Path) -> None:
    doctor = run_cli(make_repo(BASE), "doctor", "--json", home=tmp_path)
    sandbox = json.loads(doctor.stdout.strip().splitlines()[-1])["test sandbox"]
    assert sandbox["ok"] and "network off" in sandbox["detail"]


def test_explicit_opt_out_runs_unsandboxed_and_says_so(make_repo, tmp_path: Path) -> None:
    repo = make_repo({**BASE, ".patchgate.toml": '[tests]\nsandbox = "off"\n'})
    write_files(repo, {"pkg/mod.py": "def f():\n    return 1  # same\n"})
    git(repo, "add", "-A")
    result = run_cli(repo, "review", "--staged", "--json", home=tmp_path, extra_env={"PATCHGATE_BWRAP": "/bin/false"})
    assert result.returncode == 0, result.stdout
    tests_gate = gate_report(result)
    assert "WITHOUT a sandbox" in tests_gate["detail"]


@pytest.mark.parametrize("arrives", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_the_sandbox_starts_leaves_nothing_running(
    monkeypatch, tmp_path: Path, arrives: signal.Signals
) -> None:
    """Ctrl-C (or `kill`) landing inside ``Popen`` just after the fork: the sandbox, in its own session where no
    terminal reaches it, must not run on after patchgate has given up on it."""
    started: list[int] = []

    class SignalledWhileStarting(subprocess.Popen):
        def _execute_child(self, argv, *args, **kwargs) -> None:
            super()._execute_child(argv, *args, **kwargs)
            if "sleep" not in argv:  # the probe that bubblewrap works, say
                return
            started.append(self.pid)
            os.kill(os.getpid(), arrives)
            time.sleep(0.2)  # the handler runs here, still inside Popen

    previous = signal.signal(signal.SIGTERM, _interrupt)  # as the CLI does
    monkeypatch.setattr(subprocess, "Popen", SignalledWhileStarting)
    try:
        with pytest.raises(KeyboardInterrupt):
            sandbox.run(
                ["sleep", "60"],
                cwd=tmp_path,
                env=dict(os.environ),
                timeout=120,
                writable=[tmp_path],
                readable=[],
                settings=SandboxSettings(),
            )
        assert started, "the sandbox never started"
        assert not _running(started[0]), "the sandbox runs on after the interrupt"
    finally:
        signal.signal(signal.SIGTERM, previous)
        for pid in started:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)


def test_a_python_older_than_audit_hooks_runs_without_a_word_from_the_sandbox(tmp_path: Path) -> None:
    """scikit-learn 0.22's spec runs on Python 3.6, which has no audit hooks: the probe's sitecustomize printed
    "Error in sitecustomize" to every process's stderr, which tests that read a subprocess's stderr see."""
    from tools.pythons import find_python

    old = next(filter(None, map(find_python, ("3.7", "3.6"))), None)
    if old is None:
        pytest.skip("no Python older than 3.8 on this machine")
    done = sandbox.run(
        [old, "-c", "print('ran')"],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)},
        timeout=60,
        writable=[tmp_path],
        readable=[],
        settings=SandboxSettings(),
    )
    assert (done.returncode, done.output) == (0, "ran\n")


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a child not yet waited for counts: nothing will wait for it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
