"""`open_journal(location)`: the backend a location names, behind the one `Journal` interface.

A file path opens the embedded SQLite journal; a `postgresql://` URL the shared journal (its driver is imported
only then, so a responder on a file journal never pays for asyncpg).
"""

from __future__ import annotations

import os
from typing import Any

from .base import Journal, is_shared
from .store import SQLiteJournal


async def open_journal(location: str | os.PathLike[str], *, actor: str = "unknown", readonly: bool = False,
                       create: bool = True, **options: Any) -> Journal:
    """SQLiteJournal for a path, SharedJournal for a PostgreSQL URL (`options`: the shared journal's spool_dir)."""
    if is_shared(location):
        from .shared import SharedJournal

        return await SharedJournal.open(str(location), actor=actor, readonly=readonly, create=create, **options)
    return await SQLiteJournal.open(location, actor=actor, readonly=readonly, create=create)
