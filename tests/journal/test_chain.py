"""The canonical encoding and the hash chain: every change to a stored entry is caught, at the right entry."""

from __future__ import annotations

import json
import math
import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from warroom.console.journal import GENESIS, canonical_json, verify_file
from warroom.console.journal.encoding import canonical_entry, chain_hash, genesis_for

from .journal_tools import COLUMNS, build, restore_triggers, row, stored_journal_id, tamper

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


# -- the canonical encoding ----------------------------------------------------------------------


def test_canonical_json_is_compact_sorted_and_keeps_unicode() -> None:
    assert canonical_json({"b": 1, "a": ["é", None]}) == '{"a":["é",null],"b":1}'


def test_canonical_json_refuses_nan() -> None:
    with pytest.raises(ValueError):
        canonical_json({"x": math.nan})


@given(json_values)
def test_canonical_json_is_a_fixed_point(value: object) -> None:
    """Encoding what was decoded gives the same text, so a stored body re-hashes identically."""
    text = canonical_json(value)
    assert canonical_json(json.loads(text)) == text


@given(st.dictionaries(st.text(max_size=8), json_values, min_size=2, max_size=6), st.randoms())
def test_canonical_json_ignores_key_order(body: dict, rng) -> None:
    items = list(body.items())
    rng.shuffle(items)
    assert canonical_json(dict(items)) == canonical_json(body)


def _fields(**changes: object) -> dict:
    fields = dict(
        seq=1, incident="INC-1", kind="note", actor="alex", occurred_at="2026-11-24T21:00:00.000Z",
        discovered_at="2026-11-24T21:01:00.000Z", logged_at="2026-11-24T21:02:00.000Z", origin=None,
        body_text='{"text":"hello"}',
    )
    fields.update(changes)
    return fields


@pytest.mark.parametrize(
    "change",
    [
        {"seq": 2}, {"incident": None}, {"incident": "INC-2"}, {"kind": "decision"}, {"actor": "alexa"},
        {"occurred_at": "2026-11-24T21:00:00.001Z"}, {"discovered_at": "2026-11-24T21:01:01.000Z"},
        {"logged_at": "2026-11-24T21:02:00.000Z "}, {"origin": GENESIS}, {"body_text": '{"text":"hellO"}'},
        # A field boundary moved: the header is a JSON array, so values cannot leak into each other.
        {"kind": "note,alex", "actor": ""},
    ],
)
def test_every_field_changes_the_hash(change: dict) -> None:
    original = chain_hash(GENESIS, canonical_entry(**_fields()))
    assert chain_hash(GENESIS, canonical_entry(**_fields(**change))) != original


def test_the_previous_hash_is_part_of_the_hash() -> None:
    canonical = canonical_entry(**_fields())
    assert chain_hash(GENESIS, canonical) != chain_hash("1" * 64, canonical)


def test_stored_hashes_are_the_chain(journal_path: Path) -> None:
    """Entry 1 chains from the journal's own genesis: its id, kept outside the entries, is bound into the chain."""
    entries = build(journal_path, 5)
    prev = genesis_for(stored_journal_id(journal_path))
    for entry in entries:
        stored = row(journal_path, entry.seq)
        canonical = canonical_entry(
            seq=stored["seq"], incident=stored["incident"], kind=stored["kind"], actor=stored["actor"],
            occurred_at=stored["occurred_at"], discovered_at=stored["discovered_at"],
            logged_at=stored["logged_at"], origin=stored["origin"], body_text=stored["body"],
        )
        assert stored["prev_hash"] == prev
        assert stored["hash"] == entry.hash == chain_hash(prev, canonical)
        prev = entry.hash
    result = verify_file(journal_path)
    assert (result.ok, result.entries, result.head, result.warnings) == (True, 5, prev, ())


