"""A wrong URL is not an outage; a database nobody set up is not a journal.

TLS that cannot work, a password the server refuses, a host name that does not resolve, a database without the
journal or a role without grants: each is refused with its real reason and a non-zero exit, and nothing is kept
in a spool. What this host spools it keeps under the journal's id, so a corrected URL uploads it. Real servers:
the worker's plain one (`pg_server`) and one with TLS and a password role (`pg_tls`).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

import pytest
from warroom.console.journal.postgres import PostgresJournal, init_shared
from warroom.console.journal.shared import SharedJournal

from ..journal.journal_tools import WARROOM
from .conftest import PASSWORD, Secured
from .pg import make_certificates, run_sql

pytestmark = pytest.mark.slow


def warroom(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The CLI on a "host" of its own: its HOME (no ~/.postgresql, no ~/.pgpass) and data folder, no PG* settings."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("PG", "WARROOM_"))}
    clean.update(HOME=str(home), XDG_DATA_HOME=str(home / "data"), WARROOM_CONFIG="", WARROOM_RESPONDER="ic", **env)
    return subprocess.run([str(WARROOM), *args], capture_output=True, text=True, env=clean, timeout=60)


def spooled_anything(home: Path) -> bool:
    return any((home / "data").rglob("spool.db"))


async def shared_texts(url: str) -> list[str]:
    async with await PostgresJournal.open(url, actor="check", readonly=True) as journal:
        return [entry.text for entry in await journal.entries()]


def refused(result: subprocess.CompletedProcess[str], *reasons: str) -> str:
    assert result.returncode != 0, result.stderr
    assert result.stdout == ""                      # no number printed: nothing was written
    assert "unreachable" not in result.stderr and "spool" not in result.stderr
    for reason in reasons:
        assert reason in result.stderr
    return result.stderr


# -- 15: a wrong URL is refused with its reason, never spooled -------------------------------------------------

def test_sslmode_require_against_a_server_without_tls_is_refused(journal_url: str, tmp_path: Path) -> None:
    result = warroom(tmp_path, "note", "--journal", journal_url + "?sslmode=require", "EXO down")
    refused(result, "TLS", "does not offer TLS")
    assert not spooled_anything(tmp_path)
    assert asyncio.run(shared_texts(journal_url)) == []


def test_verify_full_without_the_ca_is_refused_and_with_it_works(pg_tls: Secured, tmp_path: Path) -> None:
    url = pg_tls.server.url() + "?sslmode=verify-full"
    refused(warroom(tmp_path, "note", "--journal", url, "no CA given"), "TLS")
    stranger = make_certificates(tmp_path / "other-ca", name="someone else's CA")
    refused(warroom(tmp_path, "note", "--journal", f"{url}&sslrootcert={stranger.ca}", "the wrong CA"),
            "certificate is not trusted")
    assert not spooled_anything(tmp_path)
    trusted = warroom(tmp_path, "note", "--journal", f"{url}&sslrootcert={pg_tls.certificates.ca}", "right CA")
    assert trusted.returncode == 0 and trusted.stdout.strip().isdigit(), trusted.stderr


def test_a_bad_password_is_refused_as_a_sign_in_problem(pg_tls: Secured, tmp_path: Path) -> None:
    url = pg_tls.server.url(user=pg_tls.password_role) + "?sslmode=require"
    refused(warroom(tmp_path, "note", "--journal", url, "wrong password", PGPASSWORD="not it"),
            "refused the sign-in", "password authentication failed")
    assert not spooled_anything(tmp_path)
    right = warroom(tmp_path, "note", "--journal", url, "right password", PGPASSWORD=PASSWORD)
    assert right.returncode == 0, right.stderr


def test_a_host_name_that_does_not_resolve_is_refused(tmp_path: Path) -> None:
    result = warroom(tmp_path, "note", "--journal", "postgresql://ic@nonexistent.invalid/warroom", "typo")
    refused(result, "nonexistent.invalid", "does not resolve")
    assert not spooled_anything(tmp_path)


def test_a_role_without_grants_is_told_so(pg_server, journal_url: str, tmp_path: Path) -> None:
    pg_server.execute("DO $$ BEGIN CREATE ROLE mallory LOGIN; EXCEPTION WHEN duplicate_object THEN END $$")
    result = warroom(tmp_path, "note", "--journal", journal_url.replace("postgres@", "mallory@"), "hello")
    refused(result, "role mallory was not granted the journal", "--responder mallory")
    assert not spooled_anything(tmp_path)


def test_a_database_that_does_not_exist_is_refused(pg_server, tmp_path: Path) -> None:
    refused(warroom(tmp_path, "note", "--journal", pg_server.url(dbname="warroom_typo"), "x"),
            'database "warroom_typo" does not exist')


def test_the_first_contact_during_an_outage_is_refused_not_spooled(pg_server, journal_url: str,
                                                                   tmp_path: Path) -> None:
    """With no journal id known, an entry kept here could never be matched to the journal the URL names."""
    pg_server.stop()
    result = warroom(tmp_path, "note", "--journal", journal_url, "never reached")
    assert result.returncode != 0 and result.stdout == ""
    assert "never reached this journal" in result.stderr and "nothing was written" in result.stderr
    assert not spooled_anything(tmp_path)


def test_entries_spooled_under_one_spelling_are_uploaded_under_the_corrected_url(pg_server, journal_url: str,
                                                                                 tmp_path: Path) -> None:
    assert warroom(tmp_path, "note", "--journal", journal_url, "bridge open").returncode == 0
    pg_server.stop()
    during = warroom(tmp_path, "note", "--journal", journal_url, "typed during the outage")
    assert during.returncode == 0 and "provisional" in during.stderr
    pg_server.start()
    # The URL is corrected meanwhile (here: a parameter added): another spelling, the same journal.
    corrected = journal_url + "?application_name=warroom-fixed"
    after = warroom(tmp_path, "note", "--journal", corrected, "after the fix")
    assert after.returncode == 0, after.stderr
    assert "provisional 2 is entry 2" in after.stderr
    assert asyncio.run(shared_texts(journal_url)) == ["bridge open", "typed during the outage", "after the fix"]


async def test_entries_kept_for_one_journal_never_go_into_another_at_the_same_url(pg_server, journal_url: str,
                                                                                tmp_path: Path) -> None:
    async with await SharedJournal.open(journal_url, actor="ic", spool_dir=tmp_path) as journal:
        await journal.append("note", {"text": "for last week's journal"})
        pg_server.stop()
        await journal.append("note", {"text": "typed during the outage"})
        assert journal.pending == 1
    pg_server.start()
    name = journal_url.rsplit("/", 1)[1]
    pg_server.drop_database(name)
    await init_shared(pg_server.create_database(name))      # another journal now answers at that URL
    async with await SharedJournal.open(journal_url, actor="ic", spool_dir=tmp_path) as journal:
        assert journal.pending == 0
        await journal.append("note", {"text": "tonight"})
    assert await shared_texts(journal_url) == ["tonight"]


async def test_a_running_console_shows_why_a_reconnect_is_refused(pg_server, journal_url: str,
                                                                  tmp_path: Path) -> None:
    pg_server.execute("DO $$ BEGIN CREATE ROLE carol LOGIN; EXCEPTION WHEN duplicate_object THEN END $$")
    await init_shared(journal_url, responders=["carol"])
    async with await SharedJournal.open(journal_url.replace("postgres@", "carol@"), actor="carol",
                                        spool_dir=tmp_path) as journal:
        run_sql(journal_url, "REVOKE ALL ON warroom.entries, warroom.meta FROM carol",
                "REVOKE USAGE ON SCHEMA warroom FROM carol")
        pg_server.restart()                             # the connection goes; the next one is refused
        await journal.append("note", {"text": "kept meanwhile"})

        async def told() -> bool:
            return "was not granted the journal" in journal.setup_error

        deadline = asyncio.get_running_loop().time() + 30
        while not await told():
            assert asyncio.get_running_loop().time() < deadline, journal.unreachable_reason
            await asyncio.sleep(0.1)


# -- 18: setting up is the owner's deliberate act -----------------------------------------------------------------

def test_a_note_before_journal_init_says_to_run_it_and_creates_nothing(pg_server, pg_url: str,
                                                                       tmp_path: Path) -> None:
    # The superuser could create the schema: a note must not do it behind the owner's back.
    refused(warroom(tmp_path, "note", "--journal", pg_url, "first note"), "warroom journal init")
    assert not spooled_anything(tmp_path)

    async def has_schema() -> bool:
        import asyncpg

        conn = await asyncpg.connect(pg_url)
        try:
            return bool(await conn.fetchval("SELECT count(*) FROM pg_namespace WHERE nspname = 'warroom'"))
        finally:
            await conn.close()

    assert not asyncio.run(has_schema())


def test_journal_init_prints_every_statement_it_ran(pg_server, pg_url: str, tmp_path: Path) -> None:
    pg_server.execute("DO $$ BEGIN CREATE ROLE dave LOGIN; EXCEPTION WHEN duplicate_object THEN END $$")
    result = warroom(tmp_path, "journal", "init", pg_url, "--responder", "dave")
    assert result.returncode == 0, result.stderr
    for statement in ("CREATE SCHEMA IF NOT EXISTS warroom;", "CREATE TABLE warroom.entries (",
                      "CREATE TRIGGER entries_check_chain", "CREATE TRIGGER entries_refuse_update",
                      "REVOKE ALL ON ALL TABLES IN SCHEMA warroom FROM PUBLIC;",
                      "INSERT INTO warroom.meta(key, value) VALUES ('journal_id', ",
                      'GRANT SELECT, INSERT ON warroom.entries TO "dave";'):
        assert statement in result.stdout
    again = warroom(tmp_path, "journal", "init", pg_url)
    assert again.returncode == 0 and "CREATE" not in again.stdout and "nothing to do" in again.stdout


def test_errors_are_classified_without_a_server() -> None:
    """The classification itself, for the cases the servers above cannot stage."""
    import socket
    import ssl

    from warroom.console.journal import JournalMisconfigured, JournalUnreachable
    from warroom.console.journal.postgres import translate

    assert isinstance(translate(ConnectionRefusedError(111, "refused"), "db"), JournalUnreachable)
    assert isinstance(translate(socket.gaierror(socket.EAI_AGAIN, "Temporary failure"), "db"), JournalUnreachable)
    assert isinstance(translate(socket.gaierror(socket.EAI_NONAME, "Name or service not known"), "db"),
                      JournalMisconfigured)
    assert isinstance(translate(ssl.SSLEOFError(8, "EOF occurred"), "db"), JournalUnreachable)
    assert isinstance(translate(ConnectionError('server at "db" rejected SSL upgrade'), "db"), JournalMisconfigured)


# -- 17: what offline readers read ----------------------------------------------------------------------------------

def test_export_and_report_say_they_read_this_hosts_copy_and_how_old_it_is(pg_server, journal_url: str,
                                                                         tmp_path: Path) -> None:
    from ..test_session import declaration

    async def declare() -> None:
        async with await PostgresJournal.open(journal_url, actor="ic") as journal:
            await journal.append_many(declaration("INC-20261205-01"))

    asyncio.run(declare())
    env = {"WARROOM_JOURNAL": journal_url}
    assert warroom(tmp_path, "note", "--incident", "INC-20261205-01", "bridge open", **env).returncode == 0
    pg_server.stop()
    export = warroom(tmp_path, "journal", "export", **env)
    assert export.returncode == 0, export.stderr
    told = " ".join(export.stderr.split())
    assert "reading this host's copy of" in told and "not the database" in told
    assert "3 entries, up to date as of" in told and "anything written since is not in it" in told
    assert export.stdout.count("\n") == 3
    report = warroom(tmp_path, "report", "INC-20261205-01", **env)
    assert report.returncode == 0, report.stderr
    assert "reading this host's copy of" in report.stderr and "Mail flow down" in report.stdout
    pg_server.start()

    async def elsewhere() -> None:
        async with await PostgresJournal.open(journal_url, actor="comms") as journal:
            await journal.append("note", {"text": "from another host"}, incident="INC-20261205-01")

    asyncio.run(elsewhere())
    # Reachable again: the copy is brought up to date before it is read, and the line says so.
    fresh = warroom(tmp_path, "journal", "export", **env)
    assert fresh.returncode == 0 and "brought up to date just now: 4 entries" in " ".join(fresh.stderr.split())
    assert "from another host" in fresh.stdout


async def test_review_says_in_its_title_what_it_reads(tmp_path: Path) -> None:
    from warroom.console.journal import SQLiteJournal
    from warroom.screens.review import JournalBrowserApp

    path = tmp_path / "copy.db"
    async with await SQLiteJournal.open(path, actor="ic") as journal:
        await journal.append("note", {"text": "x"})
    app = JournalBrowserApp(path, source="this host's copy, up to date as of 2026-12-05 01:02 UTC (3 min ago)")
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert "this host's copy, up to date as of 2026-12-05 01:02 UTC" in app.sub_title
