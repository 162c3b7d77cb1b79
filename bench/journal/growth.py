"""Journal growth per Graph alert observed: first sight and a change, the encoding before against now, same run.

    .venv/bin/python bench/journal/growth.py [--alerts 10000] [--changes 100]

The `bulk-alerts` scenario's alerts (~1.8 KB of JSON each) are read from the simulated tenant over HTTP, then
journaled the way the watcher does: one transaction per 100 objects, through `observation_body`. Each layout gets
a fresh journal on the same disk:
- before: every observation holds the whole object, SQLite's default 4 KiB pages (what journals were made with);
- whole, 16 KiB pages: the same bodies in a journal made with today's page size;
- now: the whole object at first sight, a merge patch for a change, 16 KiB pages.
The baseline is the alerts' own JSON (what Graph sent), and that JSON deflated (zlib level 6), per alert.
A change is what the scenario's analyst does to an alert: status and classification set, lastUpdateDateTime moved.
Bytes per alert are the journal file's growth (after a WAL checkpoint) divided by the alerts journaled.
"""


from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

import httpx
from warroom.console.graph.live import digest_of
from warroom.console.journal import Draft, kinds, open_journal, store
from warroom.console.observations import observation_body
from warroom.console.sim import SimulatedTenant, load_scenario

CHUNK = 100


def fetch(count: int) -> list[dict[str, Any]]:
    tenant = SimulatedTenant(load_scenario("bulk-alerts"), start_at=3600 * count / 50_000)
    url = tenant.start()
    alerts: list[dict[str, Any]] = []
    link: str | None = f"{url}/security/alerts_v2?$top=1000"
    try:
        with httpx.Client(timeout=60) as client:
            while link:
                page = client.get(link, headers={"Authorization": "Bearer bench"}).json()
                alerts += page["value"]
                link = page.get("@odata.nextLink")
    finally:
        tenant.stop()
    return alerts[:count]


def changed(alert: dict[str, Any]) -> dict[str, Any]:
    return {**alert, "status": "resolved", "classification": "truePositive", "determination": "phishing",
            "lastUpdateDateTime": "2026-12-05T05:00:00.000Z", "resolvedDateTime": "2026-12-05T05:00:00.000Z"}


def file_size(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.stat().st_size


async def journal(path: Path, batches: list[list[dict[str, Any]]]) -> float:
    """Append the bodies, a transaction per batch; returns the seconds it took."""
    journal = await open_journal(path, actor="bench")
    try:
        started = time.perf_counter()
        for batch in batches:
            await journal.append_many([Draft(kinds.OBSERVATION, body) for body in batch])
        return time.perf_counter() - started
    finally:
        await journal.close()


def bodies(alerts: list[dict[str, Any]], previous: list[dict[str, Any]] | None, patches: bool) -> list[list[dict]]:
    out = []
    for n, data in enumerate(alerts):
        before = previous[n] if previous and patches else None
        out.append(observation_body("alerts", data["id"], digest_of(data), data, before,
                                    digest_of(before) if before else None))
    return [out[start:start + CHUNK] for start in range(0, len(out), CHUNK)]


async def layout(folder: Path, name: str, page_size: int, patches: bool, alerts: list[dict[str, Any]],
                 changes: int) -> dict[str, float]:
    store.PAGE_SIZE = page_size
    path = folder / f"{name}.db"
    await journal(path, [])
    empty = file_size(path)
    first_s = await journal(path, bodies(alerts, None, patches))
    first = file_size(path) - empty
    before = alerts[:changes]
    after = [changed(alert) for alert in before]
    change_s = await journal(path, bodies(after, before, patches))
    total = file_size(path)
    return {"first": first / len(alerts), "first_s": first_s, "change": (total - first - empty) / changes,
            "change_s": change_s, "size": total}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--changes", type=int, default=100)
    args = parser.parse_args()
    print("load average before:", " ".join(f"{value:.2f}" for value in os.getloadavg()))
    alerts = fetch(args.alerts)
    raw = [json.dumps(alert, ensure_ascii=False, separators=(",", ":")).encode() for alert in alerts]
    json_bytes = sum(map(len, raw)) / len(alerts)
    deflated = sum(len(zlib.compress(text)) for text in raw) / len(alerts)
    patch = bodies([changed(alerts[0])], [alerts[0]], True)[0][0]["patch"]
    print(f"{len(alerts):,} alerts, {args.changes} changed; a change's patch: {json.dumps(patch)}")
    with tempfile.TemporaryDirectory() as folder:
        results = {}
        for name, page_size, patches in (("before", 4096, False), ("whole, 16 KiB pages", 16384, False),
                                         ("now", 16384, True)):
            results[name] = await layout(Path(folder), name.split(",")[0], page_size, patches, alerts,
                                         args.changes)
    print("\n| bytes per alert | first sight | a change | first sight, alerts/s |")
    print("|---|---:|---:|---:|")
    print(f"| baseline: the alert's JSON as Graph sent it | {json_bytes:,.0f} | {json_bytes:,.0f} | — |")
    print(f"| baseline: that JSON deflated (zlib 6) | {deflated:,.0f} | {deflated:,.0f} | — |")
    for name, figures in results.items():
        print(f"| journal, {name} | {figures['first']:,.0f} | {figures['change']:,.0f} | "
              f"{len(alerts) / figures['first_s']:,.0f} |")
    print("load average after:", " ".join(f"{value:.2f}" for value in os.getloadavg()))


if __name__ == "__main__":
    asyncio.run(main())
