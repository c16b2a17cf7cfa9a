"""The ``patchgate`` command: one click group whose commands are imported lazily.

Each command lives in ``patchgate/commands/<name>.py`` and stays thin: it parses
flags, calls one library function and renders what comes back. Importing a
command only when it runs keeps ``patchgate --help`` fast (torch is heavy).
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import sys

import click

from core import __version__
from core.errors import PatchgateError
from core.registry import Registry

# command name -> "module:attribute"; adding a command is adding a line here.
COMMANDS: dict[str, str] = {
    "agent-hook": "patchgate.commands.agent_hooks:agent_hook_command",
    "complete": "patchgate.commands.complete:complete",
    "context": "patchgate.commands.context:context_command",
    "doctor": "patchgate.commands.doctor:doctor",
    "eval": "patchgate.commands.eval:eval_group",
    "generate": "patchgate.commands.generate:generate",
    "index": "patchgate.commands.index:index_command",
    "install-agent-hooks": "patchgate.commands.agent_hooks:install_agent_hooks_command",
    "install-hook": "patchgate.commands.hook:install_hook_command",
    "mcp": "patchgate.commands.mcp:mcp_command",
    "review": "patchgate.commands.review:review_command",
    "runs": "patchgate.commands.runs:runs_group",
    "select": "patchgate.commands.select:select_command",
    "solve": "patchgate.commands.solve:solve_command",
    "suggest": "patchgate.commands.suggest:suggest_command",
    "trust": "patchgate.commands.trust:trust_command",
}
REGISTRY = Registry("command", COMMANDS)  # no entry-point group: the command surface is ours


class LazyGroup(click.Group):
    """A click group that imports a command's module only when it is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(REGISTRY.names())

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in REGISTRY:
            return None  # click says "No such command" as a usage error
        command: click.Command = REGISTRY.load(name)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="patchgate")
@click.option("--debug", is_flag=True, envvar="PATCHGATE_DEBUG", help="Show tracebacks.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """patchgate: a repository-aware coding agent that gates every patch before it lands."""
    ctx.obj = {"debug": debug}


def main() -> None:
    """Entry point: turn known errors into one line and an exit code, never a traceback."""
    debug = os.environ.get("PATCHGATE_DEBUG") == "1" or "--debug" in sys.argv[1:]
    # `kill`, `timeout` and CI runners stop a command with SIGTERM: cleaned up like Ctrl-C (every `with` on the
    # way out removes its worktree, lock or sandbox), instead of dying with them left behind.
    signal.signal(signal.SIGTERM, _terminated)
    try:
        code = cli.main(prog_name="patchgate", standalone_mode=False)
    except click.exceptions.Abort:
        _fail("interrupted", 130)
    except click.UsageError as exc:  # one line like every other error, with where to read more
        command = exc.ctx.command_path if exc.ctx is not None else "patchgate"
        _fail(f"{exc.format_message()} (see '{command} --help')", exc.exit_code)
    except click.ClickException as exc:
        _fail(exc.format_message(), exc.exit_code)
    except PatchgateError as exc:
        if debug:
            raise
        _fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # a bug: keep it to one line unless asked
        if debug:
            raise
        if full := _disk_full(exc):  # the machine's, not a bug
            _fail(f"no space left on the disk: {full} (free some, and run it again)", 2)
        _fail(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for details)", 3)
    sys.exit(code if isinstance(code, int) else 0)


def _disk_full(exc: Exception) -> str | None:
    """What failed to be written where ``exc`` is a write that found the disk full (``errno.ENOSPC``): an
    ``OSError``, or the first such of a ``shutil.copytree``'s list of them (src, dst, why); else None."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:  # shutil.Error, an OSError, carries no errno
        return f"{exc.filename or exc}"
    if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list):
        return next((str(dst) for _src, dst, why in exc.args[0] if f"[Errno {errno.ENOSPC}]" in str(why)), None)
    return None


def _terminated(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _fail(message: str, code: int) -> None:
    from core.console import printable

    one_line = " ".join(printable(message).split())  # a library's multi-line message (YAML, transformers) too
    click.secho(f"error: {one_line}", fg="red", err=True)
    sys.exit(code)
