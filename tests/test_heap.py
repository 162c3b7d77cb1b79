"""The console's allocator policy (console/heap.py): a freed Graph page must not raise glibc's mmap threshold, or
every later page is carved out of the heap among the records that stay, and the heap never shrinks."""

from __future__ import annotations

import subprocess
import sys

import pytest

# How many blocks glibc serves from mappings of their own before and after a 2 MiB "page" is allocated, once an
# 8 MiB block was freed (which, by glibc's default, raises the threshold past 2 MiB).
SCRIPT = """
import ctypes, sys
from warroom.console.heap import return_large_blocks

class Info(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]

libc = ctypes.CDLL(None)
if not hasattr(libc, "mallinfo2"):
    print("no-mallinfo2")
    sys.exit(0)
libc.mallinfo2.restype = Info
if sys.argv[1] == "policy":
    assert return_large_blocks()
big = bytearray(8 * 2**20)
del big
before = libc.mallinfo2().hblks
page = bytearray(2 * 2**20)
print(libc.mallinfo2().hblks - before)
"""


def mapped_pages(mode: str) -> str:
    return subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, check=True,
                          timeout=60).stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_a_page_after_a_larger_one_was_freed_still_gets_a_mapping_of_its_own() -> None:
    default = mapped_pages("default")
    if default == "no-mallinfo2":
        pytest.skip("a C library without mallinfo2 (not glibc 2.33+)")
    assert default == "0"               # glibc's default: the threshold followed the freed block up
    assert mapped_pages("policy") == "1"


async def test_the_console_sets_the_policy_once_its_panes_are_drawn(monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio
    import gc
    from types import SimpleNamespace

    from warroom.screens import app as console

    asked: list[bool] = []
    monkeypatch.setattr(console, "return_large_blocks", lambda: asked.append(True) or True)
    monkeypatch.setattr(gc, "freeze", lambda: None)     # the test process's objects stay collectable
    drawn = asyncio.Event()
    waiting = asyncio.create_task(console._collect_once_drawn(SimpleNamespace(panes_drawn=drawn)))
    await asyncio.sleep(0)
    assert not asked
    drawn.set()
    await asyncio.wait_for(waiting, 5)
    assert asked == [True]


# RSS before and after `give_back_freed`, once 30,000 blocks of 4 KiB were freed among 3,000 that stay (a load's
# encodings among its records), with the threshold set as the console sets it.
TRIM = """
import sys
from warroom.console.heap import give_back_freed, return_large_blocks

def rss():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024

return_large_blocks()
kept, freed = [], []
for number in range(33_000):
    (kept if number % 11 == 0 else freed).append(bytes(4096 - number % 7))
del freed
before = rss()
assert give_back_freed()
print(before - rss())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_what_a_load_freed_among_what_stays_goes_back_to_the_system() -> None:
    given_back = float(subprocess.run([sys.executable, "-c", TRIM], capture_output=True, text=True, check=True,
                                      timeout=60).stdout)
    assert given_back > 60      # MiB of the ~117 freed (the heap keeps what shares a page with a block that stays)
