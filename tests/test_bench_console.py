"""The console benchmark reads keystrokes off the screen right: a filter left from an earlier round, or a frame
of the state before a key, never passes for the key's own frame (bench/graph/console.py)."""

from __future__ import annotations

import importlib.util
import socket
import sys
import threading
import time
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench" / "graph" / "console.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("warroom_bench_console", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    saved = sys.modules.get("run")
    spec.loader.exec_module(module)
    if saved is not None:           # the bench imports bench/dashboard/run.py as `run`
        sys.modules["run"] = saved
    return module


class FakeConsole(threading.Thread):
    """The alert pane's subtitle as Textual draws it, over a socket: ctrl+u empties the filter, a letter extends
    it, and only a change is drawn. `stale`: before each new frame, the frame of the state before the key."""

    def __init__(self, sock: socket.socket, filter: bytes, *, stale: float = 0.0) -> None:
        super().__init__(daemon=True)
        self.sock, self.filter, self.stale, self.frames = sock, filter, stale, 0

    def frame(self, filter: bytes) -> bytes:
        shown = b" \xc2\xb7 filter: " + filter if filter else b""
        return b"\x1b[38;5;239m\xe2\x94\x80\x1b[0m\x1b[38;5;239m sort: severity \xe2\x96\xbc" + shown + b" \x1b[0m"

    def run(self) -> None:
        self.sock.sendall(self.frame(self.filter))
        while data := self.sock.recv(64):
            for byte in data:
                before = self.filter
                self.filter = b"" if byte == 0x15 else self.filter + bytes([byte])
                if self.filter == before:
                    continue
                if self.stale:
                    self.sock.sendall(self.frame(before))
                    time.sleep(self.stale)
                self.sock.sendall(self.frame(self.filter))
                self.frames += 1


def typed_into(bench, left: bytes, *, stale: float = 0.0, keys: int = 12) -> tuple[list[float], FakeConsole]:
    ours, theirs = socket.socketpair()
    console = FakeConsole(theirs, left, stale=stale)
    console.start()
    try:
        screen = bench.Screen(ours.fileno())
        screen.read(None, 0.3)
        return bench.keystrokes(ours.fileno(), screen, keys, gap=0.0, lost=1.0), console
    finally:
        ours.close()
        console.join(5)
        theirs.close()


def test_a_filter_left_by_an_earlier_round_is_emptied_first(bench) -> None:
    """The 50-alert baseline typed 5 letters while loading; the next round's 6th to 8th keys were read as lost."""
    latencies, console = typed_into(bench, b"zxzxz")
    assert max(latencies) < 1.0, latencies
    assert console.filter == bench.LETTERS[:4]          # 8 letters, emptied, 4 more


def test_a_frame_of_the_state_before_the_key_is_not_the_key_shown(bench) -> None:
    latencies, _ = typed_into(bench, b"", stale=0.05, keys=4)
    assert min(latencies) >= 0.05, latencies
