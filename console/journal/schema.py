"""The journal's schema, versioned with PRAGMA user_version and migrated forward only."""

from __future__ import annotations

LATEST_VERSION = 3

# MIGRATIONS[n] takes a journal from version n-1 to n. Never edit a released step: add the next one.
MIGRATIONS: dict[int, list[str]] = {
    1: [
        """
        CREATE TABLE meta (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        )
        """,
        """
        CREATE TABLE entries (
            seq           INTEGER PRIMARY KEY,
            incident      TEXT,
            kind          TEXT NOT NULL,
            actor         TEXT NOT NULL,
            occurred_at   TEXT NOT NULL,
            discovered_at TEXT NOT NULL,
            logged_at     TEXT NOT NULL,
            origin        TEXT,
            body          TEXT NOT NULL,
            prev_hash     TEXT NOT NULL,
            hash          TEXT NOT NULL
        )
        """,
        "CREATE UNIQUE INDEX entries_hash ON entries(hash)",
        "CREATE UNIQUE INDEX entries_origin ON entries(origin) WHERE origin IS NOT NULL",
        "CREATE INDEX entries_incident ON entries(incident, seq) WHERE incident IS NOT NULL",
        "CREATE INDEX entries_kind ON entries(kind, seq)",
        "CREATE INDEX entries_occurred ON entries(occurred_at)",
        """
        CREATE TRIGGER entries_refuse_update BEFORE UPDATE ON entries
        BEGIN SELECT RAISE(ABORT, 'journal entries are append-only: UPDATE refused'); END
        """,
        """
        CREATE TRIGGER entries_refuse_delete BEFORE DELETE ON entries
        BEGIN SELECT RAISE(ABORT, 'journal entries are append-only: DELETE refused'); END
        """,
        # Full-text index over the kind, the actor and every string in the body, for review and search.
        "CREATE VIRTUAL TABLE entries_fts USING fts5(text, content='', tokenize='unicode61')",
        """
        CREATE TRIGGER entries_index AFTER INSERT ON entries
        BEGIN
            INSERT INTO entries_fts(rowid, text) VALUES (
                new.seq,
                new.kind || ' ' || new.actor || ' ' || coalesce(new.incident, '') || ' ' ||
                coalesce((SELECT group_concat(value, ' ') FROM json_tree(new.body) WHERE type = 'text'), '')
            );
        END
        """,
    ],
    # The writer indexes each transaction's entries itself, with one INSERT ... SELECT of the same text
    # (store.py, INDEX_TEXT): FTS5 fed row by row from a trigger cost three times the CPU (an alert's observation
    # 50 µs instead of 19). The index holds the same terms for every entry, before and after this step.
    2: ["DROP TRIGGER entries_index"],
    # The index may follow its entries: a burst of writes (a first sight of 50,000 alerts) is indexed once the writer
    # is idle, not inside each page's transaction. `indexed` is the last entry the index holds: it holds every entry
    # up to it and none after (store.py, `_index_behind`). Everything written before this step is indexed.
    3: ["INSERT INTO meta(key, value) SELECT 'indexed', CAST(coalesce(max(seq), 0) AS TEXT) FROM entries"],
}
