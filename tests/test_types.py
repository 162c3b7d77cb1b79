"""mypy over the code (console/, screens/, widgets/): a type error anywhere in it fails the suite.

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
CHECKED = ("console", "screens", "widgets")     # data/ holds no Python of its own
BASE = REPO / ".venv" / "mypy"
PLANTED = '\n\ndef _planted() -> int:\n    return "not a number"\n'


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


def _mypy(*extra: str) -> tuple[int, str, str]:
    """mypy's exit status, its errors (paths from the repository root) and its stderr."""
    base = _package_links(BASE)
    packages = [arg for name in CHECKED for arg in ("-p", f"warroom.{name}")]
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(REPO / "pyproject.toml"),
         "--cache-dir", str(base / "cache"), "--no-color-output", "--no-error-summary", *extra, *packages],
        cwd=REPO, env={**os.environ, "MYPYPATH": str(base)}, capture_output=True, text=True, check=False,
    )
    errors = result.stdout.replace(f"{base}/warroom/", "").replace(f"{base.relative_to(REPO)}/warroom/", "").strip()
    return result.returncode, errors, result.stderr


@pytest.mark.slow
@pytest.mark.timeout(900)   # a first run, with no cache, checks Textual and msgraph's stubs too
def test_the_code_type_checks():
    status, errors, stderr = _mypy()
    assert status == 0 and not errors, f"mypy (exit {status}):\n{errors}\n{stderr}"


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_type_error_in_a_screen_or_a_widget_fails_the_check(tmp_path: Path):
    """The check reads the UI layer as closely as the core: an error planted in a screen and in a widget (mypy reads
    a copy in their place, the files stay as they are) is reported for each."""
    shadows: list[str] = []
    for module in ("screens/quit.py", "widgets/chart.py"):
        planted = tmp_path / module
        planted.parent.mkdir(exist_ok=True)
        planted.write_text((REPO / module).read_text(encoding="utf-8") + PLANTED, encoding="utf-8")
        shadows += ["--shadow-file", str(_package_links(BASE) / "warroom" / module), str(planted)]
    status, errors, stderr = _mypy(*shadows)
    assert status == 1, f"mypy (exit {status}):\n{errors}\n{stderr}"
    reported = {line.split(":")[0] for line in errors.splitlines() if "[return-value]" in line}
    assert reported == {"screens/quit.py", "widgets/chart.py"}, errors


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_list_row_is_read_as_its_own_type(tmp_path: Path):
    """A RowTable names its row type: a screen reading a field the selected row does not have is reported (rows typed
    `Any` let it through to a crash at 3 a.m.)."""
    planted = tmp_path / "dashboard.py"
    planted.write_text((REPO / "screens/dashboard.py").read_text(encoding="utf-8") + (
        "\n\ndef _planted(pane: HealthPane) -> str:\n"
        "    row = pane.selected\n"
        "    return row.title if row is not None else ''\n"), encoding="utf-8")
    status, errors, stderr = _mypy("--shadow-file", str(_package_links(BASE) / "warroom/screens/dashboard.py"),
                                   str(planted))
    assert status == 1, f"mypy (exit {status}):\n{errors}\n{stderr}"
    assert '"HealthRow" has no attribute "title"' in errors, errors
