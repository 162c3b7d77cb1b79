"""The layering as a contract: import-linter's contracts in pyproject.toml ([tool.importlinter]) hold.

console/ is headless (no Textual, screens or widgets, but for the console commands' lazy entry points), widgets
import no screens, dependencies point one way (screens, widgets, console, data) and no package has an import
circle. lint-imports reads the `warroom` package from its files, and the editable install maps the repository's
folders onto it (package-dir), which lint-imports cannot walk; so each check lays the folders out as the installed
package in a temporary folder and runs lint-imports there, on the same configuration a developer reads.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PYPROJECT = REPO / "pyproject.toml"
FOLDERS = ("console", "widgets", "screens", "data")
CONTRACTS = {c["id"]: c["name"] for c in tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"]}


def _code_only(folder: str, names: list[str]) -> list[str]:
    return [n for n in names if n == "__pycache__" or (Path(folder, n).is_file() and not n.endswith(".py"))]


def lay_out(root: Path) -> Path:
    """The repository's code folders as the package `warroom` under `root`: what the wheel installs."""
    package = root / "warroom"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for folder in FOLDERS:
        shutil.copytree(REPO / folder, package / folder, ignore=_code_only)
    return package


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports with the project's contracts, on the `warroom` laid out under `root`."""
    command = [str(Path(sys.executable).with_name("lint-imports")), str(PYPROJECT), "--no-cache"]
    env = {**os.environ, "PYTHONPATH": str(root), "NO_COLOR": "1"}
    return subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=120)


def test_the_contracts_hold(tmp_path: Path) -> None:
    lay_out(tmp_path)
    result = lint_imports(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    for name in CONTRACTS.values():
        assert f"{name} KEPT" in result.stdout


# A module added to the laid-out package: (where, source, the contracts it breaks). An import up the layers is a
# circle too (the higher layer imports the lower one already).
BAD_SAMPLES = {
    "console imports textual": ("console/sample.py", "from textual.app import App\n", ["headless"]),
    "console imports a screen, inside a function": (
        "console/sample.py", "def run():\n    from ..screens.app import WarroomApp\n",
        ["headless", "layers", "no-circles"]),
    "console imports a widget": ("console/journal/sample.py", "from ...widgets import banner\n",
                                 ["headless", "layers", "no-circles"]),
    "a widget imports a screen": ("widgets/sample.py", "from ..screens import quit\n",
                                  ["widgets-below-screens", "layers", "no-circles"]),
    "data imports console": ("data/sample.py", "from ..console import text\n", ["layers", "no-circles"]),
    "an import circle": ("console/sim/sample.py", "from . import server\n", ["no-circles"]),
}


@pytest.mark.parametrize("sample", BAD_SAMPLES, ids=str)
def test_a_broken_contract_fails_the_check(sample: str, tmp_path: Path) -> None:
    where, source, broken = BAD_SAMPLES[sample]
    package = lay_out(tmp_path)
    (package / where).write_text(source)
    if sample == "an import circle":   # the server reaches the sample: a circle of two modules
        server = package / "console/sim/server.py"
        server.write_text(server.read_text() + "\nfrom . import sample  # noqa: E402\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0, result.stdout
    for contract_id, name in CONTRACTS.items():
        assert f"{name} {'BROKEN' if contract_id in broken else 'KEPT'}" in result.stdout, result.stdout
