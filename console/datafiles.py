"""Errors in the TOML files under data/ (and the user's overrides): always the file, the line and the reason."""

from __future__ import annotations


class DataFileError(ValueError):
    """A playbook, template or checklist file is malformed; nothing from it is used."""

    def __init__(self, file: str, line: int | None, reason: str) -> None:
        self.file, self.line, self.reason = file, line, reason
        super().__init__(f"{file}{f', line {line}' if line else ''}: {reason}")
