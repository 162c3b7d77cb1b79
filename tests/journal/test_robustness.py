"""The journal under bad conditions: wrong files, newer schemas, locks, read-only media, full disks, secrets."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from warroom.console.journal import (
    Draft,
    JournalCorrupt,
    JournalFull,
    JournalLocked,
    JournalReadOnly,
    JournalTooNew,
    SecretRefused,
    open_journal,
    verify_file,
)
from warroom.console.journal import store as journal_store

from ..waiting import until
from .journal_tools import WARROOM, abuild, build, warroom


def _files(path: Path) -> dict[str, bytes]:
    """The bytes of the journal and any WAL/SHM files beside it, to prove nothing was touched."""
    return {p.name: p.read_bytes() for p in path.parent.iterdir() if p.name.startswith(path.name)}


async def _count(path: Path) -> int:
    async with await open_journal(path, readonly=True) as journal:
        return (await journal.stats()).entries


# -- files that are not (our) journals --------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [b"not a database, just a note\n" * 20, b"SQLite format 3\x00" + bytes(range(256)) * 16],
    ids=["text", "garbage-after-header"],
)
async def test_a_file_that_is_not_a_journal_is_refused_untouched(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "journal.db"
    path.write_bytes(content)
    with pytest.raises(JournalCorrupt) as caught:
        await open_journal(path)
    assert "\n" not in str(caught.value)
    assert str(path) in str(caught.value)
    with pytest.raises(JournalCorrupt):
        verify_file(path)
    assert _files(path) == {"journal.db": content}


def test_the_cli_says_so_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    path.write_text("hello")
    result = warroom("note", "--journal", str(path), "mailbox rule found")
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "not an SQLite file" in result.stderr
    assert path.read_text() == "hello"


async def test_another_applications_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE inventory (item TEXT)")
    conn.commit()
    conn.close()
    before = _files(path)
    with pytest.raises(JournalCorrupt, match="not a warroom journal"):
        await open_journal(path)
    assert _files(path) == before


async def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="is a folder"):
        await open_journal(tmp_path)


async def test_a_missing_journal_is_not_created_when_asked_not_to(tmp_path: Path) -> None:
    path = tmp_path / "nothing.db"
    with pytest.raises(Exception, match="no journal here"):
        await open_journal(path, create=False)
    assert not path.exists()


async def test_a_journal_from_a_newer_warroom_is_refused_untouched(journal_path: Path) -> None:
    await abuild(journal_path, 3)
    conn = sqlite3.connect(journal_path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = _files(journal_path)
    with pytest.raises(JournalTooNew, match="newer than this warroom") as caught:
        await open_journal(journal_path)
    assert "\n" not in str(caught.value)
    with pytest.raises(JournalTooNew):
        await open_journal(journal_path, readonly=True)
    with pytest.raises(JournalTooNew):
        verify_file(journal_path)
    result = warroom("note", "--journal", str(journal_path), "hello")
    assert result.returncode == 1 and "newer than this warroom" in result.stderr
    assert _files(journal_path) == before


# -- locks, read-only media and full disks ----------------------------------------------------------


async def test_a_locked_journal_waits_then_says_who_holds_it(
    journal_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await abuild(journal_path, 1)
    monkeypatch.setattr(journal_store, "BUSY_TIMEOUT_MS", 300)
    holder = sqlite3.connect(journal_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        async with await open_journal(journal_path) as journal:
            with pytest.raises(JournalLocked, match="locked by another process") as caught:
                await journal.append("note", {"text": "waiting on the lock"})
            assert "0.3 s" in str(caught.value)
            holder.execute("ROLLBACK")
            entry = await journal.append("note", {"text": "lock released"})
        assert entry.seq == 2
    finally:
        holder.close()
    assert verify_file(journal_path).ok


async def test_a_read_only_journal_writes_nothing(journal_path: Path) -> None:
    await abuild(journal_path, 2)
    async with await open_journal(journal_path, readonly=True) as journal:
        with pytest.raises(JournalReadOnly, match="read-only"):
            await journal.append("note", {"text": "x"})
        assert len(await journal.entries()) == 2


async def test_a_read_only_medium_is_a_clear_error(journal_path: Path) -> None:
    """What SQLite reports on a read-only mount, simulated with query_only (root ignores file modes)."""
    await abuild(journal_path, 2)
    async with await open_journal(journal_path) as journal:
        await journal._db.execute("PRAGMA query_only = 1")
        with pytest.raises(JournalReadOnly, match="nothing was written"):
            await journal.append("note", {"text": "x"})
    assert await _count(journal_path) == 2


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
async def test_a_read_only_folder_refuses_a_new_journal(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o500)
    try:
        with pytest.raises(JournalReadOnly):
            await open_journal(folder / "journal.db")
    finally:
        folder.chmod(0o700)


async def test_a_full_disk_loses_nothing_committed(journal_path: Path) -> None:
    await abuild(journal_path, 3)
    async with await open_journal(journal_path) as journal:
        pages = (await (await journal._db.execute("PRAGMA page_count")).fetchone())[0]
        await journal._db.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(JournalFull, match="disk is full") as caught:
            await journal.append("note", {"text": "x" * 200_000})
        assert "\n" not in str(caught.value)
        assert [e.seq for e in await journal.entries()] == [1, 2, 3]
        await journal._db.execute("PRAGMA max_page_count = 1073741823")
        entry = await journal.append("note", {"text": "space freed"})
    assert entry.seq == 4
    assert verify_file(journal_path).ok


async def test_new_journals_are_private(tmp_path: Path) -> None:
    path = tmp_path / "new" / "folder" / "journal.db"
    async with await open_journal(path) as journal:
        await journal.append("note", {"text": "declared SEV1"})
        for name in ("journal.db", "journal.db-wal", "journal.db-shm"):
            file = path.parent / name
            if file.exists():
                assert stat.S_IMODE(file.stat().st_mode) == 0o600, name
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


# -- secrets ----------------------------------------------------------------------------------------

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGV4QGNvbnRvc28uY29tIn0.c2lnbmF0dXJl"
SECRETS = {
    "password key": {"password": "Winter2026!"},
    "client_secret key": {"app": {"client_secret": "abc"}},
    "access_token key": {"access_token": "x"},
    "Authorization key": {"headers": {"Authorization": "anything"}},
    "api-key key": {"api-key": "k"},
    "JWT value": {"text": f"token was {JWT}"},
    "Bearer value": {"text": "curl -H 'Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123'"},
    "private key value": {"evidence": ["-----BEGIN RSA PRIVATE KEY-----\nMIIE..."]},
    "password= value": {"text": "login?user=alex&password=hunter22x"},
    "client_secret= value": {"url": "https://x/token?client_secret=s3cr3tvalue"},
    # The query-string pattern ignores case as Python's re does: a long s or a dotless i still spells it.
    "long-s password= value": {"text": "login?user=alex&pa\u017f\u017fword=hunter22x"},
    "long-s client_secret= value": {"url": "https://x/auth?client_\u017fecret=s3cr3tvalue"},
    # A key's words are ASCII: a Kelvin sign or a dotted capital I between two of them only separates them.
    "api-Kelvin-key key": {"api\u212akey": "k"},
    "api-dotted-I-key key": {"Api\u0130Key": "k"},
}
HARMLESS = {
    "plain note": {"text": "Exchange Online degraded; users see 5xx in OWA"},
    "password words": {"text": "password reset required for alex@contoso.com"},
    "bearer words": {"text": "the bearer of bad news is the service health dashboard"},
    "metadata keys": {"token_type": "Bearer", "tokens": 3, "password_reset_required": True, "secret_name": "kv1"},
    "empty secret fields": {"password": "", "client_secret": None},
    "short password=": {"text": "set password=short"},
}


@pytest.mark.parametrize("body", SECRETS.values(), ids=SECRETS.keys())
async def test_secret_shaped_fields_are_refused(journal_path: Path, body: dict) -> None:
    async with await open_journal(journal_path) as journal:
        with pytest.raises(SecretRefused, match="refused to journal body") as caught:
            await journal.append("note", body)
        assert "\n" not in str(caught.value)
        assert await journal.entries() == []


@pytest.mark.parametrize("body", HARMLESS.values(), ids=HARMLESS.keys())
async def test_ordinary_text_passes_the_secret_guard(journal_path: Path, body: dict) -> None:
    async with await open_journal(journal_path) as journal:
        entry = await journal.append("note", body)
    assert entry.body == body


async def test_a_refused_entry_in_a_batch_writes_none_of_it(journal_path: Path) -> None:
    from warroom.console.journal import Draft

    async with await open_journal(journal_path) as journal:
        with pytest.raises(SecretRefused, match=r"body\.nested\[1\]"):
            await journal.append_many(
                [Draft("note", {"text": "fine"}), Draft("note", {"nested": ["ok", f"jwt {JWT}"]})]
            )
        assert await journal.entries() == []


def test_the_cli_refuses_a_secret_in_one_line(journal_path: Path) -> None:
    result = warroom("note", "--journal", str(journal_path), f"found {JWT} in the logs")
    assert result.returncode == 1
    assert result.stderr.startswith("warroom: refused to journal body.text")
    assert "Traceback" not in result.stderr


# -- search and following other processes -------------------------------------------------------------


async def test_search_finds_body_words_incidents_and_actors(journal_path: Path) -> None:
    async with await open_journal(journal_path, actor="alex") as journal:
        await journal.append("note", {"text": "Inbox rule forwards to attacker"}, incident="INC-7")
        await journal.append("action", {"target": {"upn": "mallory@contoso.com"}, "result": "ok"})
        await journal.append("note", {"text": "Teams calls dropping in Europe"}, actor="sam")
        assert [e.seq for e in await journal.search("forwards")] == [1]
        assert [e.seq for e in await journal.search("inbox RULE")] == [1]
        assert [e.seq for e in await journal.search("mallory")] == [2]
        assert [e.seq for e in await journal.search("sam")] == [3]
        assert [e.seq for e in await journal.search("alex")] == [2, 1]
        assert [e.seq for e in await journal.search('"calls dropping"')] == [3]
        assert await journal.search("sharepoint") == []
        assert await journal.search("   ") == []
        assert [e.seq for e in await journal.search("teams")] == [3]


async def test_follow_sees_entries_another_process_writes(journal_path: Path) -> None:
    await abuild(journal_path, 2)
    async with await open_journal(journal_path) as journal:
        stream = journal.changes(interval=0.05)
        waiting = asyncio.ensure_future(anext(stream))
        await asyncio.sleep(0.2)            # time passes with nothing written: nothing may arrive
        assert not waiting.done()
        writer = await asyncio.create_subprocess_exec(
            str(WARROOM), "note", "--journal", str(journal_path),
            "written by another shell", stdout=asyncio.subprocess.PIPE,
        )
        printed, _ = await writer.communicate()
        assert printed.strip() == b"3"
        await asyncio.wait_for(waiting, timeout=30)  # generous: this is not a timing test
        assert [(e.seq, e.text) for e in await journal.entries(after=2)] == [(3, "written by another shell")]
        await stream.aclose()


@pytest.mark.parametrize(
    ("query", "expected"),
    [("14:02", [1]), ("(EU)", [2]), ('"sign-ins failing"', [1]), ("sign*", [1]), ('unbalanced "quote', [2])],
)
async def test_search_takes_fts_syntax_and_text_that_only_looks_like_it(
    journal_path: Path, query: str, expected: list[int]
) -> None:
    async with await open_journal(journal_path) as journal:
        await journal.append("note", {"text": "at 14:02 sign-ins failing"})
        await journal.append("note", {"text": "Teams (EU) unbalanced \"quote"})
        assert [e.seq for e in await journal.search(query)] == expected


def _page_size(path: Path) -> int:
    """The database's page size, from its header (offset 16, big-endian; 1 means 65536)."""
    with path.open("rb") as handle:
        handle.seek(16)
        size = int.from_bytes(handle.read(2), "big")
    return 65536 if size == 1 else size


