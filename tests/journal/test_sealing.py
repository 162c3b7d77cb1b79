"""Sealing a page of drafts in one pass: each hash is still `chain_hash(prev, canonical_entry(...))`, a secret in
one of many texts is still refused by name, and the entries an append returns are the rows it wrote."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from warroom.console.journal import kinds
from warroom.console.journal.encoding import canonical_entry, canonical_json, chain_hash, genesis_for
from warroom.console.journal.errors import JournalError, SecretRefused
from warroom.console.journal.records import Draft, Entry, Written, prepare, prepare_many, seal
from warroom.console.timefmt import to_iso

NOW = datetime(2026, 12, 5, 18, 0, tzinfo=UTC)
text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)


def _expected(prepared, seq, prev, now):
    """The chain as `verify` reads it: canonical_entry and chain_hash, field by field."""
    rows = []
    for incident, kind, actor, occurred, discovered, origin, body_text in prepared:
        seq += 1
        occurred = occurred or now
        discovered = discovered or occurred
        fields = {"incident": incident, "kind": kind, "actor": actor, "occurred_at": to_iso(occurred),
                  "discovered_at": to_iso(discovered), "logged_at": to_iso(now), "origin": origin}
        digest = chain_hash(prev, canonical_entry(seq=seq, body_text=body_text, **fields))
        rows.append(digest)
        prev = digest
    return rows


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(st.tuples(st.none() | text, st.sampled_from([kinds.NOTE, kinds.OBSERVATION, "é"]), text,
                          st.none() | st.integers(0, 3), st.none() | text,
                          st.dictionaries(text, text | st.integers(), max_size=3)), min_size=1, max_size=8),
       st.integers(0, 10**6))
def test_seal_hashes_each_entry_as_verify_reads_it(drafts, seq):
    """Headers shared by many entries are written once: the hash of each is what canonical_entry and chain_hash
    give for it, whatever its incident, kind, actor, moments and origin (text, non-ASCII, None)."""
    prepared = [prepare(Draft(kind, body, incident, actor or "alex", NOW - timedelta(minutes=minutes)
                              if minutes is not None else None, None, origin), "alex")
                for incident, kind, actor, minutes, origin, body in drafts]
    prev = genesis_for("j")
    rows = seal(prepared, seq, prev, NOW)
    assert [row[-1] for row in rows] == _expected(prepared, seq, prev, NOW)
    assert [row[0] for row in rows] == list(range(seq + 1, seq + 1 + len(rows)))


def test_seal_refuses_a_head_that_is_not_hex_as_chain_hash_does():
    with pytest.raises(UnicodeEncodeError):
        chain_hash("é", b"x")
    with pytest.raises(UnicodeEncodeError):
        seal([prepare(Draft(kinds.NOTE, {"text": "x"}), "alex")], 0, "é", NOW)


def test_a_secret_in_one_of_many_given_texts_is_refused_by_name():
    """The texts are scanned together; a hit sends each body to the field walk, which names where it is."""
    bodies = [{"source": "alerts", "key": f"a{n}", "data": {"title": f"alert {n}"}} for n in range(300)]
    bodies[217]["data"]["description"] = "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
    drafts = [Draft(kinds.OBSERVATION, body, body_text=canonical_json(body)) for body in bodies]
    with pytest.raises(SecretRefused) as refused:
        prepare_many(drafts, "alex")
    assert "description" in str(refused.value)
    prepared = prepare_many(drafts[:217] + drafts[218:], "alex")
    assert [p.body_text for p in prepared] == [d.body_text for d in drafts[:217] + drafts[218:]]


def test_what_drafts_share_is_still_checked_for_each():
    """A page shares its fields, checked once; a draft that differs is checked on its own."""
    good = Draft(kinds.OBSERVATION, {"a": 1}, occurred_at=NOW)
    assert len(prepare_many([good] * 5, "alex")) == 5
    for bad, why in ((Draft(kinds.NOTE, {"a": 1}, occurred_at=NOW.replace(tzinfo=None)), "zone"),
                     (Draft(kinds.NOTE, {"a": 1}, actor="al\x00ex"), "NUL"),
                     (Draft("", {"a": 1}), "kind"),
                     (Draft(kinds.NOTE, ["a"]), "JSON object")):       # type: ignore[arg-type]
        with pytest.raises(JournalError, match=why):
            prepare_many([good, good, bad, good], "alex")


def test_written_entries_are_the_rows_made_entries_when_read():
    prepared = [prepare(Draft(kinds.NOTE, {"text": f"n{n}"}), "alex") for n in range(3)]
    rows = seal(prepared, 0, genesis_for("j"), NOW)
    written = Written(rows)
    assert len(written) == 3
    assert written._entries is None                 # nothing made until read
    assert written[1] == Entry.from_row(rows[1])
    assert list(written) == [Entry.from_row(row) for row in rows] == written
    assert written[1:] == [Entry.from_row(row) for row in rows[1:]]
    assert written[0] is written[0]                  # made once: a body parsed once
    assert [entry.body["text"] for entry in written] == ["n0", "n1", "n2"]
