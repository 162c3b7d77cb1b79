"""Simulated tenant speed, each figure next to a baseline measured in the same run.

    .venv/bin/python bench/sim/run.py [--alerts-scenario bulk-alerts]

- starting the bulk-alerts tenant (50,000 alerts generated from the scenario's template);
- paging all 50,000 alerts with $top=1000, vs the same bytes from a bare stdlib HTTP server (the floor:
  sockets + JSON decoding on the client, no query work on the server);
- one small GET (an issue by id) p50/p99, vs the bare server answering the same bytes;
- a `$filter=lastUpdateDateTime ge ...` over 50,000 alerts, p50.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
from warroom.console.sim import SimulatedTenant, load_scenario
from warroom.console.timefmt import to_iso


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


class _Bare(BaseHTTPRequestHandler):
    """Answers every GET with pre-encoded bytes chosen by path: the cost of HTTP alone."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    pages: dict[str, bytes] = {}

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        body = self.pages.get(self.path, b"{}")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def page_through(client: httpx.Client, url: str) -> tuple[int, list[bytes]]:
    count, raw = 0, []
    while url:
        answer = client.get(url)
        raw.append(answer.content)
        body = answer.json()
        count += len(body["value"])
        url = body.get("@odata.nextLink")
    return count, raw


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alerts-scenario", default="bulk-alerts")
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args()

    scenario = load_scenario(args.alerts_scenario)
    started = time.perf_counter()
    tenant = SimulatedTenant(scenario, start_at=scenario.duration + 1)
    tenant.start()
    start_s = time.perf_counter() - started
    alerts = len(tenant.state.items("alerts"))
    print(f"start {args.alerts_scenario}: {alerts} alerts in {start_s:.2f} s ({start_s / alerts * 1e6:.1f} µs each)")

    bare = ThreadingHTTPServer(("127.0.0.1", 0), _Bare)
    threading.Thread(target=bare.serve_forever, daemon=True).start()
    bare_url = f"http://127.0.0.1:{bare.server_address[1]}"

    with httpx.Client(headers={"Authorization": "Bearer bench"}, timeout=60) as client:
        t0 = time.perf_counter()
        count, raw_pages = page_through(client, f"{tenant.base_url}/security/alerts_v2?$top=1000")
        sim_s = time.perf_counter() - t0
        # the bare server replays the exact same pages, linked the same way
        for index, body in enumerate(raw_pages):
            nxt = f'"@odata.nextLink":"{bare_url}/p{index + 1}",' if index + 1 < len(raw_pages) else ""
            _Bare.pages[f"/p{index}"] = body.replace(b'"@odata.nextLink"', b'"@odata.old"', 1).replace(
                b"{", b"{" + nxt.encode(), 1)
        t0 = time.perf_counter()
        bare_count, _ = page_through(client, f"{bare_url}/p0")
        bare_s = time.perf_counter() - t0
        mb = sum(len(p) for p in raw_pages) / 1e6
        print(f"page {count} alerts ($top=1000, {len(raw_pages)} pages, {mb:.1f} MB): {sim_s:.2f} s"
              f"  | baseline bare server, same bytes ({bare_count}): {bare_s:.2f} s")

        with SimulatedTenant("exchange-outage") as small:
            url = f"{small.base_url}/admin/serviceAnnouncement/issues/EX1195342"
            _Bare.pages["/issue"] = client.get(url).content
            sim, base = [], []
            for _ in range(args.samples):
                t0 = time.perf_counter()
                client.get(url)
                sim.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                client.get(f"{bare_url}/issue")
                base.append(time.perf_counter() - t0)
            print(f"GET issue by id: p50 {ms(statistics.median(sim))} p99 {ms(percentile(sim, 0.99))}"
                  f"  | baseline bare server: p50 {ms(statistics.median(base))} p99 {ms(percentile(base, 0.99))}")

        cutoff = to_iso(tenant.state.origin + timedelta(seconds=scenario.duration - 60))
        filtered = []
        for _ in range(10):
            t0 = time.perf_counter()
            answer = client.get(f"{tenant.base_url}/security/alerts_v2",
                                params={"$filter": f"lastUpdateDateTime ge {cutoff}", "$top": "1000"})
            filtered.append(time.perf_counter() - t0)
        print(f"$filter lastUpdateDateTime over {alerts} alerts -> {len(answer.json()['value'])}: "
              f"p50 {ms(statistics.median(filtered))}")
    tenant.stop()
    bare.shutdown()


if __name__ == "__main__":
    main()
