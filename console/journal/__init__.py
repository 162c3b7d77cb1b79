"""The incident journal: append-only, UTC-timestamped, hash-chained. The source of truth."""

from .base import Journal, is_shared
from .encoding import GENESIS, canonical_json, sha256_text, writable_json
from .errors import (
    JournalConflict,
    JournalCorrupt,
    JournalError,
    JournalFull,
    JournalLocked,
    JournalMisconfigured,
    JournalReadOnly,
    JournalTooNew,
    JournalUnreachable,
    SecretRefused,
)
from .opener import open_journal
from .records import Draft, Entry, JournalStats, Unclaimed, VerifyResult
from .store import SQLiteJournal, verify_file

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
    "JournalMisconfigured",
    "JournalReadOnly",
    "JournalStats",
    "JournalTooNew",
    "JournalUnreachable",
    "SQLiteJournal",
    "SecretRefused",
    "Unclaimed",
    "VerifyResult",
    "canonical_json",
    "is_shared",
    "open_journal",
    "sha256_text",
    "verify_file",
    "writable_json",
]
