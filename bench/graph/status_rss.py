"""Peak RSS of `warroom status --json` on the `bulk-alerts` tenant, against bare httpx + json.loads in the same run.

    .venv/bin/python bench/graph/status_rss.py [--alerts 50000] [--journal FILE]

The simulated tenant runs in its own process on 127.0.0.1. Measured, each in a fresh process (its own peak RSS, from
`wait4`):
- baseline: a bare Python process paging every alert with httpx and `json.loads`, keeping only the counts;
- `warroom status --json` on an empty journal;
- the same on a journal that already holds the tenant's observations (`--journal`; built here when missing, by one
  watcher poll of every source, which takes minutes at 50,000 alerts);
- the same with Graph unreachable: the journal's last known state is all there is.
Prints the load average: the machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tenant import BULK_ALERTS, load_average, simulated_tenant

WARROOM = Path(sys.executable).with_name("warroom")
BARE = r"""
import collections, json, sys, httpx
counts, link = collections.Counter(), sys.argv[1] + "/security/alerts_v2?$top=1000"
with httpx.Client(timeout=120) as client:
    while link:
        page = json.loads(client.get(link, headers={"Authorization": "Bearer bench"}).content)
        counts.update((a.get("severity"), a.get("status")) for a in page["value"])
        link = page.get("@odata.nextLink")
print(sum(counts.values()))
"""


def peak_mib(argv: list[str]) -> tuple[float, float, int]:
    """Run a child to its end: (its own peak RSS in MiB, from wait4; seconds; exit code)."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env={**os.environ, "WARROOM_CONFIG": ""})
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024, time.perf_counter() - started, child.returncode


def fill(journal: Path, base_url: str) -> None:
    async def poll() -> None:
        from warroom.console.clouds import resolve
        from warroom.console.graph.auth import Session, StaticToken
        from warroom.console.graph.gateway import open_gateway
        from warroom.console.graph.live import LiveState, TenantWatcher
        from warroom.console.journal import open_journal

        async with await open_journal(journal, actor="bench") as opened:
            gateway = await open_gateway(resolve("global", base_url), Session(StaticToken("bench"), "bench"))
            watcher = TenantWatcher(gateway, opened, LiveState())
            for name in watcher.sources:
                await watcher.poll_once(name)
            await gateway.close()

    asyncio.run(poll())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=50_000)
    parser.add_argument("--journal", type=Path, help="a journal holding the tenant's observations (built if missing)")
    parser.add_argument("--fill", nargs=2, metavar=("JOURNAL", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fill:
        fill(Path(args.fill[0]), args.fill[1])
        return 0
    print("load average before:", load_average())
    with simulated_tenant(BULK_ALERTS, args.alerts) as tenant:
        base_url = tenant.base_url
        with tempfile.TemporaryDirectory() as folder:
            journal = args.journal or Path(folder) / "held.db"
            if not journal.exists():
                print(f"building {journal} (one poll of every source, journaled)…")
                # In a child of its own: a child's peak RSS (wait4) starts from its parent's at the fork, so the
                # parent must not hold what the fill read.
                subprocess.run([sys.executable, __file__, "--fill", str(journal), base_url], check=True)
            rows = [("baseline: bare httpx + json.loads, counts only", [sys.executable, "-c", BARE, base_url]),
                    ("`status --json`, empty journal",
                     [str(WARROOM), "--graph-url", base_url, "--journal", str(Path(folder) / "empty.db"), "status",
                      "--json"]),
                    ("`status --json`, journal holding the tenant",
                     [str(WARROOM), "--graph-url", base_url, "--journal", str(journal), "status", "--json"]),
                    ("`status --json`, journal holding it, Graph unreachable",
                     [str(WARROOM), "--graph-url", "http://127.0.0.1:9", "--journal", str(journal), "status",
                      "--json"])]
            print(f"\n{args.alerts:,} alerts; journal {journal.stat().st_size / 1e6:.0f} MB\n")
            print("| what | peak RSS (MiB) | seconds | exit |")
            print("|---|---:|---:|---:|")
            for name, argv in rows:
                peak, seconds, code = peak_mib(argv)
                print(f"| {name} | {peak:.0f} | {seconds:.1f} | {code} |")
    print("load average after:", load_average())
    return 0


if __name__ == "__main__":
    sys.exit(main())
