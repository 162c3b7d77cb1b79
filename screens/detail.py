"""What the alert and Microsoft-issue detail screens share: a centred, scrollable card, and three ways out.

From a detail a responder closes it, declares an incident from what they are reading, or links it to the open
incident; the dashboard passes what is shown as the typed subject for both.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from textual.screen import ModalScreen

from ..console.subject import Subject
from ..widgets.actions import bindings, key_for
from .console_app import console_app

# A moment as the responder reads it (their display zone), "—" when there is none.
Stamp = Callable[[datetime | None], str]


class DetailScreen(ModalScreen[None]):
    CSS_PATH = "detail.tcss"
    BINDINGS = bindings("detail")
    ACTION_PLACES: tuple[str, ...] = ("detail",)

    def __init__(self, *, zone_stamp: Stamp, subject: Subject) -> None:
        super().__init__()
        self.zone_stamp, self.subject = zone_stamp, subject

    def keys_line(self, *action_ids: str) -> str:
        """The subtitle's key reminders, with the keys in force: "d declare · l link · Esc close"."""
        words = {"alert_detail.copy": "copy link", "detail.declare": "declare", "detail.link": "link",
                 "detail.close": "close"}
        return " · ".join(f"{key_for(self.app, action_id)} {words[action_id]}" for action_id in action_ids)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_declare(self) -> None:
        self.dismiss(None)
        console_app(self.app).open_guided("declare", self.subject)

    def action_link(self) -> None:
        self.dismiss(None)
        console_app(self.app).link_to_incident(self.subject)
