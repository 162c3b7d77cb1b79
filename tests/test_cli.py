"""`warroom` on the command line: global options anywhere, notes from any shell, one-line errors, help everywhere."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from warroom.console import __version__
from warroom.console.cli import build_parser, main
from warroom.console.commands import config_cmd
from warroom.console.journal import Entry, open_journal
from warroom.console.timefmt import from_iso

WARROOM = Path(sys.executable).parent / "warroom"


def _entries(path: Path) -> list[Entry]:
    async def read() -> list[Entry]:
        async with await open_journal(path, readonly=True) as journal:
            return await journal.entries()

    return asyncio.run(read())


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(WARROOM), *args], capture_output=True, text=True, timeout=120)


# -- global options before and after the command ------------------------------------------------------


@pytest.mark.parametrize("where", ["before", "after"])
def test_journal_option_before_or_after_the_command(
    where: str, journal_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    option = ["--journal", str(journal_path)]
    argv = [*option, "note", "hello"] if where == "before" else ["note", "hello", *option]
    assert main(argv) == 0
    assert capsys.readouterr().out == "1\n"
    assert [e.text for e in _entries(journal_path)] == ["hello"]


@pytest.mark.parametrize("where", ["before", "after"])
def test_config_option_before_or_after_the_command(
    where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = tmp_path / "from-config.db"
    config = tmp_path / "config.toml"
    config.write_text(f'journal = "{journal}"\nresponder = "sam"\n')
    option = ["--config", str(config)]
    argv = [*option, "note", "hello"] if where == "before" else ["note", "hello", *option]
    assert main(argv) == 0
    [entry] = _entries(journal)
    assert entry.actor == "test-responder", "the environment (WARROOM_RESPONDER) outranks the file"


def test_journal_verify_takes_global_options_after_the_action(
    journal_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["note", "x", "--journal", str(journal_path)])
    assert main(["journal", "verify", "--journal", str(journal_path)]) == 0
    assert "ok: 1 entries" in capsys.readouterr().out


# -- notes ---------------------------------------------------------------------------------------------


def test_note_prints_each_seq(journal_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for expected in ("1", "2", "3"):
        assert main(["--journal", str(journal_path), "note", "Exchange", "degraded"]) == 0
        assert capsys.readouterr().out == expected + "\n"
    assert _entries(journal_path)[0].text == "Exchange degraded"
    assert _entries(journal_path)[0].actor == "test-responder"


def test_note_kind_and_incident(journal_path: Path) -> None:
    main(["--journal", str(journal_path), "note", "--kind", "decision", "--incident", "INC-4", "disable", "forwarding"])
    [entry] = _entries(journal_path)
    assert (entry.kind, entry.incident, entry.body) == ("decision", "INC-4", {"text": "disable forwarding"})


def test_note_stdin_batches_one_seq_per_line(
    journal_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("first\n\n  \nsecond\r\nthird"))
    assert main(["--journal", str(journal_path), "note", "--stdin"]) == 0
    assert capsys.readouterr().out == "1\n2\n3\n"
    assert [e.text for e in _entries(journal_path)] == ["first", "second", "third"]


def test_note_stdin_from_a_pipe(journal_path: Path) -> None:
    lines = "".join(f"line {n}\n" for n in range(1200))
    result = subprocess.run(
        [str(WARROOM), "note", "--stdin", "--journal", str(journal_path)],
        input=lines, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(n) for n in range(1, 1201)]
    assert len({e.logged_at for e in _entries(journal_path)}) < 1200, "lines were not batched"


def test_note_at_relative_time(journal_path: Path) -> None:
    main(["--journal", str(journal_path), "note", "--at", "-15m", "sign-ins failing"])
    [entry] = _entries(journal_path)
    gap = from_iso(entry.logged_at) - from_iso(entry.occurred_at)
    assert timedelta(minutes=14) < gap <= timedelta(minutes=15, seconds=1)
    assert entry.discovered_at == entry.occurred_at


def test_note_at_absolute_time(journal_path: Path) -> None:
    main(["--journal", str(journal_path), "note", "--at", "2026-11-24T14:02Z", "first alert"])
    assert _entries(journal_path)[0].occurred_at == "2026-11-24T14:02:00.000Z"


# -- errors ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["note"], "give the note's text, or --stdin"),
        (["note", "--at", "yesterday-ish", "x"], "not a time: 'yesterday-ish'"),
        (["note", "   "], "the note is empty"),
        (["journal", "verify", "/nonexistent/journal.db"], "no journal here"),
        (["journal", "stats", "/nonexistent/journal.db"], "no journal here"),
    ],
)
def test_errors_are_one_line_without_traceback(
    argv: list[str], message: str, journal_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--journal", str(journal_path), *argv]) == 1
    err = capsys.readouterr().err
    assert err.startswith("warroom: ") and message in err
    assert err.count("\n") == 1


def test_debug_shows_the_traceback(journal_path: Path) -> None:
    quiet = _run("--journal", str(journal_path), "note", "--at", "soon", "x")
    loud = _run("--journal", str(journal_path), "note", "--at", "soon", "x", "--debug")
    assert quiet.returncode == 1 and "Traceback" not in quiet.stderr
    assert quiet.stderr.strip().count("\n") == 0
    assert loud.returncode != 0 and "Traceback" in loud.stderr and "not a time" in loud.stderr


# -- help and version --------------------------------------------------------------------------------


def _commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path, nested ones included: ("journal", "verify")."""
    found = [prefix]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _commands(sub, (*prefix, name))
    return found


