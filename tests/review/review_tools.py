"""Journals for the review tests: a full incident written through the journal API, at fixed times."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from warroom.console.journal import Draft, kinds, open_journal
from warroom.console.journal import store as journal_store

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
HOSTILE = "<script>alert(1)</script> [bold]x[/bold] \x1b[2J *_`#|&"
INCIDENT = "INC-20261124-01"


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def incident_drafts(incident: str = INCIDENT, *, title: str = "Exchange Online mail flow stopped") -> list[Draft]:
    """Declare, assess, act, communicate, contain, resolve, review and close: every report section has data."""
    d: list[tuple[float, str, dict[str, Any], str]] = [
        (0, kinds.INCIDENT_DECLARED, {"title": title, "category": "service-outage", "services": ["Exchange"],
                                      "source": {"type": "service_issue", "id": "EX123",
                                                 "started": "2026-11-24T08:40:00.000Z"}}, "alex"),
        (2, kinds.INCIDENT_ROLE, {"role": "incident_commander", "person": "alex"}, "alex"),
        (3, kinds.INCIDENT_SEVERITY, {"severity": "SEV1", "factors": {"users": "all"},
                                      "reasoning": "All users cannot send or receive mail"}, "alex"),
        (4, kinds.INCIDENT_STATUS, {"status": "investigating"}, "alex"),

        (5, kinds.TASK_ADDED, {"task_id": "T1", "text": "Check message trace", "role": "service_owner"}, "alex"),
        (6, kinds.OBSERVATION, {"source": "serviceHealth", "key": "EX123", "digest": "a1",
                                "data": {"status": "investigating"}}, "warroom"),
        (8, kinds.DECISION, {"text": "Block the compromised sender", "reason": "spam wave from one account"}, "alex"),
        (9, kinds.ACTION, {"action": "block_sign_in", "target": "mallory@contoso.com",
                           "request": {"method": "PATCH", "url": "/users/x", "body": {"accountEnabled": False}},
                           "dry_run": False, "before": {"accountEnabled": True}, "after": {"accountEnabled": False},
                           "result": "ok", "request_id": "r-1"}, "sam"),
        (10, kinds.EVIDENCE, {"what": "inbox rules", "target": "mallory@contoso.com", "sha256": "00",
                              "content": {"rules": [{"name": HOSTILE}]}}, "sam"),
        (12, kinds.COMMS_SENT, {"audience": "staff", "update_kind": "initial", "text": "Mail is down. " + HOSTILE,
                                "channel": "teams"}, "casey"),
        (20, kinds.OBSERVATION, {"source": "serviceHealth", "key": "EX123", "digest": "a2",
                                 "data": {"status": "serviceRestored"}}, "warroom"),
        (21, kinds.INCIDENT_STATUS, {"status": "contained"}, "alex"),
        (22, kinds.TASK_UPDATED, {"task_id": "T1", "status": "done"}, "sam"),
        (45, kinds.COMMS_SENT, {"audience": "staff", "update_kind": "progress", "text": "Mail flowing again"},
         "casey"),
        (50, kinds.INCIDENT_STATUS, {"status": "resolved"}, "alex"),
        (55, kinds.REVIEW, {"item": "What went well", "text": "Fast containment " + HOSTILE}, "alex"),
        (56, kinds.REVIEW, {"item": "lessons_learned", "text": "Alert on outbound spikes"}, "alex"),
        (57, kinds.FOLLOW_UP, {"text": "Add outbound spam alert", "owner": "sam", "due": "2026-12-01"}, "alex"),
        (60, kinds.INCIDENT_CLOSED, {"summary": "Mail flow restored after blocking " + HOSTILE}, "alex"),
        # written up after the close, dated when they happened: the timeline shows the gap
        (4.5, kinds.INCIDENT_UPDATED, {"changes": {"impact": "2,000 mailboxes cannot send"}}, "alex"),
        (4.75, kinds.INCIDENT_LINKED, {"type": "support_case", "id": "MS-42", "title": "Premier case"}, "alex"),
    ]
    return [
        Draft(kind, body, incident, actor, occurred_at=at(minutes), discovered_at=at(minutes + 0.5))
        for minutes, kind, body, actor in d
    ]


class _FixedIds:
    """A new journal's id made from its path: its genesis, and so every hash, is the same each run."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def uuid4(self) -> uuid.UUID:
        return uuid.uuid5(uuid.NAMESPACE_URL, f"{self.path.parent.name}/{self.path.name}")


def write(path: Path, drafts: list[Draft], *, now: datetime = T0, actor: str = "alex") -> None:
    """Append drafts with the journal's clock and id frozen, so logged_at (and so every hash) is the same each run."""
    original, original_ids = journal_store.utc_now, journal_store.uuid
    journal_store.utc_now = lambda: now  # type: ignore[assignment]
    journal_store.uuid = _FixedIds(path)  # type: ignore[assignment]
    try:
        async def go() -> None:
            async with await open_journal(path, actor=actor) as journal:
                await journal.append_many(drafts)

        with ThreadPoolExecutor(1) as pool:  # callable from async tests too: its own loop, its own thread
            pool.submit(asyncio.run, go()).result()
    finally:
        journal_store.utc_now, journal_store.uuid = original, original_ids  # type: ignore[assignment]


def digests(path: Path) -> dict[str, str | None]:
    """SHA-256 of the journal and its -wal and -shm files (None when absent)."""
    result: dict[str, str | None] = {}
    for suffix in ("", "-wal", "-shm"):
        file = Path(f"{path}{suffix}")
        result[suffix or "db"] = hashlib.sha256(file.read_bytes()).hexdigest() if file.exists() else None
    return result
