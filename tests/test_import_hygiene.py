"""The headless core never loads the UI: `warroom note` or `journal verify` over SSH must not import Textual.

What console/ may import is a contract (tests/test_layers.py); here, what a command loads when it runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# Runs warroom's main() as the console script does, then reports which UI modules got imported.
PROBE = """
import json, sys
from warroom.console.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
loaded = sorted(name for name in sys.modules if name.split(".")[0] in ("textual", "warroom"))
print("\\n@@" + json.dumps({"code": code, "loaded": loaded}))
"""


@pytest.mark.parametrize(
    "argv",
    [
        ["note", "contained: forwarding rule removed"],
        ["journal", "verify"],
        ["journal", "stats"],
        ["config"],
        ["--help"],
    ],
    ids=" ".join,
)
def test_headless_commands_never_import_textual(argv: list[str], journal_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-c", PROBE, "note", "--journal", str(journal_path), "seed"],
        capture_output=True, check=True, timeout=120,
    )
    result = subprocess.run(
        [sys.executable, "-c", PROBE, "--journal", str(journal_path), *argv],
        capture_output=True, text=True, timeout=120,
    )
    report = json.loads(result.stdout.rsplit("@@", 1)[1])
    assert report["code"] in (0, None), result.stderr
    assert "warroom.console.cli" in report["loaded"], "the probe did not run warroom"
    assert [name for name in report["loaded"] if name.startswith("textual")] == []


# Runs `warroom demo` headless and reports what was imported when its first frame was drawn (the moment the
# dashboard starts mounting its secondary panes), then quits.
FIRST_FRAME_PROBE = """
import asyncio, json, sys
from textual.app import App
from warroom.screens.dashboard import DashboardScreen

first_frame = DashboardScreen._mount_the_rest

async def record_then_quit(self):
    print("\\n@@" + json.dumps(sorted(sys.modules)), flush=True)
    self.app.exit()

DashboardScreen._mount_the_rest = record_then_quit
run_async = App.run_async
App.run_async = lambda self, **kw: run_async(self, headless=True, size=(120, 40))
from warroom.console.cli import main
main(sys.argv[1:])
"""

# What the first frame must not wait for: Graph's SDK and sign-in, the simulated tenant, DataTable (the health
# pane is a Line-API table), the modules of later screens and panes, and libraries they would bring along.
NOT_BEFORE_THE_FIRST_FRAME = (
    "msgraph", "azure", "httpx", "warroom.console.graph.auth", "warroom.console.graph.gateway",
    "warroom.console.sim", "textual.widgets._data_table", "textual.widgets._footer", "warroom.widgets.tasks",
    "warroom.widgets.timeline", "warroom.widgets.chart", "warroom.console.comms", "warroom.console.playbooks",
    "importlib.resources", "zoneinfo", "tomllib", "html",
)


def test_the_first_frame_waits_for_nothing_it_does_not_show(journal_path: Path, tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8", "TERM": "xterm-256color",
           "WARROOM_RESPONDER": "probe"}
    result = subprocess.run(
        [sys.executable, "-c", FIRST_FRAME_PROBE, "--journal", str(journal_path), "demo"],
        capture_output=True, text=True, timeout=120, env=env,
    )
    loaded = json.loads(result.stdout.rsplit("@@", 1)[1].splitlines()[0])
    assert "warroom.widgets.health" in loaded, "the probe did not reach the first frame"
    early = [name for name in loaded if any(name == n or name.startswith(n + ".") for n in NOT_BEFORE_THE_FIRST_FRAME)]
    assert early == []