def test_the_command_list_is_found() -> None:
    commands = _commands(build_parser())
    assert {("note",), ("journal", "verify"), ("journal", "stats"), ("config",)} <= set(commands)


def test_each_command_line_builds_only_its_own_command_module() -> None:
    """`warroom demo` must not import ten command modules before its first frame; the map must stay true."""
    from warroom.console import cli

    registered = {}
    for module in cli.COMMAND_MODULES:
        for name in _top_level(build_parser([next(k for k, v in cli.COMMANDS.items() if v == module)])):
            registered[name] = module
    assert registered == cli.COMMANDS
    assert set(_top_level(build_parser())) == set(cli.COMMANDS)
    assert cli._modules_for(["--journal", "note", "demo"]) == ["console_cmd"]   # "note" is --journal's value
    assert cli._modules_for([]) == ["console_cmd"]
    assert cli._modules_for(["--help"]) == cli._modules_for(["bogus"]) == cli.COMMAND_MODULES


def _top_level(parser: argparse.ArgumentParser) -> list[str]:
    return [command[0] for command in _commands(parser) if len(command) == 1]


def test_a_mistyped_command_still_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["jornal", "verify"])
    error = capsys.readouterr().err
    assert "invalid choice: 'jornal'" in error and "'journal'" in error and "'drill'" in error


ALIASES = {"review": "browse"}


@pytest.mark.parametrize("command", _commands(build_parser()), ids=lambda c: " ".join(c) or "warroom")
def test_help_works_on_every_command(command: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*command, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    named = [ALIASES.get(part, part) for part in command]     # an alias's help names the command it stands for
    assert out.startswith("usage: warroom" + "".join(f" {part}" for part in named))


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out == f"warroom {__version__}\n"


def test_journal_stats(journal_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["--journal", str(journal_path), "note", "--incident", "INC-1", "x"])
    capsys.readouterr()
    assert main(["--journal", str(journal_path), "journal", "stats", str(journal_path), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert (stats["entries"], stats["incidents"], stats["schema_version"]) == (1, 1, 3)


def test_note_stdin_skips_a_secret_line_and_keeps_the_rest(journal_path: Path) -> None:
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGV4QGNvbnRvc28uY29tIn0.c2lnbmF0dXJl"
    result = subprocess.run(
        [str(WARROOM), "note", "--stdin", "--journal", str(journal_path)],
        input=f"before\ntoken {jwt}\nafter\n", capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1
    assert result.stdout.split() == ["1", "2"]
    assert result.stderr == (
        "warroom: input line 2 skipped: refused to journal body.text: it looks like a JSON web token\n"
    )
    assert [e.text for e in _entries(journal_path)] == ["before", "after"]


def test_an_unexpected_multiline_error_is_still_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A command's error text with newlines in it (SQLite's reports have them) still prints as one line."""
    def fail(ctx: object) -> int:
        raise sqlite3.DatabaseError("*** in database main ***\nPage 3: btreeInitPage() returns error code 11")

    monkeypatch.setattr(config_cmd, "run", fail)
    assert main(["config"]) == 1
    assert capsys.readouterr().err == (
        "warroom: *** in database main *** Page 3: btreeInitPage() returns error code 11\n"
    )


def test_the_journal_browser_is_browse_and_review_still_opens_it() -> None:
    """`warroom browse` is the journal browser; `review` stays another name for it (the post-incident review is P)."""
    from warroom.console.commands import review_cmd

    for name in ("browse", "review"):
        args = build_parser([name]).parse_args([name, "journal.db", "--incident", "INC-1"])
        assert args.handler is review_cmd.run and (args.path, args.incident) == ("journal.db", "INC-1")
