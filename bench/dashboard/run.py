"""Dashboard figures, each against a baseline measured in the same run.

    .venv/bin/python bench/dashboard/run.py [--append]

1. First frame: `warroom demo` in a pty, restarted on a journal holding a last-known state (seeded by one demo
   run), until its first frame (banner, service health, alerts, status) is drawn, vs a bare Textual app until its
   text shows; and until the whole dashboard is (the timeline's title: the chart,
   tasks, timeline and footer are mounted right after the first frame).
2. 50,000 alerts: filter keystroke p50/p95 (AlertTable, Line API) vs the same keystrokes with 50 alerts;
   and loading 50,000 rows into AlertTable vs Textual's DataTable (why the alert pane is a virtual table).
3. Memory: RSS of `warroom demo` after start vs the bare app.
4. Idle output: bytes written to the terminal per minute while nothing changes, vs the bare app.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pty
import select
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
WARROOM = Path(sys.executable).with_name("warroom")
BARE = """
from textual.app import App
from textual.widgets import Static
class Bare(App):
    def compose(self):
        yield Static("bare-app-ready")
Bare().run()
"""


def spawn(argv: list[str], env: dict[str, str]) -> tuple[int, int]:
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(argv[0], argv, env)
    os.set_blocking(fd, False)
    import fcntl
    import struct
    import termios
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    return pid, fd


def read_until(fd: int, marker: bytes, timeout: float) -> tuple[float | None, bytes]:
    start, seen = time.perf_counter(), b""
    while time.perf_counter() - start < timeout:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
            if marker in seen:
                return time.perf_counter() - start, seen
    return None, seen


def drain(fd: int, seconds: float) -> int:
    end, total = time.perf_counter() + seconds, 0
    while time.perf_counter() < end:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                total += len(os.read(fd, 65536))
            except OSError:
                break
    return total


def rss_mib(pid: int) -> float:
    """RSS of the process and its children (the bare app and warroom are single processes)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def stop(pid: int, fd: int) -> None:
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        drain(fd, 0.1)
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            break
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    os.close(fd)


def run_terminal(argv: list[str], env: dict[str, str], marker: bytes, idle_s: float,
                 complete: bytes | None = None) -> dict[str, float]:
    pid, fd = spawn(argv, env)
    first, seen = read_until(fd, marker, 30)
    whole = first
    if complete is not None and first is not None and complete not in seen:
        rest, _ = read_until(fd, complete, 30)
        whole = first + rest if rest is not None else None
    drain(fd, 3.0)                               # let the first polls land
    rss = rss_mib(pid)
    idle = drain(fd, idle_s)
    stop(pid, fd)
    return {"first": first or float("nan"), "complete": whole or float("nan"), "rss": rss,
            "idle_per_min": idle * 60 / idle_s}


def seed_journal(tmp: str, env: dict[str, str]) -> Path:
    """A journal with a last-known state on it, as after a restart mid-incident: one `warroom demo` run long
    enough for the watcher to journal health, issues, alerts and incidents, plus a declared incident."""
    journal = Path(tmp) / "seeded.db"
    env = {**env, "WARROOM_JOURNAL": str(journal)}
    pid, fd = spawn([str(WARROOM), "demo", "--scenario", "compromised-account"], env)
    read_until(fd, b"Timeline", 30)
    drain(fd, 6.0)
    stop(pid, fd)
    import subprocess
    subprocess.run([str(WARROOM), "note", "--journal", str(journal), "bench: seeded"], env=env, check=True,
                   capture_output=True)
    return journal


def terminal_figures(rounds: int, idle_s: float) -> dict[str, list[dict[str, float]]]:
    import shutil

    results: dict[str, list[dict[str, float]]] = {"warroom": [], "bare": []}
    with tempfile.TemporaryDirectory() as tmp:
        bare = Path(tmp) / "bare.py"
        bare.write_text(BARE)
        base = {"PATH": "/usr/bin:/bin", "HOME": tmp, "TERM": "xterm-256color", "LANG": "C.UTF-8",
                "WARROOM_RESPONDER": "bench"}
        seeded = seed_journal(tmp, base)
        for n in range(rounds):
            journal = Path(tmp) / f"journal-{n}.db"
            shutil.copyfile(seeded, journal)     # each round restarts on the same last-known state
            env = {**base, "WARROOM_JOURNAL": str(journal)}
            results["bare"].append(run_terminal([sys.executable, str(bare)], env, b"bare-app-ready", idle_s))
            results["warroom"].append(run_terminal([str(WARROOM), "demo"], env, b"Service health", idle_s,
                                                   complete=b"Timeline"))
    return results


async def keystrokes(alerts: int, word: str) -> tuple[list[float], list[float]]:
    from tests.ui.scenes import alert, build_app_async

    app = await build_app_async(Path(tempfile.mkdtemp()) / "journal.db")
    severities = ("high", "medium", "low", "informational")
    app.warroom.live.alerts = {a.id: a for a in (alert(n, severities[n % 4], n % 600, f"Alert number {n} {word}"
                                                       if n % 97 == 0 else f"Alert number {n}")
                                                 for n in range(alerts))}
    times = []
    async with app.run_test(size=(160, 48)) as pilot:
        app.live_changed({"alerts"})
        await pilot.pause()
        await pilot.press("2", "slash")
        for _ in range(3):
            for char in word:
                start = time.perf_counter()
                await pilot.press(char)
                await pilot.pause()
                times.append(time.perf_counter() - start)
            for _ in word:
                await pilot.press("backspace")
                await pilot.pause()
        table = app.screen.query_one("#alerts")
        work = []
        for _ in range(3):
            for end in range(1, len(word) + 1):
                start = time.perf_counter()
                table.filter_text = word[:end]
                work.append(time.perf_counter() - start)
            table.filter_text = ""
    await app.warroom.close()
    return times, work


