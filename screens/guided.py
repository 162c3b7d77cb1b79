"""Guided response: what every step screen shares (screens/steps.py picks the screen for a step).

Every line a guided screen shows is rendered as `rich.text.Text`, never as markup: titles, UPNs and error
messages come from the tenant or the journal, and `console.text.clean` takes their escapes out first.

Steps: declare, assess, contain (and its shortcuts block_sign_in, revoke_sessions, preserve_evidence),
communicate, review and close. Every step but declare needs an open incident; without one, Declare opens
with a line saying so. Each screen gets the typed subject (console/subject.py: what was selected, resolved once)
and returns to the dashboard with dismiss().
"""

from __future__ import annotations

import re
from collections.abc import Awaitable
from typing import Any, TypeVar

from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widgets import Static

from ..console.incidents import Incident
from ..console.session import WarRoom
from ..console.subject import NOTHING, Subject
from ..console.text import clean
from ..widgets.actions import action_for, applies, bindings
from ..widgets.safe import OneLineNotices, plain

__all__ = ["GuidedScreen", "fold_url", "heading", "plain"]

T = TypeVar("T")


class GuidedScreen(OneLineNotices, Screen[Any]):
    """What every guided step shares: the session, the incident it works on, Escape back, a message line, and
    notifications on one line over the footer's right half, where they cover no field, heading, result or button."""

    BINDINGS = bindings("guided")
    ACTION_PLACES: tuple[str, ...] = ("guided",)

    def __init__(self, warroom: WarRoom, subject: Subject = NOTHING, *, incident_id: str | None = None) -> None:
        super().__init__()
        self.warroom = warroom
        self.subject = subject
        self.incident_id = incident_id      # the incident worked on; None: the open one

    @property
    def incident(self) -> Incident | None:
        wanted = self.incident_id
        if wanted and wanted in self.warroom.book.incidents:
            return self.warroom.book.incidents[wanted]
        return self.warroom.incident

    def condition(self, name: str) -> bool:
        """Whether an action's condition holds on this screen (subclasses name theirs)."""
        return True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """An action whose condition does not hold here is hidden from the footer and does nothing."""
        declared = action_for(self.ACTION_PLACES, action)
        return declared is None or applies(self, declared)

    def on_key(self, event: events.Key) -> None:
        """Letters, digits and Space are text in a text field, or nothing: a sentence typed while a button, a list
        or nothing has focus never presses, ticks or quits. F-keys, Esc, Enter, Tab and arrows pass."""
        if event.is_printable:
            event.stop()
            event.prevent_default()

    def say(self, text: str, *, error: bool = False) -> None:
        """The screen's one message line: the last thing that happened, or what is wrong with the input.

        Plain text, never markup: it often quotes a UPN, a title or an error from Graph or the journal."""
        line = self.query_one("#message", Static)
        line.update(plain(text, limit=2000))
        line.set_class(error, "error")

    def outcome(self, text: str, *, error: bool = False) -> None:
        """The outcome of an action (done, refused, failed): on the result line and in a notification, so every
        F-key press visibly answers, even when the words are the same as last time."""
        self.say(text, error=error)
        first = text.strip().splitlines()[0] if text.strip() else ""
        self.notify(first, title="Not done" if error else "Done", severity="error" if error else "information",
                    timeout=6, markup=False)

    async def journaled(self, write: Awaitable[T], not_done: str) -> T | None:
        """Await a journal write; when it fails, the outcome says "<not_done>: <why>" and None comes back.

        One policy for every guided screen: whatever the write raises (the journal refused, the disk is full,
        another console claimed it first) is said, never raised, so the session stays up and the responder
        knows the entry is not in the journal.
        """
        try:
            return await write
        except Exception as error:
            self.outcome(f"{not_done}: {error}", error=True)
            return None

    def action_back(self) -> None:
        self.dismiss(None)


def fold_url(text: str, width: int) -> str:
    """A long request line broken before a `/`, `?` or `&`, so it wraps between path segments, never mid-word."""
    if width < 20 or all(len(line) <= width for line in text.splitlines()):
        return text
    out = []
    for line in text.splitlines():
        current = ""
        for part in re.split(r"(?=[/?&])", line):
            if current and len(current) + len(part) > width:
                out.append(current)
                current = "  " + part
            else:
                current += part
        out.append(current)
    return "\n".join(out)


def heading(verb: str, incident: Incident | None) -> Text:
    """The heading, "Contain INC-…: <title>": the title is the alert's or a responder's text, so it is cleaned."""
    return Text(f"{verb} {incident.id}: {clean(incident.title)}" if incident else verb)