@pytest.mark.parametrize("full", [False, True], ids=["quick", "full"])
def test_a_damaged_page_fails_verify_in_one_line(journal_path: Path, full: bool) -> None:
    """Disk damage rather than tampering: SQLite's own check (quick by default, --full for indexes) reports it."""
    asyncio.run(abuild(journal_path, 400))
    size, page_size = journal_path.stat().st_size, _page_size(journal_path)
    with journal_path.open("r+b") as handle:
        handle.seek(size // 2 // page_size * page_size)
        handle.write(b"\xde\xad\xbe\xef" * (page_size // 4))
    result = warroom("journal", "verify", str(journal_path), *(["--full"] if full else []))
    assert result.returncode == 1
    output = (result.stdout + result.stderr).strip()
    assert "integrity check failed" in output or "not a readable warroom journal" in output, output
    assert "Traceback" not in output and output.count("\n") == 0


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("eyJBbearERpasswordclient_secret=-BEGIN PRIVATEKY.aZ09 \n")), max_size=80)
    | st.sampled_from([f"x {JWT} y", "Authorization: BEARER abcdefghijklmnopqrstuvwxyz", "password=abcdefg"])
)
def test_the_secret_prefilter_never_hides_a_match(text: str) -> None:
    """The cheap `in` checks that skip the regexes must never skip a string a regex would refuse."""
    from warroom.console.journal.guard import _SECRET_VALUE, _may_hold_a_secret

    if any(pattern.search(text) for pattern, _ in _SECRET_VALUE):
        assert _may_hold_a_secret(text)


