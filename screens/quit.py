"""QuitScreen: leaving warroom while an incident is open is a question, never one stray key.

It names the open incident(s); y or Enter quits, n or Esc returns to where the responder was.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from ..console.incidents import Incident
from ..console.text import clean
from ..widgets.actions import bindings, labelled


class QuitScreen(ModalScreen[bool]):
    """Dismisses with True to quit, False to stay."""

    CSS_PATH = "quit.tcss"
    BINDINGS = bindings("quit_dialog")

    def __init__(self, incidents: list[Incident]) -> None:
        super().__init__()
        self.incidents = incidents

    def compose(self) -> ComposeResult:
        first = self.incidents[0]
        more = f" (and {len(self.incidents) - 1} more)" if len(self.incidents) > 1 else ""
        with Vertical(id="quit"):
            yield Static(Text("Quit warroom?", style="bold"), classes="heading")
            yield Static(Text(f"{first.id}: {clean(first.title, 60)}{more} is still open. The journal keeps "
                              "everything; warroom opens on it again."), id="quit-incident")
            with Horizontal(classes="buttons"):
                yield Button(labelled(self.app, "quit_dialog.quit"), id="quit-yes", variant="error")
                yield Button(labelled(self.app, "quit_dialog.stay"), id="quit-no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#quit-yes", Button).focus()     # Enter quits, as y does; Esc or n stays

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "quit-yes")

    def action_quit_now(self) -> None:
        self.dismiss(True)

    def action_stay(self) -> None:
        self.dismiss(False)