def test_an_empty_journal_verifies_with_the_genesis_head(journal_path: Path) -> None:
    build(journal_path, 0)
    result = verify_file(journal_path)
    assert (result.ok, result.entries, result.head) == (True, 0, GENESIS)


# -- changes to stored rows ------------------------------------------------------------------------

# One changed value per stored column (seq is covered by the renumbering tests below).
CHANGES = {
    "incident": "'INC-2'",
    "kind": "'decision'",
    "actor": "'mallory'",
    "occurred_at": "replace(occurred_at, 'T', 't')",
    "discovered_at": "'2020-01-01T00:00:00.000Z'",
    "logged_at": "replace(logged_at, 'Z', '+00:00')",  # the same moment, other bytes
    "origin": "'" + "f" * 64 + "'",
    "body": "replace(body, 'evil', 'good')",
    "prev_hash": "'" + "1" * 64 + "'",
    "hash": "'" + "a" * 64 + "'",
}


@pytest.mark.parametrize("column", sorted(CHANGES))
@pytest.mark.parametrize("seq", [1, 4, 7])
def test_a_changed_column_is_caught_at_its_entry(journal_path: Path, column: str, seq: int) -> None:
    build(journal_path, 7)
    before = row(journal_path, seq)
    tamper(journal_path, f"UPDATE entries SET {column} = {CHANGES[column]} WHERE seq = ?", [seq])
    assert row(journal_path, seq)[column] != before[column], "the test did not change anything"
    result = verify_file(journal_path)
    assert not result.ok
    assert result.bad_seq == seq
    assert result.entries == seq - 1
    assert any("entries_refuse_update" in warning for warning in result.warnings)


@pytest.mark.parametrize(
    ("column", "value"), [("body", "x'7b7d'"), ("actor", "x'00'"), ("incident", "42"), ("occurred_at", "3.5")]
)
def test_a_field_of_the_wrong_type_is_caught(journal_path: Path, column: str, value: str) -> None:
    """A BLOB or a number where text was: reported as a broken entry, never a crash."""
    build(journal_path, 3)
    tamper(journal_path, f"UPDATE entries SET {column} = {value} WHERE seq = 2")
    result = verify_file(journal_path)
    assert (result.ok, result.bad_seq) == (False, 2)


def test_a_deleted_middle_entry_is_named(journal_path: Path) -> None:
    build(journal_path, 6)
    tamper(journal_path, "DELETE FROM entries WHERE seq = 3")
    result = verify_file(journal_path)
    assert (result.ok, result.bad_seq, result.entries) == (False, 3, 2)
    assert "missing" in result.reason
    assert any("entries_refuse_delete" in warning for warning in result.warnings)


def test_a_deleted_first_entry_is_named(journal_path: Path) -> None:
    build(journal_path, 4)
    tamper(journal_path, "DELETE FROM entries WHERE seq = 1")
    assert verify_file(journal_path).bad_seq == 1


def test_a_renumbered_middle_section_is_caught(journal_path: Path) -> None:
    """Deleting entry 3 and renumbering the rest to close the gap still breaks the chain at 3."""
    build(journal_path, 6)
    tamper(journal_path, "DELETE FROM entries WHERE seq = 3")
    for seq in (4, 5, 6):
        tamper(journal_path, "UPDATE entries SET seq = seq - 1 WHERE seq = ?", [seq])
    result = verify_file(journal_path)
    assert (result.ok, result.bad_seq) == (False, 3)


def test_an_entry_renumbered_to_zero_is_caught(journal_path: Path) -> None:
    build(journal_path, 3)
    tamper(journal_path, "UPDATE entries SET seq = 0 WHERE seq = 2")
    result = verify_file(journal_path)
    assert not result.ok
    assert result.bad_seq == 0


