"""HandoffScreen: the one page a new incident commander reads to take over (console/handoff.py), read-only."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from ..console.handoff import HandoffSection
from ..widgets.actions import bindings, key_for
from ..widgets.safe import clean, plain, safe_label


class HandoffScreen(ModalScreen[str | None]):
    """Every section as plain text (Graph and journal text rendered literally); Esc goes back.

    Handing a role over from here dismisses with "hand_over": the dashboard asks who takes which role, journals
    it and opens the page again, showing the hand-off."""

    BINDINGS = bindings("handoff")
    ACTION_PLACES = ("handoff",)
    DEFAULT_CSS = """
    HandoffScreen { align: center middle; }
    HandoffScreen > VerticalScroll { width: 100%; height: 1fr; border: round $primary; background: $surface;
                                     padding: 0 1; }
    HandoffScreen .section { color: $accent; text-style: bold; margin-top: 1; }
    """

    def __init__(self, incident_id: str, sections: list[HandoffSection]) -> None:
        super().__init__()
        self.incident_id, self.sections = incident_id, sections

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="handoff") as box:
            box.border_title = safe_label(f"Hand-off: {self.incident_id}", 60)
            box.border_subtitle = safe_label(f"{key_for(self.app, 'handoff.hand_over')} hand a role over · "
                                             f"{key_for(self.app, 'handoff.close')} back · warroom handoff prints it")
            for section in self.sections:
                yield Static(safe_label(section.title, 80), classes="section")
                yield Static(plain("\n".join(clean(line, 400) for line in section.lines), limit=None))
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_hand_over(self) -> None:
        self.dismiss("hand_over")
