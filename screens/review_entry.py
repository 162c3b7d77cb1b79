"""EntryScreen: one journal entry in full, scrollable — the review's entry pane shows only its first lines.

Enter on a timeline row opens it: the three timestamps, who, where it was imported from, what the chain says
about it, what it says (wrapped), and its whole body. Every string is the journal's (a tenant's or a
responder's words), cleaned and literal; a body is cut only past `BODY_LINES` lines of `BODY_WIDTH` characters,
and says so.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from ..widgets.actions import bindings, key_for
from ..widgets.safe import safe_label

BODY_LINES, BODY_WIDTH = 5000, 20_000


class EntryScreen(ModalScreen[None]):
    """Read a whole entry; arrows and PgUp/PgDn scroll, Escape, Enter or q closes."""

    CSS_PATH = "detail.tcss"
    BINDINGS = bindings("review_entry")

    def __init__(self, title: str, text: Text) -> None:
        super().__init__()
        self.title_text, self.text = title, text

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="entry-scroll") as box:
            box.border_title = safe_label(self.title_text)
            box.border_subtitle = safe_label(f"↑↓ PgUp PgDn scroll · {key_for(self.app, 'review_entry.close')} close")
            yield Static(self.body(), id="entry-full")
        yield Footer()

    def body(self) -> Text:
        return self.text

    def on_mount(self) -> None:
        self.query_one("#entry-scroll").focus()

    def action_close(self) -> None:
        self.dismiss(None)
