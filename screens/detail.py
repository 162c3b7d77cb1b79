"""What the alert and Microsoft-issue detail screens share: a centred, scrollable card, and three ways out.

From a detail a responder closes it, declares an incident from what they are reading, or links it to the open
incident; the dashboard passes the selection as `context` for both.
"""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.screen import ModalScreen


class DetailScreen(ModalScreen[None]):
    CSS_PATH = "detail.tcss"
    BINDINGS = [
        Binding("escape,q", "close", "Close", id="detail.close"),
        Binding("d", "declare", "Declare incident", id="detail.declare"),
        Binding("l", "link", "Link to incident", id="detail.link"),
    ]

    def __init__(self, *, zone_stamp: Any, context: dict[str, Any]) -> None:
        super().__init__()
        self.zone_stamp, self.context = zone_stamp, context

    def action_close(self) -> None:
        self.dismiss(None)

    def action_declare(self) -> None:
        self.dismiss(None)
        self.app.open_guided("declare", **self.context)

    def action_link(self) -> None:
        self.dismiss(None)
        self.app.link_to_incident(self.context)
