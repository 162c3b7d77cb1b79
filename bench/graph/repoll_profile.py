"""Where a full re-poll of unchanged alerts spends its time, and journal growth per alert on first sight.

Run: `.venv/bin/python bench/graph/repoll_profile.py [--alerts 10000]`. The `bulk-alerts` scenario (~1.7 KB of JSON
an alert) in its own process on 127.0.0.1; one first-sight poll (journaled), then a full re-poll (the one every
FULL_SYNC_EVERY-th poll) under cProfile, which must journal nothing. Prints the load average: the machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tenant import BULK_ALERTS, load_average, simulated_tenant


async def profile(base_url: str) -> None:
    from warroom.console.clouds import resolve
    from warroom.console.graph.auth import Session, StaticToken
    from warroom.console.graph.gateway import open_gateway
    from warroom.console.graph.live import FULL_SYNC_EVERY, LiveState, TenantWatcher
    from warroom.console.journal import kinds, open_journal

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        journal = await open_journal(path, actor="bench")
        gateway = await open_gateway(resolve("global", base_url), Session(StaticToken("x"), "bench"))
        state = LiveState()
        watcher = TenantWatcher(gateway, journal, state)
        started = time.perf_counter()
        await watcher.poll_once("alerts")
        first = time.perf_counter() - started
        count = len(state.alerts)
        size = path.stat().st_size
        print(f"first sight of {count:,} alerts: {first:.1f} s; journal {size / 1e6:.1f} MB "
              f"({size / max(count, 1) / 1024:.1f} KiB an alert)")
        before = len(await journal.entries(kinds=[kinds.OBSERVATION]))
        watcher._polls["alerts"] = FULL_SYNC_EVERY            # the next poll re-reads everything
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        await watcher.poll_once("alerts")
        profiler.disable()
        again = time.perf_counter() - started
        after = len(await journal.entries(kinds=[kinds.OBSERVATION]))
        arrived = len(state.alerts) - count              # the scenario keeps adding alerts (~14 a second)
        print(f"full re-poll of {count:,} alerts: {again:.2f} s under cProfile, {after - before} entries "
              f"journaled for {arrived} alerts that arrived meanwhile")
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(20)
        print(text.getvalue())
        await gateway.close()
        await journal.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alerts", type=int, default=10_000)
    args = parser.parse_args()
    print("load average before:", load_average())
    with simulated_tenant(BULK_ALERTS, args.alerts) as tenant:
        asyncio.run(profile(tenant.base_url))
    print("load average after:", load_average())
    return 0


if __name__ == "__main__":
    sys.exit(main())
