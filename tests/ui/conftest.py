"""UI fixtures: a relative journal path (so snapshots do not show a temporary folder) and fixed time."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest


@pytest.fixture
def ui_journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TZ", "Europe/Paris")   # the local-time toggle is deterministic too
    return Path("journal.db")


@pytest.fixture
def app_for(ui_journal: Path):
    """Dashboards for snapshot tests (`scenes.build_app`'s keywords) on `ui_journal`, in local time read again; each
    app's journal is closed after the test."""
    from .scenes import build_app

    built = []

    def make(**kw):
        app = build_app(ui_journal, **kw)
        built.append(app)
        return app

    time.tzset()
    yield make
    for app in built:
        asyncio.run(app.warroom.close())


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
