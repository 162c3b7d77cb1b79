"""UI fixtures: a relative journal path (so snapshots do not show a temporary folder) and fixed time."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def ui_journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TZ", "Europe/Paris")   # the local-time toggle is deterministic too
    return Path("journal.db")
