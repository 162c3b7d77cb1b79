"""`warroom` on the command line: argparse, one module per command under console/commands/.

Global options (`--journal`, `--config`, `--debug`, `--graph-url`) are accepted before the subcommand as
well as after it. Errors are one line on stderr and a non-zero exit; `--debug` shows the traceback.
Command modules import heavy libraries (Textual, msgraph) inside their handlers only, so `--help`,
`note` and `journal verify` start fast and never load the UI stack.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import sqlite3
import sys
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from . import _installed_version
from .config import Config, ConfigError, load_config
from .journal import Journal, JournalError, open_journal

_T = TypeVar("_T")

# Each module has `register(subparsers, common)`; order is the order of `warroom --help`.
COMMAND_MODULES = [
    "console_cmd", "note", "journal_cmd", "config_cmd", "graph_cmds", "sim_cmd", "review_cmd", "report_cmd",
    "evidence_cmd", "drill_cmd", "notify_cmd", "incident_cmd", "investigate_cmd", "hunt_cmd",
]
# Which module registers each command, so `warroom demo` imports one command module, not ten: the console's
# first frame waits for this. tests/test_cli.py checks it against what the modules really register.
COMMANDS = {
    "demo": "console_cmd", "note": "note", "journal": "journal_cmd", "config": "config_cmd",
    "login": "graph_cmds", "logout": "graph_cmds", "whoami": "graph_cmds", "preflight": "graph_cmds",
    "status": "graph_cmds", "sim": "sim_cmd", "browse": "review_cmd", "review": "review_cmd", "report": "report_cmd",
    "evidence": "evidence_cmd", "drill": "drill_cmd", "notify": "notify_cmd",
    "declare": "incident_cmd", "incident": "incident_cmd", "handoff": "incident_cmd",
    "investigate": "investigate_cmd", "hunt": "hunt_cmd",
}
_VALUED_GLOBALS = {"--journal", "--config", "--graph-url", "--color"}

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
# Options whose value may start with a dash, like a relative time: `--at -15m`.
DASH_VALUE_OPTIONS = {"--at"}


class CliError(Exception):
    """A failure the user can fix; printed as one line."""


@dataclass
class Context:
    """What every command needs: the effective configuration and a way to open the journal."""

    args: argparse.Namespace
    config: Config
    copy_notice: str = ""     # set when a shared journal's local copy is read: how current it is

    async def open_journal(self, *, readonly: bool = False, create: bool = True) -> Journal:
        return await open_journal(self.config.journal_location, actor=self.config.responder, readonly=readonly,
                                  create=create, spool_dir=self.config.get("shared.local_copy"))

    def journal_file(self, named: str | None = None) -> Path:
        """The journal file the browser, report and export read: the one named (or configured), or for a shared
        journal this host's copy of it, brought up to date when the database answers; stderr says which and
        how current it is."""
        location = (self.config.with_journal(named) if named else self.config).journal_location
        if isinstance(location, Path):
            return location
        from .journal.shared import refreshed_copy
        from .text import literal

        copy = asyncio.run(refreshed_copy(location, self.config.get("shared.local_copy"), actor=self.config.responder))
        print(f"warroom: {literal(copy.notice())}", file=sys.stderr, flush=True)
        self.copy_notice = copy.since() if copy.unreached else "brought up to date just now"
        return copy.path


def run_async(coro: Coroutine[Any, Any, _T]) -> _T:
    return asyncio.run(coro)


class _VersionAction(argparse.Action):
    """`--version`, looking the version up only when asked (it costs an importlib.metadata import)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        print(f"warroom {_installed_version()}")
        parser.exit()


def _global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    default = argparse.SUPPRESS if suppress else None
    group = parser.add_argument_group("global options")
    group.add_argument("--journal", metavar="PATH|URL", default=default,
                       help="journal file, or postgresql:// URL of a shared one (default from config)")
    group.add_argument("--config", metavar="PATH", default=default, help="configuration file")
    group.add_argument("--graph-url", metavar="URL", default=default, help="Graph endpoint (simulated tenant, proxy)")
    group.add_argument("--color", choices=("auto", "truecolor", "256", "16", "none"), default=default,
                       help="console colours (SSH rarely forwards COLORTERM: try 256 or 16)")
    group.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS if suppress else False, help="show tracebacks"
    )


def _modules_for(argv: Sequence[str] | None) -> list[str]:
    """The command modules a command line needs: its command's own, or all of them for help and mistakes."""
    if argv is None:
        return COMMAND_MODULES
    words = iter(argv)
    for word in words:
        if word in _VALUED_GLOBALS:
            next(words, None)
        elif word.startswith("-"):
            if word in ("-h", "--help"):
                return COMMAND_MODULES
        elif word in COMMANDS:
            return [COMMANDS[word]]
        else:
            return COMMAND_MODULES      # not a command: argparse's error lists them all
    return [COMMANDS["demo"]]           # bare `warroom`: the console


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The whole parser, or (given the command line) just what that command line needs."""
    parser = argparse.ArgumentParser(
        prog="warroom",
        description="The Microsoft 365 war-room console. With no command, opens the console.",
    )
    parser.add_argument("--version", action=_VersionAction)
    _global_options(parser, suppress=False)
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, suppress=True)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _modules_for(argv):
        importlib.import_module(f"{__package__}.commands.{name}").register(subparsers, common)
    return parser


def _context(args: argparse.Namespace) -> Context:
    overrides = {"journal": args.journal, "graph.url": getattr(args, "graph_url", None)}
    return Context(args, load_config(args.config, overrides=overrides))


def _attach_dash_values(argv: Sequence[str]) -> list[str]:
    """`--at -15m` -> `--at=-15m`: argparse would otherwise take a value that starts with `-` for an option."""
    joined: list[str] = []
    for arg in argv:
        if joined and joined[-1] in DASH_VALUE_OPTIONS and arg.startswith("-") and arg[1:2].isdigit():
            joined[-1] = f"{joined[-1]}={arg}"
        else:
            joined.append(arg)
    return joined


def main(argv: Sequence[str] | None = None) -> int:
    argv = _attach_dash_values(sys.argv[1:] if argv is None else argv)
    args = build_parser(argv).parse_args(argv)
    handler: Callable[[Context], int] | None = getattr(args, "handler", None)
    if handler is None:  # bare `warroom` opens the console
        handler = importlib.import_module(f"{__package__}.commands.console_cmd").run_console
    if not getattr(handler, "draws_first_frame", False):
        gc.enable()     # off while starting (console/launch.py); the console turns it on after its first frame
    try:
        return handler(_context(args)) or EXIT_OK
    except KeyboardInterrupt:
        return 130
    except (CliError, ConfigError, JournalError, ValueError, OSError, sqlite3.Error) as error:
        if args.debug:
            raise
        from .text import literal  # error text can carry data (a path, a Graph message): shown inert

        print(f"warroom: {literal(' '.join(str(error).splitlines()))}", file=sys.stderr)  # one line, always
        return EXIT_USAGE if isinstance(error, ConfigError) else EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
