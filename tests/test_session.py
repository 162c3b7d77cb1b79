"""The war-room session: journal first, fold once, and ids that two consoles can never both claim."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from warroom.console.config import load_config
from warroom.console.incidents import incident_unclaimed
from warroom.console.journal import Draft, JournalConflict, kinds
from warroom.console.session import WarRoom


def declaration(incident_id: str) -> list[Draft]:
    return [
        Draft(kinds.INCIDENT_DECLARED, {"title": "Mail flow down", "category": "service-outage"}, incident_id),
        Draft(kinds.TASK_ADDED, {"task_id": "T1", "text": "Check service health"}, incident_id),
    ]


async def open_session(journal_path: Path) -> WarRoom:
    return await WarRoom.open(load_config(overrides={"journal": str(journal_path)}))


async def test_overlapping_catch_ups_fold_each_entry_once(journal_path: Path) -> None:
    console, other = await open_session(journal_path), await open_session(journal_path)
    try:
        incident_id = await console.record_new_incident(declaration)
        seen: list[int] = []
        console.listeners.append(lambda entries: seen.extend(e.seq for e in entries))
        # Another console links an alert and sends an update; ours catches up twice at the same moment.
        await other.journal.append(kinds.INCIDENT_LINKED, {"type": "alert", "id": "da1"}, incident=incident_id)
        await other.journal.append(kinds.COMMS_SENT, {"audience": "stakeholders", "text": "x"}, incident=incident_id)
        await asyncio.gather(console.catch_up(), console.catch_up(), console.catch_up())

        incident = console.book.incidents[incident_id]
        assert len(incident.links) == 1
        assert len(incident.updates_sent) == 1
        assert len(seen) == len(set(seen)) == 2
    finally:
        await console.close()
        await other.close()


async def test_a_catch_up_passes_over_graph_observations_and_tells_the_rest_in_order(journal_path: Path,
                                                                                     monkeypatch) -> None:
    """A first poll of a large tenant journals thousands of observations: the console reads back only what the
    book folds or a screen shows, in batches, and still counts every entry as read."""
    from warroom.console import session

    monkeypatch.setattr(session, "CATCH_UP_BATCH", 3)
    console, watcher = await open_session(journal_path), await open_session(journal_path)
    try:
        incident_id = await console.record_new_incident(declaration)
        told: list[tuple[int, str]] = []
        console.listeners.append(lambda entries: told.extend((e.seq, e.kind) for e in entries))
        observations = [Draft(kinds.OBSERVATION, {"source": "alerts", "key": f"da{n}", "digest": "d", "data": {}})
                        for n in range(500)]
        await watcher.journal.append_many(observations[:250])
        notes = [Draft(kinds.NOTE, {"text": f"note {n}"}, incident_id) for n in range(7)]
        await watcher.journal.append_many([*notes[:4], *observations[250:], *notes[4:]])
        await console.catch_up()
        head, _ = await console.journal.head()
        assert [kind for _, kind in told] == [kinds.NOTE] * 7
        assert [seq for seq, _ in told] == sorted(seq for seq, _ in told)
        assert console.book.last_seq == head
        await console.catch_up()
        assert len(told) == 7          # nothing twice
    finally:
        await console.close()
        await watcher.close()


async def test_two_consoles_declaring_at_once_get_different_ids(journal_path: Path) -> None:
    first, second = await open_session(journal_path), await open_session(journal_path)
    try:
        ids = await asyncio.gather(*(s.record_new_incident(declaration) for s in [first, second] * 4))
        assert len(set(ids)) == 8
        await first.catch_up()
        assert sorted(first.book.incidents) == sorted(ids)
        assert all(len(i.tasks) == 1 for i in first.book.incidents.values())
    finally:
        await first.close()
        await second.close()


async def test_a_taken_incident_id_is_refused_and_nothing_is_written(journal_path: Path) -> None:
    session = await open_session(journal_path)
    try:
        incident_id = await session.record_new_incident(declaration)
        head = await session.journal.head()
        with pytest.raises(JournalConflict):
            await session.journal.append_many(declaration(incident_id), guard=incident_unclaimed(incident_id))
        assert await session.journal.head() == head
    finally:
        await session.close()


async def test_tasks_added_from_two_consoles_keep_their_own_ids(journal_path: Path) -> None:
    first, second = await open_session(journal_path), await open_session(journal_path)
    try:
        incident_id = await first.record_new_incident(declaration)
        await second.catch_up()

        def task(text: str):
            return lambda task_id: Draft(kinds.TASK_ADDED, {"task_id": task_id, "text": text}, incident_id)

        ids = await asyncio.gather(*(s.record_new_task(incident_id, task(f"step {n}"))
                                     for n, s in enumerate([first, second] * 3)))
        assert len(set(ids)) == 6
        await first.catch_up()
        assert len(first.book.incidents[incident_id].tasks) == 7
    finally:
        await first.close()
        await second.close()
