"""The incident journal: append-only, UTC-timestamped, hash-chained. The source of truth."""

from .encoding import GENESIS, canonical_json, sha256_text
from .errors import (
    JournalConflict,
    JournalCorrupt,
    JournalError,
    JournalFull,
    JournalLocked,
    JournalReadOnly,
    JournalTooNew,
    SecretRefused,
)
from .store import Draft, Entry, Journal, JournalStats, VerifyResult, verify_file

__all__ = [
    "GENESIS",
    "Draft",
    "Entry",
    "Journal",
    "JournalConflict",
    "JournalCorrupt",
    "JournalError",
    "JournalFull",
    "JournalLocked",
    "JournalReadOnly",
    "JournalStats",
    "JournalTooNew",
    "SecretRefused",
    "VerifyResult",
    "canonical_json",
    "sha256_text",
    "verify_file",
]
