"""Observation entries: an object whole the first time, then merge patches of what changed, rebuilt by replay.

Replay must give back exactly the object Graph sent at every step (as JSON: 1, 1.0 and true differ), entries in
the older shape (every observation whole) must still replay, and a change whose base is not what was read is
never guessed at.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from warroom.console.graph import live
from warroom.console.graph.live import digest_of, restore_last_known
from warroom.console.journal import Draft, kinds, open_journal, verify_file
from warroom.console.journal.encoding import canonical_json
from warroom.console.journal_reader import JournalReader, knowledge_window
from warroom.console.observations import Replay, gone_body, make_patch, merge_patch, observation_body

SCALARS = st.none() | st.booleans() | st.integers(-2**53, 2**53) | st.floats(allow_nan=False, allow_infinity=False) \
    | st.text(max_size=8)
NAMES = st.sampled_from(["id", "status", "severity", "title", "evidence", "assignedTo", "classification", "a", "b"])
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(NAMES, inner, max_size=4),
                      max_leaves=12)
OBJECTS = st.dictionaries(NAMES, VALUES, max_size=8)


def _replayed(versions: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[Any]]:
    """Each version as an observation body against the one before (as the watcher writes them), replayed."""
    bodies, replay, rebuilt, previous = [], Replay(), [], None
    for data in versions:
        digest = digest_of(data)
        body = observation_body("alerts", "A1", digest, data, *(previous or (None, None)))
        bodies.append(body)
        rebuilt.append(replay.feed(body))
        previous = (data, digest)
    return bodies, rebuilt


@settings(max_examples=300, deadline=None)
@given(st.lists(OBJECTS, min_size=1, max_size=8))
def test_replay_gives_back_every_version_exactly(versions: list[dict[str, Any]]) -> None:
    bodies, rebuilt = _replayed(versions)
    assert "data" in bodies[0]
    for data, observed in zip(versions, rebuilt, strict=True):
        assert observed.known and observed.digest == digest_of(data)
        assert canonical_json(observed.data) == canonical_json(data)


@settings(max_examples=200, deadline=None)
@given(st.lists(OBJECTS, min_size=1, max_size=8), st.booleans())
def test_a_compact_replay_gives_back_what_a_plain_one_does(versions: list[dict[str, Any]], withheld: bool) -> None:
    """The restore's compact replay (objects kept pickled between observations) rebuilds every version, and says
    what it cannot rebuild, exactly as the plain one."""
    bodies, _ = _replayed(versions)
    if withheld:
        bodies.insert(1, {"source": "alerts", "key": "A1", "digest": "w", "data": {"withheld": "a secret"}})
    plain, compact = Replay(), Replay(compact=True)
    for body in bodies:
        expected, got = plain.feed(body), compact.feed(body)
        assert expected is not None and got is not None
        assert (got.digest, got.missing, got.known) == (expected.digest, expected.missing, expected.known)
        assert canonical_json(got.data) == canonical_json(expected.data)
    assert compact.objects.keys() == plain.objects.keys()


@settings(max_examples=200, deadline=None)
@given(OBJECTS, OBJECTS)
def test_a_patch_is_exact_and_smaller_or_there_is_none(old: dict[str, Any], new: dict[str, Any]) -> None:
    patch = make_patch(old, new)
    if patch is not None:
        assert canonical_json(merge_patch(old, patch)) == canonical_json(new)
        assert len(canonical_json(patch)) < len(canonical_json(new))


def test_a_change_holds_only_what_changed() -> None:
    old = {"id": "A1", "status": "new", "title": "x" * 500, "evidence": [{"user": "adele"}], "assignedTo": None}
    new = {**old, "status": "resolved", "classification": "truePositive"}
    body = observation_body("alerts", "A1", digest_of(new), new, old, digest_of(old))
    assert body["patch"] == {"status": "resolved", "classification": "truePositive"}
    assert body["base"] == digest_of(old) and "data" not in body


def test_what_a_merge_patch_cannot_say_is_journaled_whole() -> None:
    old = {"id": "A1", "assignedTo": "adele", "title": "x" * 500}
    unassigned = {**old, "assignedTo": None}              # RFC 7396 would read null as "remove the member"
    assert "data" in observation_body("alerts", "A1", "d2", unassigned, old, "d1")
    flipped = {**old, "title": 1}
    assert make_patch({**old, "title": True}, flipped) == {"title": 1}     # true and 1 are not the same JSON


def test_entries_in_the_older_shape_still_replay() -> None:
    replay = Replay()
    for status in ("new", "inProgress", "resolved"):
        replay.feed({"source": "alerts", "key": "A1", "digest": status, "data": {"id": "A1", "status": status}})
    assert replay.objects[("alerts", "A1")].data == {"id": "A1", "status": "resolved"}
    replay.feed(gone_body("alerts", "A1"))
    assert replay.objects[("alerts", "A1")].data is None and not replay.objects[("alerts", "A1")].missing


def test_a_change_without_its_base_is_not_guessed() -> None:
    replay = Replay()
    orphan = replay.feed({"source": "alerts", "key": "A1", "digest": "d2", "base": "d1", "patch": {"status": "x"}})
    assert orphan.data is None and "first sight" in orphan.missing
    replay.feed({"source": "alerts", "key": "A2", "digest": "d1", "data": {"id": "A2"}})
    other = replay.feed({"source": "alerts", "key": "A2", "digest": "d3", "base": "d9", "patch": {"status": "x"}})
    assert other.data is None and "another version" in other.missing
    replay.feed({"source": "alerts", "key": "A3", "digest": "d1", "data": {"id": "A3", "withheld": "a secret"}})
    after = replay.feed({"source": "alerts", "key": "A3", "digest": "d2", "base": "d1", "patch": {"status": "x"}})
    assert after.data is None and after.missing


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(OBJECTS, min_size=2, max_size=6))
@example(versions=[{}, {"status": None, "evidence": True}])     # last version not readable as an alert
def test_through_a_journal_the_chain_verifies_and_the_state_and_review_rebuild(tmp_path: Path,
                                                                                versions: list[dict[str, Any]]) -> None:
    path = tmp_path / f"{uuid.uuid4()}.db"
    versions = [{**data, "id": "A1"} for data in versions]
    bodies, _ = _replayed(versions)

    async def write() -> Any:
        journal = await open_journal(path, actor="test")
        try:
            await journal.append_many([Draft(kinds.OBSERVATION, body) for body in bodies])
            return await restore_last_known(journal)
        finally:
            await journal.close()

    state = asyncio.run(write())
    assert verify_file(path).ok
    if live._parse(live.SOURCES["alerts"], versions[-1]) is None:
        assert "A1" not in state.alerts        # not readable as an alert: the console shows it as live does, not at all
    else:
        assert canonical_json(dict(state.alerts["A1"].raw)) == canonical_json(versions[-1])
        assert state.digest("alerts", "A1") == digest_of(versions[-1])
    with JournalReader(path) as reader:
        knowledge = reader.knowledge_at("2099-01-01T00:00:00.000Z")
        assert [canonical_json(o.data) for o in knowledge.objects] == [canonical_json(versions[-1])]
        # everything the last object is rebuilt from, from its last whole observation on
        whole = max(i for i, body in enumerate(bodies) if "data" in body)
        assert [e.body for e in knowledge.chains] == [canonical_body(b) for b in bodies[whole:]]
        # an evidence window that starts after the changes still carries what rebuilds the object
        window = knowledge_window(reader, "2099-01-01T00:00:00.000Z", "2099-01-02T00:00:00.000Z")
        replay = Replay()
        for entry in window:
            replay.feed(entry.body)
        assert canonical_json(replay.objects[("alerts", "A1")].data) == canonical_json(versions[-1])


def canonical_body(body: dict[str, Any]) -> dict[str, Any]:
    import json

    return json.loads(canonical_json(body))
