"""The real console in a pty against the bulk-alerts tenant: time until all alerts show, keystroke-to-screen while
they load, RSS after the load and after re-polls. Baseline from the same run: the same keystrokes into the same
console over 50 alerts, where nothing is loading.

Run: `.venv/bin/python bench/graph/console.py [--alerts 50000] [--repolls 3]`. The tenant (`bulk-alerts`, which
keeps adding alerts) runs in its own process; `warroom` in a 120x40 pty with its own journal and config
(alerts polled every `--interval` seconds). A keystroke types one letter into the alert filter (`/` first) and
counts until the filter's subtitle showing exactly what was typed comes back from the pty (the subtitle's end is part
of the marker, so a longer filter left on screen never passes for a shorter one): Textual's render and write included.
Each round of keystrokes starts from an empty filter, seen on screen. With everything loaded, `s` sorts the alerts
by the next column (`--sorts` times, from an empty filter): each counts until the header marks that column, which
it does once the rows are in that order.
Prints the load average before and after: the machine is shared, read the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dashboard"))
from run import WARROOM, rss_mib, spawn, stop

TENANT_SCRIPT = r"""
import sys
from warroom.console.sim import SimulatedTenant, load_scenario
tenant = SimulatedTenant(load_scenario("bulk-alerts"), start_at=3600 * float(sys.argv[1]) / 50000)
url = tenant.start()
print(url, len(tenant.state.data["alerts"]) + len(tenant.state.data["incidents"]), flush=True)
sys.stdin.read()                                    # until the bench closes our stdin
tenant.stop()
"""
TITLE = re.compile(rb"Alerts \((?:[\d,]+ of )?([\d,]+)\)")
# The alert pane's subtitle as drawn: "sort: severity ▼ · filter: zx " and then its border's style (ESC).
SUBTITLE = re.compile(rb"sort: \w+ (?:\xe2\x96\xb2|\xe2\x96\xbc)(?: \xc2\xb7 filter: ([^\x1b]*?))? \x1b")
# The sorted column's heading with its arrow ("Status ▼"), in the pane's header: at the top of the pane, where no
# notification covers it (the "Alerts sorted by" toasts stack over the subtitle).
HEADING = re.compile(rb"(Severity|Status|Title|Source|Age) (?:\xe2\x96\xb2|\xe2\x96\xbc)")
SORTABLE = (b"severity", b"status", b"title", b"source", b"age")      # the order `s` steps through (widgets/alerts.py)
LETTERS = b"zxzxzxzx"          # never the final byte of an escape sequence, so a marker is the subtitle text
LOST = 5.0                     # seconds after which a keystroke counts as never shown


class Screen:
    """The pty's output as it arrives: the largest alert count the pane's title has shown, and the alert filter
    as the pane's subtitle last showed it (the whole filter, so a longer one never passes for a shorter one)."""

    def __init__(self, fd: int) -> None:
        self.fd, self.count, self.tail = fd, 0, b""
        self.filter = b""
        self.sort = b"severity"

    def read(self, marker: bytes | None, timeout: float, *, filter: bytes | None = None,
             sort: bytes | None = None) -> float | None:
        """Seconds until `marker` arrives in new output, or until new output shows the subtitle with exactly that
        `filter`, or the header with `sort` the sorted column (None: none within `timeout`; with none, read for
        `timeout`)."""
        start = time.perf_counter()
        fresh = b""
        while (left := timeout - (time.perf_counter() - start)) > 0:
            ready, _, _ = select.select([self.fd], [], [], min(left, 0.05))
            if not ready:
                continue
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:         # the console is gone
                return None
            fresh += chunk
            drew, headed = self._saw_filter(chunk)
            if ((drew and filter is not None and self.filter == filter) or (headed and self.sort == sort)
                    or (marker is not None and marker in fresh)):
                return time.perf_counter() - start
        return None

    def _saw_filter(self, chunk: bytes) -> tuple[bool, bool]:
        """Read the title's count, the subtitle's filter and the sorted column's heading from new output: whether
        it drew the subtitle, and the heading."""
        seen = self.tail[-128:] + chunk
        for match in TITLE.finditer(seen):
            self.count = max(self.count, int(match.group(1).replace(b",", b"")))
        shown = [match.group(1) or b"" for match in SUBTITLE.finditer(seen) if match.end() > len(seen) - len(chunk)]
        headed = [match.group(1) for match in HEADING.finditer(seen) if match.end() > len(seen) - len(chunk)]
        self.tail = (self.tail + chunk)[-4096:]
        if shown:
            self.filter = shown[-1]
        if headed:
            self.sort = headed[-1].lower()
        return bool(shown), bool(headed)


def clear_filter(fd: int, screen: Screen, lost: float = LOST) -> None:
    """ctrl+u in the filter box until the subtitle shows no filter (not counted as a keystroke)."""
    if not screen.filter:
        return
    os.write(fd, b"\x15")
    if screen.read(None, lost, filter=b"") is None:
        raise RuntimeError("the alert filter did not empty: is the filter box focused?")


def keystrokes(fd: int, screen: Screen, count: int, *, until_count: int | None = None,
               gap: float = 0.15, lost: float = LOST) -> list[float]:
    """Type letters into an emptied filter one at a time; each one's seconds until the subtitle shows exactly
    the letters typed so far (`lost`: never shown)."""
    latencies: list[float] = []
    clear_filter(fd, screen, lost)
    typed = b""
    while len(latencies) < count:
        if until_count is not None and screen.count >= until_count and len(latencies) >= 5:
            break
        if len(typed) >= len(LETTERS):
            clear_filter(fd, screen, lost)
            typed = b""
        letter = LETTERS[len(typed):len(typed) + 1]
        typed += letter
        os.write(fd, letter)
        took = screen.read(None, lost, filter=typed)
        latencies.append(took if took is not None else lost)
        screen.read(None, gap)
    return latencies