def test_a_deleted_tail_needs_the_recorded_head(journal_path: Path) -> None:
    """Cutting the last entries leaves a valid shorter chain: only a head recorded earlier reveals it."""
    entries = build(journal_path, 6)
    recorded = entries[-1].hash
    assert verify_file(journal_path, expect_head=recorded).ok
    tamper(journal_path, "DELETE FROM entries WHERE seq >= 5")
    restore_triggers(journal_path)      # a careful attacker leaves the protections as they were
    assert verify_file(journal_path).ok
    result = verify_file(journal_path, expect_head=recorded)
    assert (result.ok, result.bad_seq, result.entries) == (False, 5, 4)
    assert "not in the chain" in result.reason


def test_an_earlier_head_still_verifies_after_more_entries(journal_path: Path) -> None:
    entries = build(journal_path, 4)
    assert verify_file(journal_path, expect_head=entries[1].hash).ok
    assert not verify_file(journal_path, expect_head="e" * 64).ok


def test_swapped_entries_are_caught_at_the_first(journal_path: Path) -> None:
    build(journal_path, 6)
    tamper(journal_path, "UPDATE entries SET seq = -1 WHERE seq = 2")
    tamper(journal_path, "UPDATE entries SET seq = 2 WHERE seq = 5")
    tamper(journal_path, "UPDATE entries SET seq = 5 WHERE seq = -1")
    assert "note 5" in row(journal_path, 2)["body"]
    result = verify_file(journal_path)
    assert (result.ok, result.bad_seq) == (False, 2)


def test_a_naively_inserted_entry_is_caught_at_its_place(journal_path: Path) -> None:
    build(journal_path, 5)
    for seq in (5, 4, 3):
        tamper(journal_path, "UPDATE entries SET seq = seq + 1 WHERE seq = ?", [seq])
    forged = row(journal_path, 2)
    forged.update(seq=3, body='{"text":"all clear at 14:00"}', hash="b" * 64, prev_hash=forged["hash"])
    tamper(journal_path, f"INSERT INTO entries({', '.join(COLUMNS)}) VALUES ({','.join('?' * 11)})",
           [forged[c] for c in COLUMNS])
    result = verify_file(journal_path)
    assert (result.ok, result.bad_seq) == (False, 3)


def test_a_well_forged_insert_breaks_the_link_to_the_next_entry(journal_path: Path) -> None:
    """An attacker who re-hashes the forged entry still cannot fix the next entry's link without the head."""
    entries = build(journal_path, 5)
    for seq in (5, 4, 3):
        tamper(journal_path, "UPDATE entries SET seq = seq + 1 WHERE seq = ?", [seq])
    forged = row(journal_path, 2)
    forged.update(seq=3, body='{"text":"all clear at 14:00"}', prev_hash=entries[1].hash)
    forged["hash"] = chain_hash(forged["prev_hash"], canonical_entry(
        seq=3, incident=forged["incident"], kind=forged["kind"], actor=forged["actor"],
        occurred_at=forged["occurred_at"], discovered_at=forged["discovered_at"], logged_at=forged["logged_at"],
        origin=forged["origin"], body_text=forged["body"],
    ))
    tamper(journal_path, f"INSERT INTO entries({', '.join(COLUMNS)}) VALUES ({','.join('?' * 11)})",
           [forged[c] for c in COLUMNS])
    result = verify_file(journal_path)
    assert (result.ok, result.bad_seq) == (False, 4)
    assert "link" in result.reason


def test_a_rewritten_chain_is_caught_only_by_the_recorded_head(journal_path: Path) -> None:
    """The chain is unkeyed: a full rewrite is self-consistent, which is why `--head` exists."""
    original = build(journal_path, 3)
    rewritten = journal_path.with_name("rewritten.db")
    build(rewritten, 3, incident="INC-9")
    assert verify_file(rewritten).ok
    assert not verify_file(rewritten, expect_head=original[-1].hash).ok


def test_a_pristine_journal_has_no_warnings(journal_path: Path) -> None:
    build(journal_path, 2)
    assert verify_file(journal_path).warnings == ()


# -- properties: any single change anywhere ---------------------------------------------------------

