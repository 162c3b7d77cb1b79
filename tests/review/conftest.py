"""Review fixtures: a journal holding one whole incident, and its evidence bundle.

A test module that needs more in its journal defines its own `journal`; `bundle` then exports that one."""

from __future__ import annotations

from pathlib import Path

import pytest
from warroom.console.cli import main

from .review_tools import INCIDENT, incident_drafts, write


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    """A journal file holding one whole incident (review_tools.incident_drafts), written at fixed times."""
    path = tmp_path / "journal.db"
    write(path, incident_drafts())
    return path


@pytest.fixture
def bundle(journal: Path, tmp_path: Path) -> Path:
    """The incident's evidence bundle, exported from `journal` as a responder would (`warroom evidence export`)."""
    out = tmp_path / "evidence.zip"
    assert main(["--journal", str(journal), "evidence", "export", INCIDENT, "-o", str(out)]) == 0
    return out