def sorts(fd: int, screen: Screen, count: int, *, gap: float = 0.3, lost: float = LOST) -> list[float]:
    """Leave the filter box emptied (Esc: the alerts pane has the keys), then press `s` `count` times; each one's
    seconds until the header marks the next column (`lost`: never shown)."""
    clear_filter(fd, screen, lost)
    os.write(fd, b"\x1b")
    screen.read(None, 1.0)
    latencies: list[float] = []
    for _ in range(count):
        wanted = SORTABLE[(SORTABLE.index(screen.sort) + 1) % len(SORTABLE)]
        os.write(fd, b"s")
        took = screen.read(None, lost, sort=wanted)
        latencies.append(took if took is not None else lost)
        screen.read(None, gap)
    return latencies


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else float("nan")


def console_run(alerts: int, interval: float, repolls: int, keys: int, sort_keys: int) -> dict[str, object]:
    tenant = subprocess.Popen([sys.executable, "-c", TENANT_SCRIPT, str(alerts)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        base_url, _, held = tenant.stdout.readline().strip().partition(" ")
        alerts = int(held)      # alerts and incidents the tenant holds at start (it adds more as it runs)
        with tempfile.TemporaryDirectory() as tmp:
            config = Path(tmp) / "config.toml"
            config.write_text(f"[graph.poll]\nalerts = {round(interval)}\n", encoding="utf-8")
            env = {"PATH": "/usr/bin:/bin", "HOME": tmp, "TERM": "xterm-256color", "LANG": "C.UTF-8",
                   "WARROOM_CONFIG": str(config), "TEXTUAL_ANIMATIONS": "none"}
            started = time.perf_counter()
            pid, fd = spawn([str(WARROOM), "--graph-url", base_url, "--journal", str(Path(tmp) / "j.db")], env)
            screen = Screen(fd)
            try:
                screen.read(b"Alerts", 30)
                first_frame = time.perf_counter() - started
                os.write(fd, b"/")
                screen.read(b"filter alerts", 5)
                typing = keystrokes(fd, screen, keys, until_count=alerts)
                while screen.count < alerts and time.perf_counter() - started < 180:
                    screen.read(None, 0.2)
                shown = time.perf_counter() - started if screen.count >= alerts else float("nan")
                screen.read(None, 2.0)
                rss = [rss_mib(pid)]
                for _ in range(repolls):
                    screen.read(None, interval + 1.0)
                    rss.append(rss_mib(pid))
                after = keystrokes(fd, screen, 20)
                sorted_in = sorts(fd, screen, sort_keys)
                screen.read(None, 2.0)
                rss.append(rss_mib(pid))            # after the sorts
            finally:
                stop(pid, fd)
    finally:
        tenant.stdin.close()
        tenant.wait(timeout=30)
    return {"first_frame": first_frame, "shown": shown, "count": screen.count, "held": alerts, "typing": typing,
            "after": after, "sorts": sorted_in, "rss": rss}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alerts", type=int, default=50_000)
    parser.add_argument("--interval", type=int, default=10, help="graph.poll.alerts, seconds")
    parser.add_argument("--repolls", type=int, default=3)
    parser.add_argument("--keys", type=int, default=60, help="keystrokes at most while the alerts load")
    parser.add_argument("--sorts", type=int, default=10, help="`s` presses with everything loaded")
    args = parser.parse_args()
    print("load average before:", " ".join(f"{v:.2f}" for v in os.getloadavg()))
    base = console_run(50, args.interval, 0, 30, args.sorts)
    big = console_run(args.alerts, args.interval, args.repolls, args.keys, args.sorts)
    print("load average after:", " ".join(f"{v:.2f}" for v in os.getloadavg()))
    typing, idle = big["typing"], base["typing"]
    lines = [
        f"{big['held']:,} alerts and incidents all on screen {big['shown']:.1f} s after start "
        f"(first frame {big['first_frame']:.2f} s; the title counted {big['count']:,})",
        f"keystroke to screen while loading: p50 {percentile(typing, 0.5) * 1000:.0f} ms, p95 "
        f"{percentile(typing, 0.95) * 1000:.0f} ms, max {max(typing) * 1000:.0f} ms ({len(typing)} keys) — baseline "
        f"(50 alerts, idle): p50 {percentile(idle, 0.5) * 1000:.0f} ms, p95 {percentile(idle, 0.95) * 1000:.0f} ms",
        f"keystroke to screen with {args.alerts:,} loaded, re-polling: p50 {percentile(big['after'], 0.5) * 1000:.0f}"
        f" ms, p95 {percentile(big['after'], 0.95) * 1000:.0f} ms",
        f"sort (`s`) to screen with {args.alerts:,} loaded: p50 {percentile(big['sorts'], 0.5) * 1000:.0f} ms, p95 "
        f"{percentile(big['sorts'], 0.95) * 1000:.0f} ms, max {max(big['sorts']) * 1000:.0f} ms "
        f"({len(big['sorts'])} keys) — baseline (50 alerts): p50 {percentile(base['sorts'], 0.5) * 1000:.0f} ms, p95 "
        f"{percentile(base['sorts'], 0.95) * 1000:.0f} ms",
        f"console RSS after the load {big['rss'][0]:.0f} MiB; after each of {args.repolls} re-polls: "
        + ", ".join(f"{v:.0f}" for v in big["rss"][1:-1]) + f" MiB; after the sorts {big['rss'][-1]:.0f} MiB "
        f"(50 alerts: {base['rss'][0]:.0f} MiB)",
    ]
    print("\n".join(lines))
    print(json.dumps({"big": big, "base": base}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
