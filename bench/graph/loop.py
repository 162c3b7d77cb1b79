"""The console's event loop while 50,000 alerts load, while a filter is typed over them, while they are sorted by
each column in turn (`s`, then `S`) and while they are re-polled: its longest turn (wall clock and the loop thread's
own CPU) and every garbage collection (CPU), per phase. The same run's baseline is `idle`: two seconds with the
alerts loaded and nothing pressed.

Run: `.venv/bin/python bench/graph/loop.py [--alerts 50000] [--no-settle]`. The whole console (WarroomApp, the
watcher console/startup.py builds) runs in this process, headless (Textual's test driver, 120x40), against the
simulated tenant in its own process on 127.0.0.1, alerts polled every 5 s. The collector is off until the panes are
drawn, then what startup built is frozen, as `warroom` does (console/launch.py, screens/app.py). `--no-settle` runs
the same console without freezing what the watcher loads (TenantWatcher's `settle`): the comparison. Keystroke to
screen in a real terminal is bench/graph/console.py's; this one says what holds the loop, and for how long.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tenant import BENCH_ALERTS, load_average, rss_mib, simulated_tenant

PHASES = ("ingest", "idle", "filter", "sort", "re-polls")
SORT_KEYS = ["s"] * 5 + ["S", "S"]      # every column in turn, back to severity; then reversed and back


class Probe:
    """The loop's longest turn per phase (a 5 ms sleep's overshoot, and the loop thread's CPU across it), and each
    collection's CPU time by phase and generation."""

    def __init__(self) -> None:
        self.phase = "start"
        self.lag: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)
        self.collections: dict[tuple[str, bool], list[float]] = defaultdict(list)    # (phase, full) -> CPU s
        self._started = 0.0
        self.stopped = False

    def on_gc(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.thread_time()
        else:
            self.collections[(self.phase, info["generation"] == 2)].append(time.thread_time() - self._started)

    async def run(self) -> None:
        while not self.stopped:
            before, before_cpu = time.perf_counter(), time.thread_time()
            await asyncio.sleep(0.005)
            self.lag[self.phase] = max(self.lag[self.phase], time.perf_counter() - before - 0.005)
            self.cpu[self.phase] = max(self.cpu[self.phase], time.thread_time() - before_cpu)


async def measure(url: str, count: int, settle: bool, folder: str) -> list[str]:
    from warroom.console.config import load_config
    from warroom.console.graph.live import LiveState
    from warroom.console.session import WarRoom
    from warroom.console.startup import connect_graph, tenant_watcher
    from warroom.screens.app import WarroomApp
    from warroom.widgets.alerts import AlertTable

    loaded_all = asyncio.Event()

    def watcher(room: WarRoom, on_change):
        def changed(sources: set[str]) -> None:
            on_change(sources)
            if room.live is not None and len(room.live.alerts) >= count:
                loaded_all.set()

        made = tenant_watcher(room, changed)
        made.settle = settle
        return made

    config = load_config(overrides={"journal": f"{folder}/journal.db", "graph.url": url, "graph.poll.alerts": "5"})
    warroom = await WarRoom.open(config, mode="LIVE")
    warroom.live = LiveState()
    app = WarroomApp(warroom, watcher_factory=watcher, connect=connect_graph, connect_at_start=True,
                     follow_journal=False)
    probe = Probe()
    gc.callbacks.append(probe.on_gc)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await app.panes_drawn.wait()
            gc.freeze()
            gc.enable()
            task = asyncio.create_task(probe.run())
            probe.phase = "ingest"
            started = time.perf_counter()
            await loaded_all.wait()
            loaded = time.perf_counter() - started
            await asyncio.sleep(2)
            probe.phase = "idle"
            await asyncio.sleep(2)
            probe.phase = "filter"
            await pilot.press("slash")
            word = "bench 4"
            for key in [*(("space" if c == " " else c) for c in word), *["backspace"] * len(word)]:
                await pilot.press(key)
                await asyncio.sleep(0.3)
            await pilot.press("escape")
            await asyncio.sleep(0.5)
            probe.phase = "sort"
            table = app.screen.query_one(AlertTable)
            orders = []
            for key in SORT_KEYS:
                await pilot.press(key)
                await asyncio.sleep(0.5)
                orders.append(str(table.border_subtitle).removeprefix("sort: "))
            probe.phase = "re-polls"
            await asyncio.sleep(16)                 # three polls at 5 s
            probe.stopped = True
            await task
            rss = rss_mib()
    finally:
        gc.callbacks.remove(probe.on_gc)
        await warroom.close()
    frozen = gc.get_freeze_count()
    # Cyclic garbage, frozen or not: what a freeze kept from the collector is among it (the comparison says how much).
    gc.unfreeze()
    gc.set_debug(gc.DEBUG_SAVEALL)
    gc.collect()
    gc.set_debug(0)
    garbage = (len(gc.garbage), sum(sys.getsizeof(thing) for thing in gc.garbage) / 1e6)
    gc.garbage.clear()
    lines = [f"{count:,} alerts on the console after {loaded:.1f} s; RSS {rss:.0f} MB; settle "
             f"{'on' if settle else 'off'}; objects frozen {frozen:,}; cyclic garbage at the end {garbage[0]:,} "
             f"objects ({garbage[1]:.1f} MB shallow)", "orders shown 0.5 s after each sort key: " + ", ".join(orders)]
    for phase in PHASES:
        full, young = probe.collections[(phase, True)], probe.collections[(phase, False)]
        lines.append(f"{phase}: longest turn {probe.lag[phase] * 1000:.1f} ms wall, {probe.cpu[phase] * 1000:.1f} ms "
                     f"loop-thread CPU (target <= 50 ms); full collections {len(full)} (longest "
                     f"{max(full, default=0) * 1000:.1f} ms CPU), younger {len(young)} (longest "
                     f"{max(young, default=0) * 1000:.1f} ms)")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alerts", type=int, default=50_000)
    parser.add_argument("--no-settle", action="store_true", help="do not freeze what the watcher loads")
    args = parser.parse_args()
    print("load average before:", load_average())
    gc.disable()                                    # as `warroom` starts (console/launch.py)
    with simulated_tenant(BENCH_ALERTS, args.alerts) as tenant, tempfile.TemporaryDirectory() as folder:
        lines = asyncio.run(measure(tenant.base_url, args.alerts, not args.no_settle, folder))
    print("\n".join(lines))
    print("load average after:", load_average())
    return 0


if __name__ == "__main__":
    sys.exit(main())
