"""War-room sessions over the shared journal: several consoles, one incident record, an outage in the middle."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from warroom.console.config import load_config
from warroom.console.journal import Draft, kinds
from warroom.console.session import WarRoom

from ..test_session import declaration

pytestmark = pytest.mark.slow


async def open_console(url: str, host: Path, responder: str) -> WarRoom:
    config = load_config(overrides={"journal": url, "shared.local_copy": str(host), "responder": responder})
    return await WarRoom.open(config)


async def follow_until(room: WarRoom, check, within: float = 30.0) -> None:
    """What the console's follower does: catch up whenever the journal says something changed."""
    async def run() -> None:
        async for _ in room.journal.changes():
            await room.catch_up()
            if check():
                return

    if not check():
        await asyncio.wait_for(run(), timeout=within)


async def test_consoles_on_two_hosts_share_one_incident(journal_url: str, tmp_path: Path) -> None:
    ic = await open_console(journal_url, tmp_path / "ic-host", "ic")
    comms = await open_console(journal_url, tmp_path / "comms-host", "comms")
    try:
        incident_id = await ic.record_new_incident(declaration)
        await follow_until(comms, lambda: incident_id in comms.book.incidents)
        await comms.record(kinds.COMMS_SENT, {"audience": "stakeholders", "text": "update 1"}, incident=incident_id)
        await follow_until(ic, lambda: len(ic.book.incidents[incident_id].updates_sent) == 1)
        # Both consoles declaring at once still get different ids from the one shared journal.
        ids = await asyncio.gather(ic.record_new_incident(declaration), comms.record_new_incident(declaration))
        assert len(set(ids)) == 2
    finally:
        await ic.close()
        await comms.close()


async def test_an_outage_mid_incident_loses_nothing_and_the_book_is_rebuilt(pg_server, journal_url: str,
                                                                            tmp_path: Path) -> None:
    ic = await open_console(journal_url, tmp_path / "ic-host", "ic")
    eng = await open_console(journal_url, tmp_path / "eng-host", "exchange-eng")
    rebuilt: list[int] = []
    ic.rebuild_listeners.append(lambda: rebuilt.append(ic.book.last_seq))
    try:
        incident_id = await ic.record_new_incident(declaration)
        await follow_until(eng, lambda: incident_id in eng.book.incidents)
        pg_server.stop()
        # The commander keeps working: a decision and a new task, journaled locally, shown at once.
        await ic.record(kinds.DECISION, {"text": "fail over to the DR connector"}, incident=incident_id)
        task_id = await ic.record_new_task(
            incident_id, lambda t: Draft(kinds.TASK_ADDED, {"task_id": t, "text": "open a case"}, incident_id))
        assert ic.journal.unreachable_since is not None
        assert task_id in ic.book.incidents[incident_id].tasks
        pg_server.start()
        # The engineer's console, also back, writes a note: the commander's spool lands after it or before it.
        await follow_until(ic, lambda: ic.journal.pending == 0 and bool(rebuilt))
        assert task_id in ic.book.incidents[incident_id].tasks       # rebuilt from the shared numbering
        await follow_until(eng, lambda: task_id in eng.book.incidents[incident_id].tasks)
        shown = [e.kind for e in await eng.journal.entries(incident=incident_id)]
        assert shown.count(kinds.DECISION) == 1 and shown.count(kinds.TASK_ADDED) == 2
        assert (await eng.journal.verify()).ok
    finally:
        await ic.close()
        await eng.close()


async def test_an_action_seen_by_consoles_on_two_hosts_ticks_its_task_once(journal_url: str, tmp_path: Path) -> None:
    """The shared journal claims each task.ticked under its append lock: both consoles settle at once, one tick."""
    ic = await open_console(journal_url, tmp_path / "ic-host", "ic")
    eng = await open_console(journal_url, tmp_path / "eng-host", "eng")
    try:
        incident_id = await ic.record_new_incident(lambda i: [
            *declaration(i), Draft(kinds.TASK_ADDED, {"task_id": "T2", "text": "Block the account",
                                                      "action": "block_sign_in"}, i)])
        await follow_until(eng, lambda: incident_id in eng.book.incidents)
        done = await eng.journal.append(kinds.ACTION, {"action": "block_sign_in", "target": "a@x", "result": "ok"},
                                        incident=incident_id)
        # Both fold the action before either ticks, then both try to tick T2 at the same moment.
        for room in (ic, eng):
            room._settling = True           # what a console in the middle of its own settling looks like
            await room.catch_up()
            await follow_until(room, lambda room=room: "T2" in room.book.incidents[incident_id].due_ticks)
            room._settling = False
        assert sum(await asyncio.gather(ic.settle_tasks(), eng.settle_tasks())) == 1
        for room in (ic, eng):
            await room.catch_up()
            await follow_until(room, lambda room=room: room.book.incidents[incident_id].tasks["T2"].done)
        ticks = [e for e in await eng.journal.entries(incident=incident_id) if e.kind == kinds.TASK_TICKED]
        assert [t.body for t in ticks] == [{"task_id": "T2", "by": {"entry": done.seq, "kind": "action",
                                                                    "what": "block_sign_in a@x succeeded"}}]
        for room in (ic, eng):
            task = room.book.incidents[incident_id].tasks["T2"]
            assert task.ticked_by == {"entry": done.seq, "kind": "action", "what": "block_sign_in a@x succeeded"}
        assert (await ic.journal.verify()).ok
    finally:
        await ic.close()
        await eng.close()
