"""Keys act in the order typed, each once the one before it has done what it does (a paste, fast typing over SSH).

A terminal can hand several keys to the App in one read. Textual resolves each key as the App takes it from its
queue: a priority binding acts there and then; any other key is forwarded to the focused widget and bubbles up,
one message queue at a time, to the App, where the bindings are looked up against the focus *as it is then*. So a
key that bubbles is overtaken by the next one: an Input inserts the `q` typed after Enter before Enter's binding
submits the box (the note saved with a `q`, and the `q` lost); Tab moves the focus after the `/` typed behind it
has put it in the filter box; `t` focuses the journal's timeline after the `j` behind it went to the incident list;
the letters typed after ctrl+p act on the dashboard before the palette opens. Priority bindings everywhere cannot
help: a key the focused widget answers (Tab in a text area, letters in a box) has to reach it first.

So the App keeps keys that arrive while one is settling, and hands the next over once the last has settled: it has
come back to the App or been stopped on its way, and a round over the App, the screen and the focused widget's
ancestors has found nothing more on its way (the messages its action posted, a screen pushed or dismissed, the focus
moved), twice. A key typed alone is handed over at once. Nothing waits longer than `SETTLE_LIMIT_S` (a handler
stuck on I/O must not hold the keyboard): then the next key goes on as Textual would hand it over.
"""

from __future__ import annotations

import asyncio
from collections import deque
from itertools import takewhile
from time import monotonic
from typing import TYPE_CHECKING, TypeVar

from textual import events
from textual.app import App

if TYPE_CHECKING:
    from textual.dom import DOMNode
    from textual.screen import Screen

Result = TypeVar("Result")

SETTLE_LIMIT_S = 2.0
# Rounds in a row that find nothing on its way. The screen's and the App's own queues are not looked at (live data
# keeps them busy): what the key left there is processed in these rounds.
QUIET_ROUNDS = 2
TYPED = (events.Key, events.Paste)
Typed = events.Key | events.Paste


class KeysInOrder(App[Result]):
    """An App whose keys (and pastes) are handed over one at a time, each once the last has settled."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)     # type: ignore[arg-type]
        self._typed_ahead: deque[Typed] = deque()
        self._settling = 0              # the key being settled, counted: a late round of an earlier key is ignored
        self._settled = True
        self._travelling: Typed | None = None     # forwarded to the focused widget, not back at the App yet
        self._handed_over_at = 0.0

    async def on_event(self, event: events.Event) -> None:
        if not isinstance(event, TYPED):
            await super().on_event(event)
        elif event.is_forwarded:            # bubbled back up: the App's bindings act on it now
            await super().on_event(event)
            if event is self._travelling:
                self._travelling = None
        elif self._settled and not self._typed_ahead:
            await self._hand_over(event)
        else:
            self._typed_ahead.append(event)
            if len(self._typed_ahead) == 1:
                self._limit()

    async def _hand_over(self, event: Typed) -> None:
        """Textual's own handling (priority bindings, else to the focused widget), then settle it."""
        self._settling += 1
        self._settled = False
        self._handed_over_at = monotonic()
        try:
            await super().on_event(event)
        finally:
            self._travelling = event if event.is_forwarded else None
            if self._typed_ahead:
                self._limit()
            self._round(self._settling, quiet=0)

    def _limit(self) -> None:
        """Keys wait for the one settling at most `SETTLE_LIMIT_S` from when it was handed over."""
        delay = max(0.0, self._handed_over_at + SETTLE_LIMIT_S - monotonic())
        asyncio.get_running_loop().call_later(delay, self._settle_done, self._settling)

    def _focus_chain(self, screen: Screen[object]) -> list[DOMNode]:
        """The focused widget and its ancestors below the screen: where a key and what its action posts travel."""
        focused = screen.focused
        if focused is None:
            return []
        return list(takewhile(lambda node: node is not screen, focused.ancestors_with_self))

    def _round(self, generation: int, quiet: int) -> None:
        """The App, the screen and the focus chain each process what they hold; then `_round_done` looks again."""
        if generation != self._settling or not self.is_running:
            return
        try:
            screen = self.screen
        except Exception:  # no screen (starting, or leaving): nothing to wait for
            self._settle_done(generation)
            return
        state = (screen, screen.focused)
        waiting = 0

        def answered() -> None:
            nonlocal waiting
            waiting -= 1
            if waiting == 0:
                self._round_done(generation, quiet, state)

        for pump in (self, screen, *self._focus_chain(screen)):
            if pump.call_later(answered):
                waiting += 1
        if waiting == 0:
            self._settle_done(generation)

    def _round_done(self, generation: int, quiet: int, state: tuple[object, object]) -> None:
        if generation != self._settling:
            return
        try:
            screen = self.screen
        except Exception:
            self._settle_done(generation)
            return
        chain = self._focus_chain(screen)
        travelling = self._travelling
        if travelling is not None and travelling._stop_propagation:     # stopped on its way (Textual has no getter)
            self._travelling = travelling = None
        busy = (travelling is not None or (screen, screen.focused) != state
                or any(node.message_queue_size for node in chain))
        quiet = 0 if busy else quiet + 1
        if quiet >= QUIET_ROUNDS or monotonic() - self._handed_over_at > SETTLE_LIMIT_S:
            self._settle_done(generation)
        else:
            self._round(generation, quiet)

    def _settle_done(self, generation: int) -> None:
        if generation != self._settling or self._settled:
            return
        self._settled = True
        self._travelling = None
        if self._typed_ahead:
            self.call_later(self._next_typed)

    async def _next_typed(self) -> None:
        if self._settled and self._typed_ahead:
            await self._hand_over(self._typed_ahead.popleft())
