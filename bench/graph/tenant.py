"""What the Graph benchmarks share: the simulated tenant in its own process on 127.0.0.1 (its JSON encoding must not
count as the measured process's work), a process's RSS, and the load average each run prints (the machine is shared).

The benchmarks are scripts: they import this as `tenant` with their own folder on `sys.path`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

# The `bulk-alerts` scenario (~1.7 KB of JSON an alert), started at the moment it holds about argv[1] alerts; it
# keeps adding alerts as it runs (~14 a second).
BULK_ALERTS = r"""
import sys
from warroom.console.sim import SimulatedTenant, load_scenario
tenant = SimulatedTenant(load_scenario("bulk-alerts"), start_at=3600 * float(sys.argv[1]) / 50000)
print(tenant.start(), flush=True)
sys.stdin.read()                                    # until the bench closes our stdin
tenant.stop()
"""

# Exactly argv[1] bench alerts and nothing else changing; "change N" on stdin changes N of them (title,
# lastUpdateDateTime) and answers "changed".
BENCH_ALERTS = r"""
import sys
from warroom.console.sim import SimulatedTenant, load_scenario
tenant = SimulatedTenant(load_scenario("exchange-outage"))
tenant.start()
with tenant._lock:                                  # bench data straight into the tenant
    at = tenant.state.clock
    for index in range(int(sys.argv[1])):
        tenant.state.add("alerts", {"id": f"da{index:08d}", "title": f"Bench alert {index}",
                                    "severity": ("high", "medium", "low")[index % 3]}, at)
print(tenant.base_url, flush=True)
for line in sys.stdin:                              # until the bench closes our stdin
    count = int(line.split()[1])                    # "change N": N alerts change (title, lastUpdateDateTime)
    with tenant._lock:
        for item in list(tenant.state.data["alerts"].values())[:count]:
            item["title"] = item["title"] + " (changed)"
            item["lastUpdateDateTime"] = tenant.state.now_iso()
    print("changed", flush=True)
tenant.stop()
"""


class Tenant(NamedTuple):
    base_url: str
    process: subprocess.Popen     # its stdin and stdout are pipes (text): BENCH_ALERTS takes "change N" there


@contextmanager
def simulated_tenant(script: str, alerts: int) -> Iterator[Tenant]:
    """The tenant `script` (BULK_ALERTS, BENCH_ALERTS) for `alerts` alerts, running until the block ends."""
    process = subprocess.Popen([sys.executable, "-c", script, str(alerts)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    try:
        yield Tenant(process.stdout.readline().strip(), process)
    finally:
        process.stdin.close()
        process.wait(timeout=30)


def rss_mib(pid: int | str = "self") -> float:
    """A process's resident set now, in MiB (this one's by default)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())
