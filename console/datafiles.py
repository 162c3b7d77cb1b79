"""The TOML files under data/ and the user's overrides: read bounded, parsed one by one, a bad one skipped and named.

Errors always carry the file, the line (where known) and the reason. One broken file in a user's folder costs only
that file: the built-in ones and the user's other files are still used, and the caller shows what was skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

MAX_DATA_FILE = 1_048_576     # bytes: a playbook or template is a few KiB; anything bigger is not one

T = TypeVar("T")


class DataFileError(ValueError):
    """A playbook, template or checklist file is malformed; nothing from it is used."""

    def __init__(self, file: str, line: int | None, reason: str) -> None:
        self.file, self.line, self.reason = file, line, reason
        super().__init__(f"{file}{f', line {line}' if line else ''}: {reason}")


def toml_files(folder: Path) -> tuple[list[Path], list[DataFileError]]:
    """The folder's `*.toml` files by name; a folder that cannot be listed is a problem, not an exception."""
    try:
        if not folder.is_dir():
            return [], []
        return sorted((f for f in folder.iterdir() if f.name.endswith(".toml")), key=lambda f: f.name), []
    except OSError as error:
        return [], [DataFileError(str(folder), None, f"cannot list the folder ({error.strerror or error})")]


def read_text(path: Path, name: str) -> str:
    """A data file's text: a regular file, at most MAX_DATA_FILE bytes, UTF-8; else DataFileError."""
    try:
        if not path.is_file():
            raise DataFileError(name, None, "not a regular file")
        with path.open("rb") as handle:
            raw = handle.read(MAX_DATA_FILE + 1)
    except OSError as error:
        raise DataFileError(name, None, f"cannot read ({error.strerror or error})") from None
    if len(raw) > MAX_DATA_FILE:
        raise DataFileError(name, None, f"larger than {MAX_DATA_FILE // 1024} KiB")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise DataFileError(name, line, f"not UTF-8 (byte 0x{raw[error.start]:02x})") from None


def load_each(files: Iterable[tuple[Path, str]], parse: Callable[[str, str], T]) -> tuple[list[T], list[DataFileError]]:
    """Parse each (path, name) in order; a file that cannot be read or parsed is skipped and returned as a problem."""
    loaded: list[T] = []
    skipped: list[DataFileError] = []
    for path, name in files:
        try:
            loaded.append(parse(read_text(path, name), name))
        except DataFileError as error:
            skipped.append(error)
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as error:
            skipped.append(DataFileError(name, None, f"not a valid file ({type(error).__name__}: {error})"[:300]))
    return loaded, skipped


def summary(skipped: list[DataFileError], what: str) -> str:
    """One line for a status bar or stderr: `Skipped 2 playbook files: a.toml, line 3: not UTF-8; …`."""
    if not skipped:
        return ""
    plural = "s" if len(skipped) > 1 else ""
    return f"Skipped {len(skipped)} {what} file{plural}: " + "; ".join(str(error) for error in skipped[:3]) + (
        f"; and {len(skipped) - 3} more" if len(skipped) > 3 else "")
