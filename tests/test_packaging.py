"""The wheel a responder installs: every package, every data file and stylesheet, and a working `warroom`."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FOLDERS = ("console", "widgets", "screens", "data")  # installed as warroom.<folder>
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".*", "build", "dist", "*.egg-info")


def _declared_packages() -> set[str]:
    return set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])


def _packages_on_disk() -> set[str]:
    found = set()
    for folder in FOLDERS:
        for init in (REPO / folder).rglob("__init__.py"):
            if "__pycache__" not in init.parts:
                found.add(".".join(("warroom", *init.parent.relative_to(REPO).parts)))
    return found


def _shipped_files() -> set[str]:
    """What must be in the wheel: every module, data file and stylesheet, as `warroom/...` paths."""
    wanted = set()
    for folder in FOLDERS:
        for path in (REPO / folder).rglob("*"):
            if not path.is_file() or "__pycache__" in path.parts or path.name.startswith("."):
                continue
            if path.suffix in (".py", ".tcss") or folder == "data":
                wanted.add("warroom/" + path.relative_to(REPO).as_posix())
    return wanted


def test_every_package_folder_is_declared() -> None:
    missing = _packages_on_disk() - _declared_packages()
    assert not missing, f"add to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build from a copy of the tree, offline, so the shared checkout gets no build/ folder."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    for folder in FOLDERS:
        shutil.copytree(REPO / folder, source / folder, ignore=SKIP)
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
         "-w", str(dist), str(source)],
        check=True, capture_output=True, timeout=300,
    )
    [built] = dist.glob("*.whl")
    return built


@pytest.mark.slow
def test_the_wheel_holds_every_module_data_file_and_stylesheet(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = _shipped_files() - names
    assert not missing, f"not in the wheel (check [tool.setuptools.package-data]): {sorted(missing)}"
    assert any(name.endswith(".dist-info/entry_points.txt") for name in names)


@pytest.mark.slow
def test_the_installed_wheel_runs_and_finds_its_data(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q",
         str(wheel)],
        check=True, capture_output=True, timeout=300,
    )
    # Dependencies come from the development venv, without its editable warroom (its .pth is not processed).
    site = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True, capture_output=True, text=True,
    ).stdout.strip())
    (site / "zz_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")

    version = subprocess.run([str(venv / "bin" / "warroom"), "--version"], capture_output=True, text=True)
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("warroom ")

    probe = (
        "import importlib.resources as r, warroom.console as c;"
        "print(c.__file__);"
        "print('\\n'.join(f + '/' + str(p.relative_to(r.files('warroom.' + f))) for f in ('data', 'screens', 'widgets')"
        " for p in r.files('warroom.' + f).rglob('*') if p.is_file() and '__pycache__' not in p.parts))"
    )
    shown = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=True).stdout.split("\n")
    assert shown[0].startswith(str(venv)), f"imported warroom from {shown[0]}, not from the wheel"
    found = {"warroom/" + line for line in shown[1:] if line}
    expected = {name for name in _shipped_files() if name.split("/")[1] in ("data", "screens", "widgets")}
    assert expected - found == set()
