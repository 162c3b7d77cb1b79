"""Waiting on a condition, never for a fixed time: a test is as fast as the machine lets it be, and as patient.

`until` polls a check on the event loop (through the Pilot when there is an app, so the screen keeps
painting); `until_sync` does the same for a test that drives another process or a thread.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any

WITHIN_S = 30.0     # generous: a loaded CI machine is slow, a passing test never waits this long


async def until(pilot: Any, check: Callable[[], Any | Awaitable[Any]], what: str = "the condition", *,
                within: float = WITHIN_S, every: float = 0.02) -> Any:
    """Return the check's first true value; fail the test, naming `what`, when `within` seconds pass first.

    With a Pilot (`pilot` not None) the app keeps processing messages and painting while it waits. The check may be
    a coroutine function (one that reads a journal): each of its answers is awaited."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        assert asyncio.get_running_loop().time() < deadline, f"waited {within:g} s for {what}"
        if pilot is not None:
            await pilot.pause(every)
        else:
            await asyncio.sleep(every)


def until_sync(check: Callable[[], Any], *, within: float = WITHIN_S, every: float = 0.05,
               what: str = "the condition") -> Any:
    """As `until`, for code that is not on an event loop."""
    deadline = time.monotonic() + within
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"waited {within:g} s for {what}"
        time.sleep(every)


async def held_still(pilot: Any, *, refreshes: int = 50) -> None:
    """Until every widget's place, size, scroll and focus hold still across a refresh (at most `refreshes` of them).

    A part mounted late (by a worker, or right after the first frame) is styled and laid out a refresh or two after
    it arrives, later under load; a scrollbar shows the total height only once the last part is in."""
    layout = None
    for _ in range(refreshes):
        screen = pilot.app.screen
        now = tuple((w.region, w.virtual_size, w.scroll_x, w.scroll_y, w.has_focus)
                    for w in (screen, *screen.walk_children()))
        if now == layout:
            return
        layout = now
        await pilot.pause()
