"""mypy over the headless core (console/): a type error anywhere in it fails the suite.

The settings are `[tool.mypy]` in pyproject.toml. The repository's folders are installed as `warroom.console`,
`warroom.screens`… (package-dir), which mypy cannot follow through the editable install's import hook, so it reads
them through a `warroom/` folder of links to them. Its cache sits beside that folder in .venv: a second run only
re-checks what changed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("console", "screens", "widgets", "data")


def _package_links(base: Path) -> Path:
    """`base/warroom/<folder>` -> the repository's folder, for each installed package."""
    root = base / "warroom"
    root.mkdir(parents=True, exist_ok=True)
    for name in PACKAGES:
        link = root / name
        if link.is_symlink() and link.resolve() == (REPO / name).resolve():
            continue
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(REPO / name, target_is_directory=True)
    return base


@pytest.mark.slow
@pytest.mark.timeout(900)   # a first run, with no cache, checks Textual and msgraph's stubs too
def test_the_headless_core_type_checks():
    base = _package_links(REPO / ".venv" / "mypy")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(REPO / "pyproject.toml"),
         "--cache-dir", str(base / "cache"), "--no-color-output", "--no-error-summary", "-p", "warroom.console"],
        cwd=REPO, env={**os.environ, "MYPYPATH": str(base)}, capture_output=True, text=True, check=False,
    )
    errors = result.stdout.replace(f"{base}/warroom/", "").replace(f"{base.relative_to(REPO)}/warroom/", "").strip()
    assert result.returncode == 0 and not errors, f"mypy (exit {result.returncode}):\n{errors}\n{result.stderr}"
