"""UI fixtures: a relative journal path (so snapshots do not show a temporary folder) and fixed time."""

from __future__ import annotations

import time
from pathlib import Path

import pytest


@pytest.fixture
def ui_journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TZ", "Europe/Paris")   # the local-time toggle is deterministic too
    return Path("journal.db")


@pytest.fixture
def paris_time(monkeypatch: pytest.MonkeyPatch):
    """Local time is Europe/Paris, on every machine: what a test shows in local time is the same everywhere."""
    monkeypatch.setenv("TZ", "Europe/Paris")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
async def close_opened():
    """Each app a test opened (scenes.OPENED) closes its journal in the test's own event loop: no thread is left
    resolving a future of a loop that is gone."""
    from .scenes import OPENED

    yield
    while OPENED:
        await OPENED.pop().warroom.close()