@pytest.mark.parametrize("page", [1, 2, 3])
def test_damaged_pages_never_show_a_traceback(journal_path: Path, page: int) -> None:
    """Whatever page is hit, every command answers in one line; verify never calls a damaged journal ok."""
    asyncio.run(abuild(journal_path, 400))
    page_size = _page_size(journal_path)
    with journal_path.open("r+b") as handle:
        handle.seek(page_size * page)
        handle.write(b"\xde\xad\xbe\xef" * (page_size // 4))
    for command in (["journal", "verify"], ["journal", "stats"], ["note", "after the damage"]):
        result = warroom(*command, "--journal", str(journal_path))
        assert "Traceback" not in result.stderr, (command, result.stderr)
        assert result.stderr.count("\n") <= 1, (command, result.stderr)
        if command[-1] == "verify":
            assert result.returncode == 1 and "\n" not in result.stdout.strip(), result.stdout


def _folder_state(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_reading_a_closed_journal_creates_and_changes_nothing(tmp_path: Path) -> None:
    """Offline review on another machine: verify and stats must not leave -wal/-shm files or touch a byte."""
    path = tmp_path / "copied" / "journal.db"
    build(path, 20)
    for extra in ("-wal", "-shm"):
        Path(f"{path}{extra}").unlink(missing_ok=True)
    before = _folder_state(path.parent)
    assert list(before) == ["journal.db"]

    assert warroom("journal", "verify", str(path)).returncode == 0
    assert warroom("journal", "stats", str(path)).returncode == 0

    assert _folder_state(path.parent) == before


@pytest.mark.parametrize(
    "key", ["accessToken", "refresh_token", "client_secret", "api_key", "X-Api-Key", "password", "privateKey"]
)
async def test_fields_named_for_a_secret_are_refused(journal_path: Path, key: str) -> None:
    async with await open_journal(journal_path) as journal:
        with pytest.raises(SecretRefused, match=key):
            await journal.append("note", {"details": {key: "value"}})
        assert (await journal.head())[0] == 0


@pytest.mark.parametrize(
    "key", ["token_expiry", "checks_passed", "bypass_mfa", "credentialType", "tokenIssuerType", "passwordPolicies"]
)
async def test_fields_that_only_describe_a_secret_are_kept(journal_path: Path, key: str) -> None:
    """Graph's sign-in and user records use these names; refusing them would lose evidence."""
    async with await open_journal(journal_path) as journal:
        entry = await journal.append("note", {"details": {key: "value"}})
        assert entry.body["details"][key] == "value"


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(
        alphabet=st.sampled_from(list("eyJBbearERpasswordclientsecret_=-BEGIN PRIVATEKYtokenapi.aZ09 \n\"\\\x01é"
                                      "\u017f\u0131\u0130\u212a\u0307")),
        max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.text(alphabet=st.sampled_from(list("apiKeyaccessTokenPasswordSecretSASsa_d-x\x01\"\\ \u212a\u0130é")),
                max_size=16)
        | st.builds("".join, st.lists(st.sampled_from(["api", "Private", "ACCESS", "account", "shared", "signing",
                                                       "Key", "KEY", "key", "_", "\x01", "\\", "\"", "x", "9",
                                                       "\u212a", "\u0130", "é"]),
                                      max_size=5)),
        children, max_size=4),
    max_leaves=20)


@settings(max_examples=400, deadline=None)
@given(_JSON_VALUES | st.sampled_from([{"accessToken": "x"}, {"api_key": 1}, {"b": ["Bearer " + "a" * 25]},
                                       {"c": f"x {JWT} y"}, {"SAS": "y"}, {"d": "-----BEGIN RSA PRIVATE KEY-----"},
                                       {"accountKey": "v"}, {"x": [{"signing\\key": 1}]}, {"SHARED\x01KEY": "k"},
                                       {"api\u212akey": 1}, {"u": "?client_\u017fecret=abcdefgh"},
                                       {"t": "pa\u017f\u017fword=abcdefg"}]))
def test_the_text_prefilter_never_lets_a_secret_through(value):
    """A value the field walk refuses always trips the one-pass check of its JSON text (so it is walked)."""
    from warroom.console.journal.encoding import canonical_json
    from warroom.console.journal.errors import SecretRefused
    from warroom.console.journal.guard import _text_may_hold_a_secret, refuse_secrets

    try:
        refuse_secrets(value)
    except SecretRefused:
        assert _text_may_hold_a_secret(canonical_json(value))
        with pytest.raises(SecretRefused):
            refuse_secrets(value, text=canonical_json(value))


async def test_a_cancelled_append_never_leaves_the_write_open(journal_path: Path) -> None:
    """A screen closing mid-write cancels its append: the write finishes or rolls back, never stays open."""
    async with await open_journal(journal_path) as journal:
        drafts = [Draft("note", {"text": f"line {n} " + "x" * 200}) for n in range(3000)]
        writing = asyncio.create_task(journal.append_many(drafts))
        await until(None, lambda: journal._db.in_transaction, "the append to start its transaction", every=0.001)
        writing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await writing
        after = await journal.append("note", {"text": "after the cancel"})
        assert not journal._db.in_transaction
        assert after.seq in (1, len(drafts) + 1)
    assert (await asyncio.to_thread(verify_file, journal_path)).ok