async def table_load(rows: int) -> tuple[float, float]:
    """Seconds to show `rows` alerts: AlertTable.set_rows vs DataTable.add_rows (same rows, same app)."""
    from textual.app import App
    from textual.widgets import DataTable
    from warroom.widgets.alerts import AlertRow, AlertTable

    from tests.ui.scenes import NOW, alert

    records = [AlertRow.from_alert(alert(n, "high", n % 600, f"Alert {n}")) for n in range(rows)]

    class Both(App):
        def compose(self):
            yield AlertTable(id="virtual")
            yield DataTable(id="datatable")

    app = Both()
    async with app.run_test(size=(160, 48)) as pilot:
        start = time.perf_counter()
        app.query_one(AlertTable).set_rows(records, NOW)
        await pilot.pause()
        virtual = time.perf_counter() - start
        table = app.query_one(DataTable)
        table.add_columns("Severity", "Status", "Title", "Source", "Age")
        start = time.perf_counter()
        table.add_rows([(r.severity, r.status, r.title, r.source, "1 min") for r in records])
        await pilot.pause()
        datatable = time.perf_counter() - start
    return virtual, datatable


def p(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--idle", type=float, default=20.0, help="seconds of idle output measured per round")
    parser.add_argument("--append", action="store_true", help="append the table to docs/benchmarks.md")
    parser.add_argument("--first-frame-only", action="store_true", help="only the first-frame rounds (quick)")
    args = parser.parse_args()

    term = terminal_figures(args.rounds, args.idle)
    if args.first_frame_only:
        paired = sorted(w["first"] / b["first"] for w, b in zip(term["warroom"], term["bare"], strict=True))
        print(f"first frame: warroom {statistics.median(r['first'] for r in term['warroom']) * 1000:.0f} ms, "
              f"bare {statistics.median(r['first'] for r in term['bare']) * 1000:.0f} ms; per-round ratio median "
              f"{statistics.median(paired):.2f}× (range {paired[0]:.2f}–{paired[-1]:.2f}×, {args.rounds} rounds)")
        return
    big = asyncio.run(keystrokes(50_000, "phish"))
    small = asyncio.run(keystrokes(50, "phish"))
    virtual, datatable = asyncio.run(table_load(50_000))

    def med(who: str, key: str) -> float:
        return statistics.median(r[key] for r in term[who])

    # Rounds alternate bare app and warroom, so a round's ratio cancels the machine's slower and faster spells.
    paired = [w["first"] / b["first"] for w, b in zip(term["warroom"], term["bare"], strict=True)]

    rows = [
        (f"first frame in a pty, median of {args.rounds}",
         f"{med('warroom', 'first') * 1000:.0f} ms (`warroom demo`) — "
         f"{med('warroom', 'first') / med('bare', 'first'):.2f}×",
         f"{med('bare', 'first') * 1000:.0f} ms (bare Textual app)"),
        ("first frame, each round's ratio to the bare app started just before it: median (range)",
         f"{statistics.median(paired):.2f}× ({min(paired):.2f}–{max(paired):.2f}×)", "1.00×"),
        (f"whole dashboard drawn (chart, tasks, timeline, footer), median of {args.rounds}",
         f"{med('warroom', 'complete') * 1000:.0f} ms", "—"),
        ("filter keystroke to idle (Pilot), 50,000 alerts, p50 / p95",
         f"{p(big[0], .5) * 1000:.1f} ms / {p(big[0], .95) * 1000:.1f} ms",
         f"{p(small[0], .5) * 1000:.1f} ms / {p(small[0], .95) * 1000:.1f} ms (50 alerts)"),
        ("filter work alone (sort kept, filter + repaint request), 50,000 alerts, p50 / p95",
         f"{p(big[1], .5) * 1000:.1f} ms / {p(big[1], .95) * 1000:.1f} ms",
         f"{p(small[1], .5) * 1000:.2f} ms / {p(small[1], .95) * 1000:.2f} ms (50 alerts)"),
        ("show 50,000 alerts", f"{virtual * 1000:.0f} ms (AlertTable, Line API)",
         f"{datatable * 1000:.0f} ms (Textual DataTable.add_rows)"),
        ("RSS after start", f"{med('warroom', 'rss'):.0f} MiB", f"{med('bare', 'rss'):.0f} MiB"),
        ("idle terminal output", f"{med('warroom', 'idle_per_min') / 1024:.1f} KiB/min",
         f"{med('bare', 'idle_per_min') / 1024:.1f} KiB/min"),
    ]
    table = ["| what | dashboard | baseline (same run) |", "|---|---|---|"]
    table += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    text = "\n".join(table)
    print(text)
    if args.append:
        docs = REPO / "docs" / "benchmarks.md"
        header = ("\n## Dashboard\n\n`.venv/bin/python bench/dashboard/run.py` — 2-core container, Python 3.11, "
                  f"Textual 8.2.8, {time.strftime('%d %b %Y')}, other engineers' tests running. Pty 120x40; "
                  f"idle measured over {args.idle:.0f} s after the first polls.\n\n")
        with docs.open("a", encoding="utf-8") as handle:
            handle.write(header + text + "\n")


if __name__ == "__main__":
    main()
