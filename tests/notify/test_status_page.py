"""The static status page: written atomically, no scripts, everything escaped; read in headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import timedelta

import pytest
from warroom.console.channels import StatusPageChannel
from warroom.console.statuspage import PageUpdate, publish
from warroom.console.timefmt import utc_now

HOSTILE = '<script>document.title="owned"</script><img src=x onerror=alert(1)> & "quotes"'


def updates() -> list[PageUpdate]:
    now = utc_now()
    return [
        PageUpdate("INC-20261204-01", "Service outage: Exchange Online", "investigating", "Mail is delayed",
                   "[INC-20261204-01] Service notice", "First notice.\nWe are on it.", now - timedelta(minutes=30),
                   now + timedelta(minutes=30), "initial"),
        PageUpdate("INC-20261204-01", f"Service outage: {HOSTILE}", "recovering", f"Impact {HOSTILE}",
                   "[INC-20261204-01] Update 2", f"Second notice {HOSTILE}", now - timedelta(minutes=5),
                   now + timedelta(minutes=55), "progress"),
        PageUpdate("INC-20261203-02", "Security issue", "resolved", "None now", "[INC-20261203-02] Resolved",
                   "All clear.", now - timedelta(days=1), None, "resolution"),
    ]


def test_the_page_holds_what_a_user_needs_escaped_and_atomic(tmp_path):
    channel = StatusPageChannel("page", tmp_path / "status", "Contoso IT status")
    page = publish(channel, updates(), utc_now())
    data = json.loads((tmp_path / "status" / "status.json").read_text(encoding="utf-8"))
    first, resolved = data["incidents"]
    assert first["id"] == "INC-20261204-01" and first["status"] == "recovering"
    assert first["last_update"]["text"].startswith("Second notice") and first["next_update_due"]
    assert [h["subject"] for h in first["history"]] == ["[INC-20261204-01] Update 2",
                                                         "[INC-20261204-01] Service notice"]
    assert resolved["status"] == "resolved" and resolved["next_update_due"] is None
    html = page.read_text(encoding="utf-8")
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html and "&amp; &quot;quotes&quot;" in html
    assert sorted(p.name for p in (tmp_path / "status").iterdir()) == ["index.html", "status.json"]
    assert oct((tmp_path / "status" / "index.html").stat().st_mode & 0o777) == "0o644"


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def test_the_page_reads_in_headless_chromium_without_javascript(tmp_path):
    browser = _chromium()
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: .ci/setup installs it (apt package chromium)")
        pytest.skip("chromium is not installed (bash .ci/setup installs it)")
    channel = StatusPageChannel("page", tmp_path / "status", "Contoso IT status")
    page = publish(channel, updates(), utc_now())
    profile = tmp_path / "profile"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
             f"--user-data-dir={profile}"]
    done = subprocess.run([browser, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert "<title>Contoso IT status</title>" in dom          # the hostile script never ran
    assert "Second notice &lt;script&gt;" in dom and "<img" not in dom
    assert "Next update by" in dom and "INC-20261203-02" in dom
    shot = tmp_path / "page.png"
    done = subprocess.run([browser, *flags, "--window-size=800,1000", f"--screenshot={shot}", page.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and shot.stat().st_size > 5000, done.stderr[-2000:]
