"""Files warroom writes (exports, reports, evidence bundles, saved messages): private, whole, never via a symlink.

Each is written to a private temporary file (0600) beside its destination and renamed onto it only when
complete: a reader never sees half a file, an existing file's looser mode is not kept, and a symlink planted
at the destination is replaced, never followed. Folders warroom creates for its data are 0700, every level.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


def private_folder(folder: str | os.PathLike[str]) -> Path:
    """The folder, creating each missing level 0700 (Path.mkdir gives the parents it makes the umask's mode)."""
    folder = Path(folder).expanduser()
    missing = []
    for level in (folder, *folder.parents):
        if level.exists():
            break
        missing.append(level)
    for level in reversed(missing):
        with contextlib.suppress(FileExistsError):   # another process made it first
            level.mkdir(mode=0o700)
    return folder


def _temporary(path: Path) -> tuple[int, str]:
    if path.is_dir():
        raise IsADirectoryError(21, "is a folder, not a file", str(path))
    return tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)


def _open(fd: int, mode: str) -> IO[Any]:
    return os.fdopen(fd, mode) if "b" in mode else os.fdopen(fd, mode, encoding="utf-8", newline="")


@contextlib.contextmanager
def private_output(path: str | os.PathLike[str], mode: str = "w") -> Iterator[IO[Any]]:
    """Write `path` whole and private: a 0600 temporary file, renamed onto the path once the block succeeds."""
    path = Path(path).expanduser()
    fd, temp = _temporary(path)
    try:
        with _open(fd, mode) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)      # replaces a symlink at `path` itself, never the file it points to
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def write_new(folder: str | os.PathLike[str], stem: str, suffix: str, text: str) -> Path:
    """A new private file `stem.suffix` (or `stem-2.suffix`, …) in a private folder; never replaces a file."""
    folder = private_folder(folder)
    fd, temp = _temporary(folder / f"{stem}{suffix}")
    try:
        with _open(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        for n in range(1, 10_000):
            path = folder / (f"{stem}{suffix}" if n == 1 else f"{stem}-{n}{suffix}")
            try:
                os.link(temp, path)     # fails if the name is taken (even by a dangling symlink)
            except FileExistsError:
                continue
            except OSError:             # a file system without hard links: create the name exclusively
                try:
                    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW, 0o600)
                except FileExistsError:
                    continue
                with _open(fd, "w") as handle:
                    handle.write(text)
            return path
        raise FileExistsError(17, "no free file name", str(folder / stem))
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