MUTABLE = [c for c in COLUMNS if c != "seq"]


def _mutate(value: object, position: int, char: str) -> str:
    """Change one character of the stored text (or set a value where there was NULL)."""
    text = "" if value is None else str(value)
    if not text:
        return char
    index = position % len(text)
    replacement = char if char != text[index] else chr(ord(char) + 1)
    return text[:index] + replacement + text[index + 1 :]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    count=st.integers(min_value=1, max_value=6),
    target=st.integers(min_value=1, max_value=6),
    column=st.sampled_from(MUTABLE),
    position=st.integers(min_value=0, max_value=500),
    char=st.characters(min_codepoint=32, max_codepoint=0x2FFF, exclude_characters="\x7f"),
)
def test_any_single_change_is_caught_at_its_entry(
    count: int, target: int, column: str, position: int, char: str
) -> None:
    target = min(target, count)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "journal.db"
        build(path, count, origin_every=2)
        before = row(path, target)[column]
        changed = _mutate(before, position, char)
        tamper(path, f"UPDATE entries SET {column} = ? WHERE seq = ?", [changed, target])
        result = verify_file(path)
        assert not result.ok
        assert result.bad_seq == target
        assert result.entries == target - 1


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(count=st.integers(min_value=2, max_value=8), data=st.data())
def test_any_deleted_entry_is_caught_at_its_number(count: int, data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "journal.db"
        entries = build(path, count)
        gone = data.draw(st.integers(min_value=1, max_value=count))
        tamper(path, "DELETE FROM entries WHERE seq = ?", [gone])
        result = verify_file(path, expect_head=entries[-1].hash)
        assert not result.ok
        assert result.bad_seq == gone


@given(
    seq=st.integers(min_value=0, max_value=2**62),
    fields=st.lists(st.none() | st.text(), min_size=7, max_size=7),
    body=st.text(),
)
def test_the_fast_header_is_the_canonical_json_header(seq: int, fields: list, body: str) -> None:
    """canonical_entry builds the header by hand for speed; it must be byte for byte canonical_json's."""
    incident, kind, actor, occurred, discovered, logged, origin = fields
    expected = (canonical_json([seq, *fields]) + "\n" + body).encode("utf-8")
    if None in (kind, actor, occurred, discovered, logged):
        return  # not text where text is required: only the general encoder applies (covered below)
    assert canonical_entry(
        seq=seq, incident=incident, kind=kind, actor=actor, occurred_at=occurred, discovered_at=discovered,
        logged_at=logged, origin=origin, body_text=body,
    ) == expected


@pytest.mark.parametrize("odd", [{"seq": True}, {"kind": None}, {"actor": 7}, {"incident": 1.5}])
def test_odd_types_fall_back_to_the_general_encoder(odd: dict) -> None:
    fields = _fields(**odd)
    header = [fields[k] for k in ("seq", "incident", "kind", "actor", "occurred_at", "discovered_at",
                                  "logged_at", "origin")]
    assert canonical_entry(**fields) == (canonical_json(header) + "\n" + fields["body_text"]).encode()


def test_verify_on_a_callers_connection_gives_the_same_answer(journal_path: Path) -> None:
    """Review passes its own read-only connection: same verdict, and the connection is left open."""
    entries = build(journal_path, 5)
    conn = sqlite3.connect(f"file:{journal_path}?mode=ro", uri=True)
    try:
        result = verify_file(journal_path, connection=conn)
        assert (result.ok, result.entries, result.head) == (True, 5, entries[-1].hash)
        tamper(journal_path, "UPDATE entries SET actor = 'mallory' WHERE seq = 4")
        result = verify_file(journal_path, connection=conn, expect_head=entries[-1].hash)
        assert (result.ok, result.bad_seq) == (False, 4)
        assert conn.execute("SELECT count(*) FROM entries").fetchone() == (5,)
    finally:
        conn.close()
