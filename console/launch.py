"""The `warroom` command's entry point: the collector stays off until there is something worth collecting.

Starting up (imports, parsing, the console's first frame) allocates a great deal and frees almost nothing, so
Python's cyclic garbage collector would walk the same young objects again and again for nothing: about 30 ms
before the console's first frame. It is switched off here, before anything is imported, and back on when the
command runs (the console: once its panes are drawn, after freezing what startup built).

Its thresholds stay CPython's, for every command: a young generation of 20,000 objects (one trial's fix for the
console's stalls) makes each young pass walk up to that many and the next one up to ten times more (29-49 ms
measured for one). What made the full passes long is what lives for the session, and the console freezes that
as it loads (TenantWatcher's `settle`, console/graph/live.py; figures in docs/benchmarks.md). Only while the
console's watcher polls is the young generation's threshold raised: what survives a young pass there is frozen
every 5,000 records, so the next pass has little to walk.
"""

from __future__ import annotations

import gc


def main() -> int:
    gc.disable()
    try:
        from .cli import main as run

        return run()
    finally:
        gc.enable()
