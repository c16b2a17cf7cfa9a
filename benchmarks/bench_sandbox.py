"""What the test sandbox and the input bounds cost.

    python benchmarks/bench_sandbox.py [--repeat 15]

(a) Start-up: the median wall time of ``python -c pass`` and of a one-test
pytest run, each unconfined (``sandbox = "off"``) and inside bubblewrap, and
the difference. (b) Bounds: how long ``parse_diff`` takes on a patch just under
the 10 MiB limit, and how long refusing ``/dev/zero`` takes through the CLI.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.errors import fail
from tools import sandbox
from tools.candidate import MAX_PATCH_CHARS, parse_diff
from tools.sandbox import SandboxSettings


def median_seconds(repeat: int, action) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def startup(repeat: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        tree = Path(folder)
        (tree / "test_one.py").write_text("def test_one():\n    assert True\n")
        env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"), "PYTHONDONTWRITEBYTECODE": "1"}
        for label, argv in (
            ("python -c pass", [sys.executable, "-c", "pass"]),
            ("pytest, one test", [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_one.py"]),
        ):
            measured = {}
            for mode in ("off", "on"):
                settings = SandboxSettings(sandbox=mode)
                measured[mode] = median_seconds(
                    repeat,
                    lambda argv=argv, settings=settings: sandbox.run(
                        argv, cwd=tree, env=env, timeout=60, writable=[tree], readable=[], settings=settings
                    ),
                )
            print(
                f"{label:18s} unconfined {measured['off'] * 1000:7.1f} ms  sandboxed {measured['on'] * 1000:7.1f} ms"
                f"  overhead {(measured['on'] - measured['off']) * 1000:6.1f} ms (median of {repeat})"
            )


def bounds() -> None:
    line = "+" + "x" * 79 + "\n"
    body = line * ((MAX_PATCH_CHARS - 200) // len(line))
    diff = (
        f"diff --git a/big.txt b/big.txt\nnew file mode 100644\n--- /dev/null\n+++ b/big.txt\n"
        f"@@ -0,0 +1,{body.count(chr(10))} @@\n{body}"
    )
    start = time.perf_counter()
    parse_diff(diff)
    print(f"parse_diff, {len(diff) / 2**20:.1f} MiB patch: {time.perf_counter() - start:.2f} s")
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-P", "-m", "patchgate", "review", "--patch", "/dev/zero"],
        capture_output=True,
        timeout=120,
        check=False,
    )
    print(f"review --patch /dev/zero refused in {time.perf_counter() - start:.2f} s (CLI start-up included)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    if reason := sandbox.unavailable_reason():
        fail(f"the sandbox cannot start here: {reason}")
    startup(args.repeat)
    bounds()


if __name__ == "__main__":
    main()
