"""Where the console's memory goes with the bulk-alerts tenant loaded: the live state's records, the watcher's digests,
the alerts pane's rows and its row cache, each measured object by object (an object two parts share counts once,
for the first part that reaches it), and the process's RSS beside them.

Run: `.venv/bin/python bench/graph/memory.py [--alerts 50000]`. Headless: the watcher as the console runs it (with a
journal, `settle`), then the rows the alerts pane would make from the same state; no terminal, no Textual app.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import gc
import os
import re
import sys
import tempfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tenant import BULK_ALERTS, load_average, rss_mib, simulated_tenant

MIB = 1024 * 1024
LEAVES = (str, bytes, int, float, bool, datetime, type(None))


def footprint(roots: Iterable[object], seen: set[int]) -> int:
    """Bytes of the objects reachable from `roots` through tuples, lists, dicts and sets, each once (`seen`)."""
    total = 0
    stack = list(roots)
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        total += sys.getsizeof(item)
        if isinstance(item, LEAVES):
            continue
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (tuple, list, set, frozenset)):
            stack.extend(item)
    return total


def field_bytes(records: Iterable[tuple], seen: set[int]) -> dict[str, int]:
    """Each NamedTuple field's own bytes over all records (shared values once), in field order."""
    records = list(records)
    if not records:
        return {}
    sizes = {name: 0 for name in records[0]._fields}
    sizes["(the tuples)"] = 0
    for record in records:
        if id(record) not in seen:
            seen.add(id(record))
            sizes["(the tuples)"] += sys.getsizeof(record)
        for name, value in zip(record._fields, record, strict=True):
            sizes[name] += footprint([value], seen)
    return sizes


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]


def heap() -> dict[str, float]:
    """glibc's heap (`mallinfo2`: in use, free but kept, mapped blocks) and pymalloc's arenas (in use, free), MiB."""
    figures: dict[str, float] = {}
    try:
        mallinfo2 = ctypes.CDLL(None).mallinfo2
    except (OSError, AttributeError):
        pass
    else:
        mallinfo2.restype = _MallInfo2
        info = mallinfo2()
        figures.update({"C heap in use": info.uordblks / MIB, "C heap free, kept": info.fordblks / MIB,
                        "C blocks mapped alone": info.hblkhd / MIB})
    with tempfile.TemporaryFile() as stats:        # CPython writes them to the C stderr
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(stats.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        stats.seek(0)
        text = stats.read().decode("ascii", "replace")
    for label, name in (("pymalloc blocks in use", "bytes in allocated blocks"),
                        ("pymalloc free in its pools and arenas", "bytes in available blocks")):
        found = re.search(rf"# {name}\s*=\s*([\d,]+)", text)
        if found:
            figures[label] = int(found.group(1).replace(",", "")) / MIB
    unused = re.search(r"(\d+) unused pools \* (\d+) bytes", text)
    if unused:
        figures["pymalloc free in its pools and arenas"] = figures.get(
            "pymalloc free in its pools and arenas", 0.0) + int(unused.group(1)) * int(unused.group(2)) / MIB
    return figures


async def load(base_url: str, count: int) -> dict[str, object]:
    from warroom.console.clouds import resolve
    from warroom.console.graph.auth import Session, StaticToken
    from warroom.console.graph.gateway import open_gateway
    from warroom.console.graph.live import LiveState, TenantWatcher
    from warroom.console.journal import open_journal
    from warroom.widgets.alerts import RowCache

    with tempfile.TemporaryDirectory() as folder:
        journal = await open_journal(Path(folder) / "bench.db", actor="bench")
        gateway = await open_gateway(resolve("global", base_url), Session(StaticToken("x"), "bench"))
        state = LiveState()
        watcher = TenantWatcher(gateway, journal, state, settle=True)
        gc.collect()
        before = rss_mib()
        await watcher.poll_once("alerts")
        loaded = rss_mib()
        cache = RowCache()
        rows = cache.changes(state.alerts, state.incidents, state.risky_users).rows
        with_rows = rss_mib()
        await watcher.poll_once("alerts")
        repolled = rss_mib()
        seen: set[int] = set()
        alert_fields = field_bytes(state.alerts.values(), seen)
        parts = {
            "alerts dict (table and keys)": sys.getsizeof(state.alerts) + footprint(state.alerts.keys(), seen),
            "digests": footprint([state.digests], seen),
            "rows": sum(field_bytes(rows, seen).values()),
            "row cache": footprint([cache._rows], seen),
        }
        row_fields = field_bytes(rows, set())
        allocator = heap()
        await gateway.close()
        await journal.close()
    return {"alerts": len(state.alerts), "before": before, "loaded": loaded, "with_rows": with_rows,
            "repolled": repolled, "alert_fields": alert_fields, "parts": parts, "row_fields": row_fields,
            "heap": allocator}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alerts", type=int, default=50_000)
    args = parser.parse_args()
    print("load average before:", load_average())
    with simulated_tenant(BULK_ALERTS, args.alerts) as tenant:
        figures = asyncio.run(load(tenant.base_url, args.alerts))
    print("load average after:", load_average())
    print(f"{figures['alerts']:,} alerts; RSS {figures['before']:.0f} MiB before, {figures['loaded']:.0f} after the "
          f"load, {figures['with_rows']:.0f} with the pane's rows, {figures['repolled']:.0f} after a re-poll")
    fields = figures["alert_fields"]
    print(f"alert records: {sum(fields.values()) / MIB:.1f} MiB")
    for name, size in sorted(fields.items(), key=lambda item: -item[1]):
        if size >= MIB / 10:
            print(f"  {name:<24} {size / MIB:6.1f} MiB")
    for name, size in figures["parts"].items():
        print(f"{name}: {size / MIB:.1f} MiB")
    for name, size in figures["heap"].items():
        print(f"{name}: {size:.1f} MiB")
    print("rows by field (shared values counted once per field):")
    for name, size in sorted(figures["row_fields"].items(), key=lambda item: -item[1]):
        if size >= MIB / 10:
            print(f"  {name:<24} {size / MIB:6.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
